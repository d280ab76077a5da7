// The HTTP side of a webhook (k8s.io/apiserver pkg/util/webhook GenericWebhook): a JSON POST to the
// kubeconfig's server URL over TLS with its CA and client credentials, 30 s at most per attempt,
// retried with exponential backoff (500 ms ×1.5, jitter 0.2, 5 attempts) only on what upstream
// deems transient: a connection reset, 429, 500, 504, or a 5xx asking to retry later. Neither the
// token in the body nor the bearer header ever appears in an error.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { WebhookClientConfig } from '../../config/webhook.js';
import { KUBERNETES_VERSION } from '../../discovery/version.js';
import { readLimitedBody } from '../../util/body.js';

export interface RetryBackoff {
  readonly initialMs: number;
  readonly factor: number;
  readonly jitter: number;
  /** Attempts in all (upstream's Steps). */
  readonly steps: number;
}

/** DefaultRetryBackoffWithInitialDelay(500ms). */
export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 500, factor: 1.5, jitter: 0.2, steps: 5 };
/** defaultRequestTimeout: the whole of one attempt, response body included. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;

export class WebhookError extends Error {
  override readonly name = 'WebhookError';
  constructor(
    message: string,
    /** Worth another attempt (upstream's DefaultShouldRetry). */
    readonly retriable: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

export interface WebhookClientOptions {
  readonly timeoutMs?: number;
  readonly backoff?: RetryBackoff;
}

export class WebhookClient {
  readonly #url: URL;
  readonly #agent: HttpAgent;
  readonly #token?: string;
  readonly #timeoutMs: number;
  readonly #backoff: RetryBackoff;

  constructor(
    readonly config: WebhookClientConfig,
    opts: WebhookClientOptions = {},
  ) {
    this.#url = new URL(config.server);
    this.#token = config.token;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#backoff = opts.backoff ?? DEFAULT_RETRY_BACKOFF;
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            ...(config.caPem ? { ca: config.caPem } : {}),
            ...(config.certPem ? { cert: config.certPem, key: config.keyPem } : {}),
            ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
            rejectUnauthorized: !config.insecureSkipTlsVerify,
          })
        : new HttpAgent({ keepAlive: true });
  }

  /** The server URL, for messages (no credentials in it). */
  get server(): string {
    return `${this.#url.origin}${this.#url.pathname}`;
  }

  /**
   * POSTs `body` and resolves the JSON answer (with `expectJson: false`, any 2xx body, as the audit
   * webhook's `Do().Error()`); retries transient failures; rejects with a WebhookError.
   */
  async post(body: unknown, opts: { expectJson?: boolean } = {}): Promise<unknown> {
    const payload = Buffer.from(JSON.stringify(body));
    const b = this.#backoff;
    let delay = b.initialMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(payload, opts.expectJson !== false);
      } catch (e) {
        const err = e instanceof WebhookError ? e : new WebhookError(String(e), false);
        if (!err.retriable || attempt >= b.steps) throw err;
      }
      await new Promise((r) => setTimeout(r, delay * (1 + b.jitter * Math.random())));
      delay *= b.factor;
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  #once(payload: Buffer, expectJson: boolean): Promise<unknown> {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      accept: 'application/json, */*',
      'content-length': payload.length,
      'user-agent': `kube-apiserver/${KUBERNETES_VERSION.gitVersion} (${process.platform}/${process.arch}) mkube`,
    };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const fail = (err: WebhookError) => {
        req.destroy();
        reject(err);
      };
      const req = send(this.#url, { method: 'POST', headers, agent: this.#agent }, (res) => {
        readLimitedBody(res, MAX_RESPONSE_BYTES).then(
          (text) => {
            const code = res.statusCode ?? 0;
            if (code < 200 || code > 299) {
              const retryAfter = res.headers['retry-after'] !== undefined && code >= 500;
              const retriable = code === 429 || code === 500 || code === 504 || retryAfter;
              // Not the body: a webhook may echo what it was sent.
              reject(
                new WebhookError(
                  `${this.server} answered HTTP ${code} ${res.statusMessage ?? ''}`.trim(),
                  retriable,
                  code,
                ),
              );
              return;
            }
            if (!expectJson) {
              resolve(undefined);
              return;
            }
            try {
              const json: unknown = JSON.parse(text);
              if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object');
              resolve(json);
            } catch {
              reject(new WebhookError(`${this.server} answered with a body that is not a JSON object`, false, code));
            }
          },
          (e: Error) => fail(new WebhookError(`${this.server}: ${e.message}`, false)),
        );
      });
      // The timer covers the whole attempt; an idle socket is no reason to keep the process up.
      const timer = setTimeout(
        () => fail(new WebhookError(`${this.server}: timed out after ${this.#timeoutMs} ms`, false)),
        this.#timeoutMs,
      );
      timer.unref();
      req.on('close', () => clearTimeout(timer));
      req.on('socket', (s) => s.unref());
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new WebhookError(
            `${this.server}: ${e.code ?? e.message}${e.code ? ` (${e.message})` : ''}`,
            e.code === 'ECONNRESET',
          ),
        );
      });
      req.end(payload);
    });
  }
}
