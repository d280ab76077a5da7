// KubeClient: requests and watches against an apiserver over kept-alive, multiplexed mutual-TLS
// connections. Options are checked once and frozen; credentials rotate by generation.
//
// Failover (a highly available control plane: several apiservers on one etcd). `servers` lists
// them, `server` first; each gets its own transport, made on first use. Requests stick to the
// server that answered last. One whose connection fails at the network level — refused, reset or
// closed before a response, connect timeout, host or network unreachable, name not found —
// marks that server down (5 s, doubling per failure in a row up to 30 s) and is tried on the
// next one: servers not marked down first, then the down ones, soonest back first; each at most
// once per request, all within the request's one deadline. Never failed over: TLS failures
// (a certificate problem is not an outage, and another server of the same cluster has the same
// CA), HTTP statuses (429, 5xx… are answers), the caller's abort and the client's deadline.
//
// Only resent when that is safe: the request never reached a connection (connect-phase failures
// — nothing was written), or it is a GET/HEAD (and so every watch). A POST, PUT, PATCH or DELETE
// whose connection died after it was written fails with the error: the server may have applied
// it before dying, and resending it elsewhere could create twice or apply a stale update; the
// callers' retry loops (controllers requeue, the kubelet's status and lease loops) re-read and
// retry, which the next request then does through a live server.
//
// A watch stream that breaks after it started ends as before; the ListWatcher re-watches from its
// last resourceVersion, and that watch request goes through the failover like any other
// (resourceVersions are etcd's, shared by all the apiservers; a 410 still means relist).
// With a single server none of this runs: same requests, same errors.
import { StatusError } from '../apierrors/index.js';
import { sleep } from './backoff.js';
import type { CredentialProvider, ProvidedCredentials } from './credentials.js';
import { ClientError, toClientError } from './errors.js';
import type { Sent } from './h2exchange.js';
import { encodeQuery } from './paths.js';
import { ResourceClient } from './resource.js';
import { errorFromBody, parseSuccess } from './response.js';
import {
  type Protocol,
  type TlsCredentials,
  Transport,
  type TransportOptions,
  type TransportStats,
} from './transport.js';
import type { ClientLogger, HttpMethod, KubeObject, Query, RequestOptions, ResourceRef } from './types.js';
import type { UnaryResponse } from './unary.js';
import { Watch } from './watch.js';

