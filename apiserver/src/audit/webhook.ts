// The webhook backend (--audit-webhook-config-file, k8s.io/apiserver plugin/pkg/audit/webhook with
// the buffered backend of plugin/pkg/audit/buffered): events are queued (never blocking a request),
// sent as an audit.k8s.io/v1 EventList when --audit-webhook-batch-max-size are waiting or
// --audit-webhook-batch-max-wait has passed, at most --audit-webhook-batch-throttle-qps batches a
// second (burst --audit-webhook-batch-throttle-burst), with retries from --audit-webhook-initial-backoff.
// A full buffer drops the event, and a batch that fails after its retries is dropped: both are
// logged (counts, never the events). On shutdown what is buffered is sent before the apiserver exits.
import type { Logger } from '@mkube/shared/log';
import { WebhookClient } from '../auth/webhook/client.js';
import type { AuditWebhookConfig } from '../config/audit.js';
import { raceTimeout } from '../util/deadline.js';
import type { AuditBackend } from './backend.js';
import type { AuditEvent } from './types.js';

/** The --audit-webhook-* settings, and where to log failures. */
export interface WebhookBackendOptions extends AuditWebhookConfig {
  readonly log: Logger;
  /** Events lost (a full buffer, a batch that failed): apiserver_audit_error_total{plugin="webhook"}. */
  readonly onDropped?: (events: number) => void;
}

/** How long close() waits for buffered events to go out. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

export class WebhookBackend implements AuditBackend {
  readonly #o: WebhookBackendOptions;
  readonly #client: WebhookClient;
  #buffer: AuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  #tokens: number;
  #lastRefill = Date.now();
  #dropped = 0;
  #closed = false;

  constructor(o: WebhookBackendOptions) {
    this.#o = o;
    this.#client = new WebhookClient(o.client, {
      backoff: { initialMs: o.initialBackoffMs, factor: 1.5, jitter: 0.2, steps: 5 },
    });
    this.#tokens = o.throttleBurst;
  }

  write(event: AuditEvent): void {
    if (this.#closed) return;
    if (this.#buffer.length >= this.#o.bufferSize) {
      // Upstream drops rather than blocking the request.
      this.#o.onDropped?.(1);
      if (this.#dropped++ % 1000 === 0) {
        this.#o.log.error({ webhook: this.#client.server, dropped: this.#dropped }, 'audit buffer full: event dropped');
      }
      return;
    }
    // The record is finished by now but still referenced by the request's audit: send a copy.
    this.#buffer.push(structuredClone(event));
    if (this.#buffer.length >= this.#o.maxBatchSize) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#o.maxBatchWaitMs).unref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
  }

  /** Resolves once every batch taken so far has been sent or given up (tests, shutdown). */
  async drained(timeoutMs = SHUTDOWN_TIMEOUT_MS): Promise<void> {
    await raceTimeout(this.#sending, timeoutMs, undefined);
    if (this.#closed) this.#client.close();
  }

  #flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#o.maxBatchSize);
      this.#sending = this.#sending.then(() => this.#send(batch));
    }
  }

  async #send(items: AuditEvent[]): Promise<void> {
    await this.#throttle();
    try {
      await this.#client.post(
        { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items },
        { expectJson: false },
      );
    } catch (e) {
      this.#o.onDropped?.(items.length);
      this.#o.log.error(
        { webhook: this.#client.server, events: items.length, error: (e as Error).message },
        'audit webhook: failed to send a batch of events; dropped',
      );
    }
  }

  async #throttle(): Promise<void> {
    const { throttleQps: qps, throttleBurst: burst } = this.#o;
    if (qps <= 0 || this.#closed) return;
    for (;;) {
      const now = Date.now();
      this.#tokens = Math.min(burst, this.#tokens + ((now - this.#lastRefill) / 1000) * qps);
      this.#lastRefill = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.#tokens) / qps) * 1000)));
    }
  }
}

/** Several backends at once (--audit-log-path and --audit-webhook-config-file), as upstream's union. */
export function unionBackend(backends: readonly AuditBackend[]): AuditBackend {
  if (backends.length === 1) return backends[0]!;
  return {
    write: (e) => {
      for (const b of backends) b.write(e);
    },
    close: () => {
      for (const b of backends) b.close();
    },
  };
}
