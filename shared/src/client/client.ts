// KubeClient: requests and watches against one apiserver over kept-alive, multiplexed mutual-TLS
// connections. Options are checked once and frozen; credentials rotate by generation.
import { StatusError } from '../apierrors/index.js';
import { ClientError, toClientError } from './errors.js';
import { encodeQuery } from './paths.js';
import { ResourceClient } from './resource.js';
import { errorFromBody, parseSuccess } from './response.js';
import { type Lease, type Protocol, type TlsCredentials, Transport, type TransportStats } from './transport.js';
import type { ClientLogger, HttpMethod, KubeObject, Query, RequestOptions, ResourceRef } from './types.js';
import { Watch } from './watch.js';

export interface ClientOptions extends TlsCredentials {
  /** `https://host:port`, optionally with a path prefix. */
  readonly server: string;
  /** A function is called per request, so a rotated token is picked up without a new client. */
  readonly token?: string | (() => string);
  readonly userAgent?: string;
  /** Whole-request deadline for non-watch requests; 0 for none. Default 30 s. */
  readonly timeoutMs?: number;
  /** Offer HTTP/2 in ALPN. Default true. */
  readonly allowH2?: boolean;
  /** Connection bound for HTTP/1.1 (one per running request or watch); h2 uses one connection. Default 16. */
  readonly connections?: number;
  readonly logger?: ClientLogger;
}

/** What `rotateCredentials` may replace. */
export interface Credentials extends Pick<TlsCredentials, 'caPem' | 'clientCertPem' | 'clientKeyPem'> {
  readonly token?: string | (() => string);
}

export interface RotateOptions {
  /** Cut connections still busy with the old credentials after this long (ending old watches). */
  readonly drainTimeoutMs?: number;
}

export interface WatchRequestOptions {
  readonly query?: Query;
  readonly signal?: AbortSignal;
}