export interface ClientOptions extends TlsCredentials {
  /** `https://host:port`, optionally with a path prefix: the preferred apiserver. */
  readonly server: string;
  /**
   * All apiservers of the cluster to fail over between (the kubeconfig's mkube.io/apiservers
   * extension). `server` comes first whether listed or not; duplicates are dropped.
   */
  readonly servers?: readonly string[];
  /** A function is called per request, so a rotated token is picked up without a new client. */
  readonly token?: string | (() => string);
  /**
   * Asked before every request when neither a token nor a client certificate is given (a
   * kubeconfig's exec plugin): its token is sent, a certificate it hands out becomes the
   * connections' (new ones; running requests finish on the old), and a 401 is reported to it.
   */
  readonly credentialProvider?: CredentialProvider;
  readonly userAgent?: string;
  /** Whole-request deadline for non-watch requests; 0 for none. Default 30 s. */
  readonly timeoutMs?: number;
  /** Offer HTTP/2 in ALPN. Default true. */
  readonly allowH2?: boolean;
  /** Connection bound for HTTP/1.1 (one per running request or watch); h2 uses one connection. Default 16. */
  readonly connections?: number;
  /** Go's dial deadline for a new connection (default 30 s), then its TLS handshake's from TCP up (10 s). */
  readonly dialTimeoutMs?: number;
  readonly tlsHandshakeTimeoutMs?: number;
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

interface ServerUrl {
  readonly origin: string;
  readonly basePath: string;
}

interface Parsed {
  /** The preferred server first, each server once. */
  readonly servers: readonly ServerUrl[];
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

function parseServer(server: string): ServerUrl {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ClientError('EINVAL', `invalid server URL ${JSON.stringify(server)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ClientError('EINVAL', `server URL must be https: ${JSON.stringify(server)}`);
  }
  if (url.search || url.hash || url.username) {
    throw new ClientError('EINVAL', 'server URL may not carry a query, fragment or user info');
  }
  return Object.freeze({ origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') });
}

function parseOptions(opts: ClientOptions): Parsed {
  const servers: ServerUrl[] = [];
  for (const s of [opts.server, ...(opts.servers ?? [])]) {
    const u = parseServer(s);
    if (!servers.some((x) => x.origin === u.origin && x.basePath === u.basePath)) servers.push(u);
  }
  checkPair(opts.clientCertPem, opts.clientKeyPem);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new ClientError('EINVAL', 'timeoutMs must be >= 0');
  return Object.freeze({
    servers: Object.freeze(servers),
    userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
    timeoutMs,
    logger: opts.logger,
  });
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(JSON.stringify(body));
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

/** `p`, or the signal's abort if that comes first (the work behind `p` goes on for other callers). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A server found down is skipped for this long, doubling per failure in a row up to the max. */
export const FAILOVER_DOWN_MS = 5_000;
export const FAILOVER_MAX_DOWN_MS = 30_000;

/** Client error codes that mean "this server cannot be reached", as opposed to an answer or a TLS problem. */
const UNREACHABLE: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/** A network-level failure to reach the server (not a deadline of ours: headers/body timeouts are not). */
function unreachable(err: ClientError): boolean {
  if (UNREACHABLE.has(err.code)) return true;
  return err.code === 'ETIMEDOUT' && (err.causeCode === 'UND_ERR_CONNECT_TIMEOUT' || err.causeCode === 'ETIMEDOUT');
}

/** Verbs that may be sent twice: reads (and so every watch). */
const RESENDABLE: ReadonlySet<HttpMethod> = new Set<HttpMethod>(['GET', 'HEAD']);

/** One apiserver: its transport (made on first use) and whether it was found down. */
interface Endpoint extends ServerUrl {
  transport: Transport | undefined;
  /** Epoch ms until which it is tried only after the others. */
  downUntil: number;
  /** Failures in a row, for the backoff of `downUntil`. */
  failures: number;
}

export class KubeClient {
  readonly #opts: Parsed;
  /** Transport options without the origin; rotated credentials land here for transports made later. */
  #transportOpts: Omit<TransportOptions, 'origin'>;
  readonly #endpoints: readonly Endpoint[];
  /** Index of the endpoint requests go to first: the one that answered last. */
  #current = 0;
  #closed = false;
  #token: string | (() => string) | undefined;
  readonly #provider: CredentialProvider | undefined;
  /** The provider's certificate the connections present now. */
  #providedCertPem: string | undefined;

  constructor(opts: ClientOptions) {
    this.#opts = parseOptions(opts);
    this.#token = opts.token;
    // As client-go: a token or certificate given outright wins, and the plugin never runs.
    this.#provider = opts.token || opts.clientCertPem ? undefined : opts.credentialProvider;
    this.#transportOpts = {
      caPem: opts.caPem,
      insecureSkipTlsVerify: opts.insecureSkipTlsVerify,
      tlsServerName: opts.tlsServerName,
      clientCertPem: opts.clientCertPem,
      clientKeyPem: opts.clientKeyPem,
      allowH2: opts.allowH2 ?? true,
      connections: Math.max(1, Math.floor(opts.connections ?? DEFAULT_CONNECTIONS)),
      ...(opts.dialTimeoutMs ? { dialTimeoutMs: opts.dialTimeoutMs } : {}),
      ...(opts.tlsHandshakeTimeoutMs ? { tlsHandshakeTimeoutMs: opts.tlsHandshakeTimeoutMs } : {}),
    };
    this.#endpoints = this.#opts.servers.map((u) => ({ ...u, transport: undefined, downUntil: 0, failures: 0 }));
    // The preferred server's transport is made now, so bad credentials fail here as before.
    this.#transportOf(this.#endpoints[0]!);
  }

  /** The preferred server (the kubeconfig's `server`). */
  get server(): string {
    const e = this.#endpoints[0]!;
    return e.origin + e.basePath;
  }

  /** Every server this client fails over between, the preferred one first. */
  get servers(): string[] {
    return this.#endpoints.map((e) => e.origin + e.basePath);
  }

  /** The server requests go to first now: the one that answered last. */
  get activeServer(): string {
    const e = this.#endpoints[this.#current]!;
    return e.origin + e.basePath;
  }

  /** 'h2' or 'http/1.1' once a connection of the current credentials (to the active server) is up. */
  get protocol(): Protocol | undefined {
    return this.#endpoints[this.#current]!.transport?.protocol;
  }

  /** Connection figures of the current credential generation, over all servers (for metrics and tests). */
  get stats(): TransportStats {
    const sum: TransportStats = { connected: 0, running: 0, queued: 0, retiring: 0 };
    for (const e of this.#endpoints) {
      const s = e.transport?.stats;
      if (!s) continue;
      sum.connected += s.connected;
      sum.running += s.running;
      sum.queued += s.queued;
      sum.retiring += s.retiring;
    }
    return sum;
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
    this.#target(this.#endpoints[0]!, path, query);
    const abort = new Abort(opts.signal, 0);
    const seconds = Number(query.timeoutSeconds ?? 0);
    const order = this.#order();
    for (let i = 0; ; i++) {
      const ep = order[i]!;
      const target = this.#target(ep, path, query);
      const sent: Sent = { value: false };
      try {
        const provided = this.#provider ? await this.#provided(abort, 'GET', target.display) : undefined;
        const lease = await this.#transportOf(ep).lease(abort.ctl.signal);
        const res = await lease.stream(
          {
            method: 'GET',
            path: target.path,
            headers: this.#headers('application/json', undefined, provided),
            body: undefined,
          },
          abort.ctl.signal,
          order.length > 1 ? sent : undefined,
          {
            headersMs: this.#opts.timeoutMs,
            // A silent stream outliving the server's own deadline by a minute is a dead connection.
            bodyIdleMs: seconds > 0 ? (seconds + 60) * 1000 : 0,
          },
        );
        this.#reached(ep);
        if (res.statusCode === 401 && provided) this.#provider?.unauthorized(provided);
        if (res.statusCode < 200 || res.statusCode >= 300) {
          const text = await res.text();
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
        if (err instanceof StatusError || err instanceof ClientError) {
          abort.dispose();
          throw err;
        }
        const e = toClientError(err, 'GET', target.display, abort.why);
        if (this.#failover(order, i, e, 'GET', sent.value, abort)) continue;
        abort.dispose();
        throw e;
      }
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
    if (Object.keys(tls).length === 0) return;
    // The preferred server's transport first: bad PEMs throw before anything changed elsewhere.
    const [first, ...rest] = this.#endpoints;
    first?.transport?.rotate(tls, opts.drainTimeoutMs);
    this.#transportOpts = { ...this.#transportOpts, ...tls };
    for (const e of rest) e.transport?.rotate(tls, opts.drainTimeoutMs);
  }

  /** Lets running requests finish for up to `graceMs` (default 5 s), then cuts the rest. */
  async close(opts: { graceMs?: number } = {}): Promise<void> {
    this.#closed = true;
    const graceMs = opts.graceMs ?? 5000;
    await Promise.all(this.#endpoints.map((e) => e.transport?.close(graceMs)));
  }

  #transportOf(ep: Endpoint): Transport {
    ep.transport ??= new Transport({ ...this.#transportOpts, origin: ep.origin });
    return ep.transport;
  }

  /** Where a request tries, in order: from the active server on, those not marked down first. */
  #order(): readonly Endpoint[] {
    const all = this.#endpoints;
    if (all.length === 1) return all;
    const now = Date.now();
    const rotated = all.map((_, i) => all[(this.#current + i) % all.length]!);
    const up = rotated.filter((e) => e.downUntil <= now);
    const down = rotated.filter((e) => e.downUntil > now).sort((a, b) => a.downUntil - b.downUntil);
    return [...up, ...down];
  }

  /** The server answered (any status): it is up, and requests stay with it. */
  #reached(ep: Endpoint): void {
    if (this.#endpoints.length === 1) return;
    ep.failures = 0;
    ep.downUntil = 0;
    this.#current = this.#endpoints.indexOf(ep);
  }

  /**
   * After attempt `i` of `order` failed with `err`: marks its server down if it was unreachable,
   * and says whether to try the next server (see the rules at the top of this file).
   */
  #failover(
    order: readonly Endpoint[],
    i: number,
    err: ClientError,
    method: HttpMethod,
    sent: boolean,
    abort: Abort,
  ): boolean {
    const ep = order[i]!;
    if (order.length === 1 || abort.why || !unreachable(err)) return false;
    const now = Date.now();
    if (ep.downUntil <= now) {
      // Requests failing together on one dead connection count as one failure.
      ep.failures++;
      const downMs = Math.min(FAILOVER_DOWN_MS * 2 ** (ep.failures - 1), FAILOVER_MAX_DOWN_MS);
      ep.downUntil = now + downMs;
      this.#opts.logger?.warn(
        { server: ep.origin + ep.basePath, err: { code: err.code, message: err.message }, downMs },
        'apiserver unreachable; failing over',
      );
    }
    if (this.#closed || i + 1 >= order.length) return false;
    return !sent || RESENDABLE.has(method);
  }

  #target(ep: ServerUrl, path: string, query: Query | undefined): { path: string; display: string } {
    if (!path.startsWith('/')) throw new ClientError('EINVAL', `request path must start with '/': ${path}`);
    const full = `${ep.basePath}${path}${encodeQuery(query)}`;
    return { path: full, display: `${ep.origin}${full}` };
  }

  /**
   * The provider's credentials for one request (its plugin runs now if it must, bounded by the
   * request's deadline); a certificate it changed is put on new connections first.
   */
  async #provided(abort: Abort, method: HttpMethod, url: string): Promise<ProvidedCredentials> {
    let c: ProvidedCredentials | undefined = this.#provider!.peek?.();
    try {
      // Only a fetch can take long enough to need the request's deadline.
      c ??= await abortable(this.#provider!.get(), abort.ctl.signal);
    } catch (e) {
      if (abort.why) throw toClientError(e, method, url, abort.why);
      const prefix = `${method.charAt(0)}${method.slice(1).toLowerCase()} "${url}"`;
      throw new ClientError('ECREDENTIALS', `${prefix}: getting credentials: ${(e as Error).message}`, undefined, {
        cause: e,
      });
    }
    if (c.clientCertPem && c.clientCertPem !== this.#providedCertPem) {
      this.rotateCredentials({ clientCertPem: c.clientCertPem, clientKeyPem: c.clientKeyPem });
      this.#providedCertPem = c.clientCertPem;
    }
    return c;
  }

  #headers(accept: string, contentType: string | undefined, provided?: ProvidedCredentials): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': this.#opts.userAgent, accept };
    const token = provided ? provided.token : typeof this.#token === 'function' ? this.#token() : this.#token;
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
    this.#target(this.#endpoints[0]!, path, opts.query);
    const body = encodeBody(opts.body);
    const abort = new Abort(opts.signal, opts.timeoutMs ?? this.#opts.timeoutMs);
    try {
      const order = this.#order();
      let waits = 0;
      for (let i = 0; ; i++) {
        const ep = order[i]!;
        const target = this.#target(ep, path, opts.query);
        const sent: Sent = { value: false };
        try {
          const provided = this.#provider ? await this.#provided(abort, method, target.display) : undefined;
          const lease = await this.#transportOf(ep).lease(abort.ctl.signal);
          const res = await lease.unary(
            {
              method,
              path: target.path,
              headers: this.#headers(
                opts.accept ?? 'application/json',
                body === undefined ? undefined : (opts.contentType ?? 'application/json'),
                provided,
              ),
              body,
            },
            abort.ctl.signal,
            order.length > 1 ? sent : undefined,
            () => this.#reached(ep),
          );
          if (res.statusCode === 401 && provided) this.#provider?.unauthorized(provided);
          // client-go's checkWait: a 429 (never processed), or a GET's 5xx, with a Retry-After in
          // seconds is sent again after that long, ten times at most.
          const wait = retryAfterMs(res, method);
          if (wait !== undefined && waits < MAX_RETRY_AFTER_WAITS) {
            waits++;
            if (!(await sleep(wait, abort.ctl.signal))) throw abort.ctl.signal.reason;
            i--;
            continue;
          }
          if (res.statusCode < 200 || res.statusCode >= 300) throw errorFromBody(res.statusCode, res.text);
          return await read(res.text, target.display);
        } catch (err) {
          if (err instanceof StatusError || err instanceof ClientError) throw err;
          const e = toClientError(err, method, target.display, abort.why);
          if (this.#failover(order, i, e, method, sent.value, abort)) continue;
          throw e;
        }
      }
    } finally {
      abort.dispose();
    }
  }
}

/** client-go's maxRetries for answers that ask the client to wait (Retry-After). */
const MAX_RETRY_AFTER_WAITS = 10;

/** How long a 429 (any verb) or a GET's 5xx asks to be waited for; undefined: not to be retried. */
export function retryAfterMs(res: UnaryResponse, method: HttpMethod): number | undefined {
  if (res.retryAfter === undefined) return undefined;
  if (res.statusCode !== 429 && !(res.statusCode >= 500 && method === 'GET')) return undefined;
  // Go's retryAfterSeconds: a whole number of seconds, and above 0.
  if (!/^\d+$/.test(res.retryAfter.trim())) return undefined;
  const secs = Number(res.retryAfter.trim());
  return secs > 0 ? secs * 1000 : undefined;
}

export function createClient(opts: ClientOptions): KubeClient {
  return new KubeClient(opts);
}
