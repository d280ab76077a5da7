// Connections to one apiserver, one credential generation at a time. The TLS context is built
// once per set of credentials and shared by all their connections (and TLS sessions are resumed).
//
// Routing: the first connection offers h2 and http/1.1 in ALPN. If the server picks h2, one
// undici Client carries every request and watch as streams of that connection (Kubernetes'
// apiserver and Go's http2 transport work the same way). If it picks http/1.1, requests go to a
// bounded Pool, one request (or watch) per connection, as client-go's HTTP/1.1 transport.
//
// Three undici defaults are wrong for this and are fixed here:
//  - a Client dispatches one request at a time even after h2 was negotiated (pipelining 1), so
//    the connector raises pipelining once ALPN said h2;
//  - a Pool spreads a synchronous burst over new connections even when h2 could carry it all,
//    hence the single Client for h2;
//  - until the first connection is up the protocol is unknown, so only one request is let
//    through (a one-flight dial) and the rest wait for it: a burst neither opens `connections`
//    sockets nor queues behind a watch on a single HTTP/1.1 connection.
import { createHash } from 'node:crypto';
import {
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  TLSSocket,
} from 'node:tls';
import { buildConnector, Client, type Dispatcher, Pool } from 'undici';
import { leafOnlyForHostnameCheck } from './hostname.js';

/** Concurrent streams on the h2 connection; RFC 9113 asks servers to allow at least 100. */
export const MAX_STREAMS = 100;
const CONNECT_TIMEOUT_MS = 10_000;
const KEEP_ALIVE = { keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 } as const;

export interface TlsCredentials {
  readonly caPem?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

export interface TransportOptions extends TlsCredentials {
  readonly origin: string;
  readonly allowH2: boolean;
  /** Upper bound of HTTP/1.1 connections (one per in-flight request or watch). */
  readonly connections: number;
}

export type Protocol = 'h2' | 'http/1.1';

export interface TransportStats {
  /** Open connections of the current generation. */
  connected: number;
  /** Requests (and watches) running on them. */
  running: number;
  /** Requests waiting for a connection or a stream. */
  queued: number;
  /** Older generations still finishing requests after a rotation. */
  retiring: number;
}

// TLS contexts by credentials, as client-go's tlsCache shares one transport per TLS config: every
// client built from one kubeconfig (a kubelet's, or many identities' bootstrap kubeconfig in one
// process) parses the CA, certificate and key once. Sessions are not shared through it: each
// connector keeps its own session cache, and Node's contexts keep none of their own.
const SECURE_CONTEXTS_MAX = 64;
const secureContexts = new Map<string, SecureContext>();

function secureContextFor(creds: TlsCredentials): SecureContext {
  const id = createHash('sha256')
    .update(creds.caPem ?? '')
    .update('\0')
    .update(creds.clientCertPem ?? '')
    .update('\0')
    .update(creds.clientKeyPem ?? '')
    .digest('base64');
  let ctx = secureContexts.get(id);
  if (ctx) {
    // Most recently used last, so the oldest is evicted first.
    secureContexts.delete(id);
  } else {
    ctx = createSecureContext({ ca: creds.caPem, cert: creds.clientCertPem, key: creds.clientKeyPem });
    if (secureContexts.size >= SECURE_CONTEXTS_MAX) secureContexts.delete(secureContexts.keys().next().value!);
  }
  secureContexts.set(id, ctx);
  return ctx;
}

/** One set of credentials: its own TLS session cache and connections; a TLS context shared by equal credentials. */
class Generation {
  protocol: Protocol | undefined;
  readonly #opts: TransportOptions;
  readonly #secureContext: SecureContext;
  readonly #primary: Client | undefined;
  #pool: Pool | undefined;
  /** Set once the pool has taken over the HTTP/1.1 probe connection as its first client. */
  #adopted = false;
  #probing = false;
  #waiters: (() => void)[] = [];

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#secureContext = secureContextFor(opts);
    if (!opts.allowH2) {
      this.protocol = 'http/1.1';
      return;
    }
    const connector = this.#connector(true);
    const primary: Client = new Client(opts.origin, {
      ...KEEP_ALIVE,
      allowH2: true,
      maxConcurrentStreams: MAX_STREAMS,
      connect: (o, cb) =>
        connector(o, (...args) => {
          const [err, socket] = args;
          if (!err && socket) {
            const h2 = (socket as TLSSocket).alpnProtocol === 'h2';
            this.protocol = h2 ? 'h2' : 'http/1.1';
            primary.pipelining = h2 ? MAX_STREAMS : 1;
          }
          cb(...args);
        }),
    });
    primary.on('connect', () => this.#wake());
    primary.on('connectionError', () => this.#wake());
    this.#primary = primary;
  }

  #connector(allowH2: boolean): buildConnector.connector {
    const connect = buildConnector({
      secureContext: this.#secureContext,
      rejectUnauthorized: !this.#opts.insecureSkipTlsVerify,
      servername: this.#opts.tlsServerName,
      checkServerIdentity: verifyHostname,
      allowH2,
      timeout: CONNECT_TIMEOUT_MS,
    });
    // undici's connector returns the socket before its handshake (its types say void): the
    // hostname check is set up there.
    return (o, cb) => {
      const socket: unknown = (connect as (...a: Parameters<typeof connect>) => unknown)(o, cb);
      if (socket instanceof TLSSocket) leafOnlyForHostnameCheck(socket);
    };
  }