interface Parsed {
  readonly origin: string;
  readonly basePath: string;
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly logger: ClientLogger | undefined;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTIONS = 16;
const DEFAULT_USER_AGENT = `mkube/v0.1.0 (${process.platform}/${process.arch})`;

function checkPair(cert: string | undefined, key: string | undefined): void {
  if (Boolean(cert) !== Boolean(key)) {
    throw new ClientError('EINVAL', 'client certificate and client key must be given together');
  }
}

function parseOptions(opts: ClientOptions): Parsed {
  let url: URL;
  try {
    url = new URL(opts.server);
  } catch {
    throw new ClientError('EINVAL', `invalid server URL ${JSON.stringify(opts.server)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ClientError('EINVAL', `server URL must be https: ${JSON.stringify(opts.server)}`);
  }
  if (url.search || url.hash || url.username) {
    throw new ClientError('EINVAL', 'server URL may not carry a query, fragment or user info');
  }
  checkPair(opts.clientCertPem, opts.clientKeyPem);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new ClientError('EINVAL', 'timeoutMs must be >= 0');
  return Object.freeze({
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
    timeoutMs,
    logger: opts.logger,
  });
}

function encodeBody(method: HttpMethod, body: unknown): Uint8Array | undefined {
  if (body === undefined) return undefined;
  const bytes =
    typeof body === 'string' || body instanceof Uint8Array ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  // undici 7 over h2 asserts on a buffer body for methods outside PUT/POST/PATCH ("buffer body must
  // have content length"), which breaks DELETE with DeleteOptions. A one-element array takes its
  // iterable path (undici accepts iterables, its types do not), which still shares the connection.
  return method === 'PUT' || method === 'POST' || method === 'PATCH' ? bytes : ([bytes] as unknown as Uint8Array);
}

/** Links the caller's signal to a request's own controller; `why` says who aborted. */
class Abort {
  readonly ctl = new AbortController();
  why: 'caller' | 'timeout' | undefined;
  readonly #signal: AbortSignal | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.#fire('caller');

  constructor(signal: AbortSignal | undefined, timeoutMs: number) {
    this.#signal = signal;
    if (signal?.aborted) this.#fire('caller');
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (timeoutMs > 0) this.#timer = setTimeout(() => this.#fire('timeout'), timeoutMs);
  }

  #fire(why: 'caller' | 'timeout'): void {
    this.why ??= why;
    this.ctl.abort();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

export class KubeClient {
  readonly #opts: Parsed;
  readonly #transport: Transport;
  #token: string | (() => string) | undefined;

  constructor(opts: ClientOptions) {
    this.#opts = parseOptions(opts);
    this.#token = opts.token;
    this.#transport = new Transport({
      origin: this.#opts.origin,
      caPem: opts.caPem,
      insecureSkipTlsVerify: opts.insecureSkipTlsVerify,
      tlsServerName: opts.tlsServerName,
      clientCertPem: opts.clientCertPem,
      clientKeyPem: opts.clientKeyPem,
      allowH2: opts.allowH2 ?? true,
      connections: Math.max(1, Math.floor(opts.connections ?? DEFAULT_CONNECTIONS)),
    });
  }

  get server(): string {
    return this.#opts.origin + this.#opts.basePath;
  }

  /** 'h2' or 'http/1.1' once a connection of the current credentials is up. */
  get protocol(): Protocol | undefined {
    return this.#transport.protocol;
  }

  /** Connection figures of the current credential generation (for metrics and tests). */
  get stats(): TransportStats {
    return this.#transport.stats;
  }

  /** A typed, resource-addressed view, like client-go's dynamic client. */
  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    return new ResourceClient<T>(this, ref);
  }

  /** Sends a request and parses the JSON answer; non-2xx throws StatusError, transport failures ClientError. */
  async request<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.#unary(method, path, opts, async (text, url) => parseSuccess<T>(text, method, url));
  }

  /** Like `request` but returns the body as text (logs, YAML). */
  async requestText(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<string> {
    return this.#unary(method, path, opts, async (text) => text);
  }

  /**
   * Opens a watch (`path` plus `watch=true` and the caller's query). Resolves once the server
   * has answered; a non-2xx answer (403, 410…) throws here. The stream has no deadline: bound it
   * with `timeoutSeconds` in the query and end it with the signal or `Watch.close()`.
   */
  async watch<T>(path: string, opts: WatchRequestOptions = {}): Promise<Watch<T>> {
    const query: Query = { ...opts.query, watch: true };
    const target = this.#target(path, query);
    const abort = new Abort(opts.signal, 0);
    const seconds = Number(query.timeoutSeconds ?? 0);
    let lease: Lease | undefined;
    try {
      lease = await this.#transport.lease(abort.ctl.signal);
      const res = await lease.dispatcher.request({
        origin: this.#opts.origin,
        path: target.path,
        method: 'GET',
        headers: this.#headers('application/json', undefined),
        signal: abort.ctl.signal,
        idempotent: true,
        headersTimeout: this.#opts.timeoutMs || undefined,
        // A silent stream outliving the server's own deadline by a minute is a dead connection.
        bodyTimeout: seconds > 0 ? (seconds + 60) * 1000 : 0,
      });
      lease.done();
      lease = undefined;
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = await res.body.text();
        throw errorFromBody(res.statusCode, text);
      }
      return new Watch<T>({
        body: res.body,
        abort: () => abort.ctl.abort(),
        aborted: () => abort.ctl.signal.aborted,
        cleanup: () => abort.dispose(),
        method: 'GET',
        url: target.display,
        logger: this.#opts.logger,
      });
    } catch (err) {
      abort.dispose();
      if (err instanceof StatusError || err instanceof ClientError) throw err;
      throw toClientError(err, 'GET', target.display, abort.why);
    } finally {
      lease?.done();
    }
  }

  /**
   * New requests use the new credentials on new connections (the kubelet's client certificate
   * rotation); requests and watches already running finish on the old ones. A token given here
   * replaces the old one at once.
   */
  rotateCredentials(creds: Credentials, opts: RotateOptions = {}): void {
    if (creds.clientCertPem !== undefined || creds.clientKeyPem !== undefined) {
      checkPair(creds.clientCertPem, creds.clientKeyPem);
    }
    if (creds.token !== undefined) this.#token = creds.token;
    const tls: TlsCredentials = {
      ...(creds.caPem !== undefined ? { caPem: creds.caPem } : {}),
      ...(creds.clientCertPem !== undefined ? { clientCertPem: creds.clientCertPem } : {}),
      ...(creds.clientKeyPem !== undefined ? { clientKeyPem: creds.clientKeyPem } : {}),
    };
    if (Object.keys(tls).length > 0) this.#transport.rotate(tls, opts.drainTimeoutMs);
  }

  /** Lets running requests finish for up to `graceMs` (default 5 s), then cuts the rest. */
  async close(opts: { graceMs?: number } = {}): Promise<void> {
    await this.#transport.close(opts.graceMs ?? 5000);
  }

  #target(path: string, query: Query | undefined): { path: string; display: string } {
    if (!path.startsWith('/')) throw new ClientError('EINVAL', `request path must start with '/': ${path}`);
    const full = `${this.#opts.basePath}${path}${encodeQuery(query)}`;
    return { path: full, display: `${this.#opts.origin}${full}` };
  }

  #headers(accept: string, contentType: string | undefined): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': this.#opts.userAgent, accept };
    const token = typeof this.#token === 'function' ? this.#token() : this.#token;
    if (token) h.authorization = `Bearer ${token}`;
    if (contentType) h['content-type'] = contentType;
    return h;
  }

  async #unary<R>(
    method: HttpMethod,
    path: string,
    opts: RequestOptions,
    read: (text: string, url: string) => Promise<R>,
  ): Promise<R> {
    const target = this.#target(path, opts.query);
    const body = encodeBody(method, opts.body);
    const abort = new Abort(opts.signal, opts.timeoutMs ?? this.#opts.timeoutMs);
    let lease: Lease | undefined;
    try {
      lease = await this.#transport.lease(abort.ctl.signal);
      const res = await lease.dispatcher.request({
        origin: this.#opts.origin,
        path: target.path,
        method,
        headers: this.#headers(
          opts.accept ?? 'application/json',
          body === undefined ? undefined : (opts.contentType ?? 'application/json'),
        ),
        body,
        signal: abort.ctl.signal,
        // Bodies here are buffers, so any request may share an h2 connection with a running watch
        // (undici otherwise holds a POST back until the connection is idle).
        idempotent: true,
      });
      lease.done();
      lease = undefined;
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) throw errorFromBody(res.statusCode, text);
      return await read(text, target.display);
    } catch (err) {
      if (err instanceof StatusError || err instanceof ClientError) throw err;
      throw toClientError(err, method, target.display, abort.why);
    } finally {
      lease?.done();
      abort.dispose();
    }
  }
}

export function createClient(opts: ClientOptions): KubeClient {
  return new KubeClient(opts);
}
