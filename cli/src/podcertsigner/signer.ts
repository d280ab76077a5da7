// The signing loop of `mkube podcert-signer`, after upstream's hermetic test signer: an informer over
// the PodCertificateRequests of one signer (a spec.signerName field selector; list, then watch from
// the list's resourceVersion, relisting on 410), a rate-limited queue of the pending ones, and a
// worker that issues each and writes the status. PodCertificateRequests have no approval step: who
// may ask was settled by the apiserver (NodeRestriction), so every pending request is signed. A
// refused status write (no `sign` on the signer, no RBAC on the status) is logged and retried with
// backoff; the signer keeps running.

import type { PodCertificateRequest } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type ClientLogger, type KubeClient, ListWatcher, objectKey, type ResourceRef } from '@mkube/shared/client';
import type { CertificateAuthority } from '@mkube/shared/pki';
import { ItemExponentialRateLimiter, runWorkers, WorkQueue } from '@mkube/shared/workqueue';
import { isFinished, issuePodCertificate } from './issue.js';

export const PCRS = {
  group: 'certificates.k8s.io',
  version: 'v1beta1',
  resource: 'podcertificaterequests',
} as const satisfies ResourceRef;

const WORKERS = 4;
/** Retries of a refused or failed write: soon at first, then at most every 5 minutes. */
const RETRY = { baseDelayMs: 250, maxDelayMs: 5 * 60 * 1000 } as const;

export interface SignerOptions {
  readonly client: KubeClient;
  readonly signerName: string;
  readonly ca: CertificateAuthority;
  readonly trustDomain: string;
  readonly maxLifetimeMs: number;
  /** One human-readable line per event; never key material. */
  readonly log: (line: string) => void;
}

/** Log lines of the informer and workers, as `what: message (details)`. */
function lineLogger(log: (line: string) => void): ClientLogger {
  const format = (obj: object, msg: string) => {
    const o = obj as { key?: string; resource?: string; err?: { message?: string } };
    const what = o.key ?? o.resource;
    const why = o.err?.message;
    if (msg === 'sync failed, requeuing') return `${what}: ${why} (will retry)`;
    return `${what ? `${what}: ` : ''}${msg}${why ? `: ${why}` : ''}`;
  };
  return { warn: (obj, msg) => log(format(obj, msg)), debug: () => undefined };
}

export class PodCertificateSigner {
  readonly queue = new WorkQueue('podcert-signer', new ItemExponentialRateLimiter(RETRY));
  readonly informer: ListWatcher<PodCertificateRequest>;
  readonly #o: SignerOptions;
  readonly #logger: ClientLogger;

  constructor(o: SignerOptions) {
    this.#o = o;
    this.#logger = lineLogger(o.log);
    const enqueue = (pcr: PodCertificateRequest) => {
      if (!isFinished(pcr)) this.queue.add(objectKey(pcr));
    };
    this.informer = new ListWatcher<PodCertificateRequest>({
      source: o.client.resource<PodCertificateRequest>(PCRS),
      name: 'podcertificaterequests',
      fieldSelector: `spec.signerName=${o.signerName}`,
      handlers: { onAdd: enqueue, onUpdate: (_old, cur) => enqueue(cur) },
      logger: this.#logger,
    });
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    await Promise.all([this.informer.run(signal), runWorkers(this.queue, WORKERS, (k) => this.sync(k), this.#logger)]);
  }

  /** Issues the request under `key` if it is still pending; throws to retry. */
  async sync(key: string): Promise<void> {
    const pcr = this.informer.store.get(key);
    // Gone, or decided since it was queued (by this signer's earlier write, or another's).
    if (!pcr || isFinished(pcr)) return;
    const o = this.#o;
    // The field selector holds this, but a signer writes only for its own name whatever it is sent.
    if (pcr.spec.signerName !== o.signerName) return;
    const result = issuePodCertificate(o.ca, pcr, { trustDomain: o.trustDomain, maxLifetimeMs: o.maxLifetimeMs });
    const ns = pcr.metadata?.namespace ?? '';
    const name = pcr.metadata?.name ?? '';
    try {
      await o.client
        .resource<PodCertificateRequest>({ ...PCRS, namespace: ns })
        .updateSubresource(name, 'status', { ...pcr, status: result.status });
    } catch (e) {
      if (isNotFound(e)) return;
      throw new Error(`writing the status: ${(e as Error).message}`, { cause: e });
    }
    if (result.issued) o.log(`${key}: issued ${result.uri}, valid until ${result.notAfter.toISOString()}`);
    else o.log(`${key}: marked Failed: ${result.message}`);
  }
}