  /** Where a request goes now. */
  get dispatcher(): Dispatcher {
    if (this.protocol === 'http/1.1' || !this.#primary) return this.#h1Pool();
    return this.#primary;
  }

  #h1Pool(): Pool {
    if (!this.#pool) {
      this.#pool = new Pool(this.#opts.origin, {
        ...KEEP_ALIVE,
        connections: this.#opts.connections,
        connect: this.#connector(false),
        // The probe connection spoke HTTP/1.1: it becomes the pool's first connection, so the
        // pool stays within `connections`.
        factory: (origin, o) => {
          if (this.#primary && !this.#adopted) {
            this.#adopted = true;
            return this.#primary;
          }
          return new Client(origin, o as Client.Options);
        },
      });
    }
    return this.#pool;
  }

  get stats(): Omit<TransportStats, 'retiring'> {
    const c = this.#adopted ? undefined : this.#primary?.stats;
    const p = this.#pool?.stats;
    return {
      connected: (c?.connected ? 1 : 0) + (p?.connected ?? 0),
      running: (c?.running ?? 0) + (p?.running ?? 0),
      queued: (c ? c.size - c.running : 0) + (p?.queued ?? 0),
    };
  }

  /**
   * Resolves when a request may be dispatched. Returns a function the caller runs once its
   * request has settled, so waiters never outlive a probe that did not end in a connection.
   */
  async admit(signal: AbortSignal | undefined): Promise<() => void> {
    if (this.protocol !== undefined) return noop;
    if (!this.#probing) {
      this.#probing = true;
      return () => this.#wake();
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== go);
        reject(signal?.reason);
      };
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(go);
    });
    return noop;
  }

  #wake(): void {
    this.#probing = false;
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  #dispatchers(): Dispatcher[] {
    const own: (Dispatcher | undefined)[] = [this.#adopted ? undefined : this.#primary, this.#pool];
    return own.filter((d): d is Dispatcher => d !== undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.#dispatchers().map((d) => d.close().catch(noop)));
  }

  async destroy(): Promise<void> {
    await Promise.all(this.#dispatchers().map((d) => d.destroy().catch(noop)));
  }
}

const noop = (): void => {};

/**
 * Node's hostname check, re-coded: undici reads ERR_TLS_CERT_ALTNAME_INVALID as "this request
 * wanted another SNI name" and leaves the request counted on the client, so close() would hang.
 * Node's error (message and code) stays as the cause.
 */
function verifyHostname(host: string, cert: PeerCertificate): Error | undefined {
  const err = checkServerIdentity(host, cert);
  if (!err) return undefined;
  return Object.assign(new Error(err.message, { cause: err }), { code: 'ETLS_HOSTNAME' });
}

/**
 * `d` with a hook that runs when undici hands the request to a connection (h1 socket or h2
 * stream), right before its first byte is written. A request that failed without it never left
 * this process: a connect error, refused, reset during the TLS handshake, or a connect timeout.
 * The failover uses it to tell a write it may resend elsewhere from one it must not.
 */
export function observeStart(d: Dispatcher, onStart: () => void): Dispatcher {
  return d.compose(
    (dispatch) =>
      (opts, h): boolean =>
        dispatch(opts, {
          onRequestStart: (c, ctx) => {
            onStart();
            h.onRequestStart?.(c, ctx);
          },
          onRequestUpgrade: (c, code, headers, socket) => h.onRequestUpgrade?.(c, code, headers, socket),
          onResponseStart: (c, code, headers, msg) => h.onResponseStart?.(c, code, headers, msg),
          onResponseData: (c, chunk) => h.onResponseData?.(c, chunk),
          onResponseEnd: (c, trailers) => h.onResponseEnd?.(c, trailers),
          onResponseError: (c, err) => h.onResponseError?.(c, err),
        }),
  );
}

export interface Lease {
  readonly dispatcher: Dispatcher;
  /** Call once the request has settled (response headers or failure). */
  readonly done: () => void;
}

export class Transport {
  #opts: TransportOptions;
  #gen: Generation;
  readonly #retiring = new Set<Promise<void>>();
  #closed = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#gen = new Generation(opts);
  }

  /** The protocol the current generation negotiated, once it has connected. */
  get protocol(): Protocol | undefined {
    return this.#gen.protocol;
  }

  get stats(): TransportStats {
    return { ...this.#gen.stats, retiring: this.#retiring.size };
  }

  get closed(): boolean {
    return this.#closed;
  }

  async lease(signal: AbortSignal | undefined): Promise<Lease> {
    const gen = this.#gen;
    const done = await gen.admit(signal);
    return { dispatcher: gen.dispatcher, done };
  }

  /**
   * New requests use new credentials (a new TLS context and new connections); requests and
   * watches already running finish on the old connections, which close once idle. After
   * `drainTimeoutMs` (if set) the old connections are cut, ending long watches.
   */
  rotate(creds: TlsCredentials, drainTimeoutMs?: number): void {
    if (this.#closed) return;
    const old = this.#gen;
    this.#opts = { ...this.#opts, ...creds };
    this.#gen = new Generation(this.#opts);
    this.#retire(old, drainTimeoutMs);
  }

  #retire(gen: Generation, drainTimeoutMs: number | undefined): void {
    let timer: NodeJS.Timeout | undefined;
    if (drainTimeoutMs !== undefined) {
      timer = setTimeout(() => void gen.destroy(), drainTimeoutMs);
      timer.unref();
    }
    const p = gen.close().finally(() => {
      clearTimeout(timer);
      this.#retiring.delete(p);
    });
    this.#retiring.add(p);
  }

  /** Lets in-flight requests finish for up to `graceMs`, then cuts what is left. */
  async close(graceMs: number): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#retire(this.#gen, graceMs);
    }
    await Promise.all([...this.#retiring]);
  }
}
