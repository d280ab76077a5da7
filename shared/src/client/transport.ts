// Connections to one apiserver, one credential generation at a time. The TLS context is built
// once per set of credentials and shared by all their connections (and TLS sessions are resumed).
//
// Routing: the first connection offers h2 and http/1.1 in ALPN. If the server picks h2, that one
// connection carries every request and watch as streams (Kubernetes' apiserver and Go's http2
// transport work the same way), framed by mkube's own HTTP/2 client (../h2, see h2exchange.ts
// for why not undici's). If it picks http/1.1, requests go to a bounded undici Pool, one request
// (or watch) per connection, as client-go's HTTP/1.1 transport; the probe connection, on which
// nothing was written yet, becomes the pool's first. Until that first connection is up the
// protocol is unknown, so every request waits for its handshake (one dial, not one per request).

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  TLSSocket,
} from 'node:tls';
import { buildConnector, type Dispatcher, Pool } from 'undici';
import { H2Connection, H2Error } from '../h2/index.js';
import { type DialDeadlines, watchDial } from '../net/dialdeadline.js';
import { unbracketHost } from '../net/hostport.js';
import {
  h2Stream,
  h2Unary,
  type OutgoingRequest,
  type Sent,
  type StreamedResponse,
  type StreamTimeouts,
} from './h2exchange.js';
import { leafOnlyForHostnameCheck } from './hostname.js';
import { dispatchUnary, type UnaryResponse } from './unary.js';

/** How many times an unsent request is sent again on a fresh connection (client-go's maxRetries). */
const MAX_UNSENT_RETRIES = 10;

/** Concurrent streams on the h2 connection; RFC 9113 asks servers to allow at least 100. */
export const MAX_STREAMS = 100;
const KEEP_ALIVE = { keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 } as const;

export interface TlsCredentials {
  readonly caPem?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

export interface TransportOptions extends TlsCredentials, DialDeadlines {
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
// generation keeps its own, and Node's contexts keep none of their own.
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

/** Where a leased request goes: an h2 connection's stream, or an undici dispatcher. */
export interface Lease {
  /** One request, the whole answer in memory. `sent`, when given, is set once it may have reached the server. */
  unary(
    req: OutgoingRequest,
    signal: AbortSignal,
    sent: Sent | undefined,
    onResponse: () => void,
  ): Promise<UnaryResponse>;
  /** A request whose answer streams (a watch). */
  stream(
    req: OutgoingRequest,
    signal: AbortSignal,
    sent: Sent | undefined,
    t: StreamTimeouts,
  ): Promise<StreamedResponse>;
}

/** One set of credentials: its own TLS sessions and connections; a TLS context shared by equal credentials. */
class Generation {
  protocol: Protocol | undefined;
  readonly #opts: TransportOptions;
  readonly #url: URL;
  readonly #secureContext: SecureContext;
  #h2: H2Connection | undefined;
  #dialing: Promise<H2Connection | undefined> | undefined;
  /** Requests waiting for the dial. */
  #waiting = 0;
  #session: Buffer | undefined;
  /** The http/1.1 probe socket, for the pool's first connection. */
  #probeSocket: TLSSocket | undefined;
  #pool: Pool | undefined;
  /** Connections with streams still open after the current one was replaced (GOAWAY, failure). */
  readonly #draining = new Set<H2Connection>();
  #closed = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#url = new URL(opts.origin);
    this.#secureContext = secureContextFor(opts);
    if (!opts.allowH2) this.protocol = 'http/1.1';
  }

  #dial(): Promise<H2Connection | undefined> {
    const host = unbracketHost(this.#url.hostname);
    const servername = this.#opts.tlsServerName || (isIP(host) ? undefined : host);
    const conn = new H2Connection({
      host,
      port: Number(this.#url.port || 443),
      ...(servername ? { servername } : {}),
      authority: this.#url.host,
      secureContext: this.#secureContext,
      rejectUnauthorized: !this.#opts.insecureSkipTlsVerify,
      checkServerIdentity: verifyHostname,
      alpnProtocols: ['h2', 'http/1.1'],
      ...(this.#opts.dialTimeoutMs ? { dialTimeoutMs: this.#opts.dialTimeoutMs } : {}),
      ...(this.#opts.tlsHandshakeTimeoutMs ? { tlsHandshakeTimeoutMs: this.#opts.tlsHandshakeTimeoutMs } : {}),
      ...(this.#session ? { session: this.#session } : {}),
      onSocket: (socket) => leafOnlyForHostnameCheck(socket),
      onOtherProtocol: (socket) => {
        this.#probeSocket = socket;
      },
      unrefWhenIdle: true,
    });
    conn.onClose(() => {
      this.#session = conn.session ?? this.#session;
      this.#draining.delete(conn);
      if (this.#h2 === conn) this.#h2 = undefined;
    });
    return conn.connected.then(
      () => {
        this.protocol = 'h2';
        if (this.#closed) conn.close();
        else this.#h2 = conn;
        return conn;
      },
      (err: H2Error) => {
        if (this.#probeSocket) {
          this.protocol = 'http/1.1';
          if (this.#closed) this.#probeSocket.destroy();
          return undefined;
        }
        throw err;
      },
    );
  }

  /** The live h2 connection, dialled if needed; undefined when the server speaks HTTP/1.1. */
  async #connection(): Promise<H2Connection | undefined> {
    const cur = this.#h2;
    if (cur && !cur.closed) return cur;
    if (cur) {
      // Going away: its open streams finish there, new ones go to a new connection.
      this.#draining.add(cur);
      this.#h2 = undefined;
    }
    if (!this.#dialing) {
      this.#dialing = this.#dial().finally(() => {
        this.#dialing = undefined;
      });
    }
    this.#waiting++;
    try {
      return await this.#dialing;
    } finally {
      this.#waiting--;
    }
  }

  #connector(allowH2: boolean): buildConnector.connector {
    const connect = buildConnector({
      secureContext: this.#secureContext,
      rejectUnauthorized: !this.#opts.insecureSkipTlsVerify,
      servername: this.#opts.tlsServerName,
      checkServerIdentity: verifyHostname,
      allowH2,
      // Its one deadline covers TCP and TLS together; Go's two (dial, then handshake) are set below.
      timeout: 0,
    });
    // undici's connector returns the socket before its handshake (its types say void): the
    // hostname check is set up there. The h2 probe's socket, when the server chose HTTP/1.1,
    // is handed over as the first connection.
    return (o, cb) => {
      const probe = this.#probeSocket;
      if (probe && !probe.destroyed) {
        this.#probeSocket = undefined;
        // Never synchronously: undici's resume loop ignores a connection made inside it.
        process.nextTick(cb, null, probe);
        return;
      }
      const socket: unknown = (connect as (...a: Parameters<typeof connect>) => unknown)(o, cb);
      if (socket instanceof TLSSocket) {
        leafOnlyForHostnameCheck(socket);
        const host = unbracketHost(o.hostname);
        watchDial(socket, host, Number(o.port || 443), this.#opts, (message) =>
          socket.destroy(Object.assign(new Error(message), { code: 'ETIMEDOUT' })),
        );
      }
    };
  }

  #h1Pool(): Pool {
    this.#pool ??= new Pool(this.#opts.origin, {
      ...KEEP_ALIVE,
      connections: this.#opts.connections,
      connect: this.#connector(false),
    });
    return this.#pool;
  }

  get stats(): Omit<TransportStats, 'retiring'> {
    const h2 = this.#h2 && !this.#h2.closed ? this.#h2 : undefined;
    const p = this.#pool?.stats;
    return {
      connected: (h2?.reached ? 1 : 0) + (p?.connected ?? 0),
      running: (h2 ? h2.active - h2.queued : 0) + (p?.running ?? 0),
      queued: this.#waiting + (h2?.queued ?? 0) + (p?.queued ?? 0),
    };
  }

  /** Resolves with where the request goes once the protocol is known (the first dial is shared). */
  async lease(): Promise<Lease> {
    if (this.protocol !== 'http/1.1') {
      const conn = await this.#connection();
      if (conn) return this.#h2Lease(conn);
    }
    return undiciLease(this.#h1Pool(), this.#opts.origin);
  }

  #h2Lease(conn: H2Connection): Lease {
    // An unsent request on a connection that went away meanwhile (GOAWAY, an idle close) is
    // sent again on a fresh connection: the server never saw it. Again and again, as Go's
    // transport retries, since the fresh one may go away too (--goaway-chance, a rolling restart);
    // bounded, as client-go bounds its retries.
    const again = async <R>(err: unknown, signal: AbortSignal, run: (c: H2Connection) => Promise<R>): Promise<R> => {
      let failed = conn;
      let last = err;
      for (let attempt = 0; attempt < MAX_UNSENT_RETRIES; attempt++) {
        if (!(last instanceof H2Error && last.unsent && failed.reached && !signal.aborted && !this.#closed)) throw last;
        const next = await this.#connection();
        if (!next || next === failed) throw last;
        try {
          return await run(next);
        } catch (e) {
          failed = next;
          last = e;
        }
      }
      throw last;
    };
    return {
      unary: (req, signal, sent, onResponse) =>
        h2Unary(conn, req, signal, sent, onResponse).catch((err) =>
          again(err, signal, (c) => h2Unary(c, req, signal, sent, onResponse)),
        ),
      stream: (req, signal, sent, t) =>
        h2Stream(conn, req, signal, sent, t).catch((err) =>
          again(err, signal, (c) => h2Stream(c, req, signal, sent, t)),
        ),
    };
  }

  #connections(): H2Connection[] {
    return [...(this.#h2 ? [this.#h2] : []), ...this.#draining];
  }

  async close(): Promise<void> {
    this.#closed = true;
    const conns = this.#connections();
    await Promise.all([
      ...conns.map(async (c) => {
        await c.idle();
        c.close();
      }),
      this.#pool?.close().catch(noop),
    ]);
    this.#probeSocket?.destroy();
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    for (const c of this.#connections()) c.close();
    this.#probeSocket?.destroy();
    await this.#pool?.destroy().catch(noop);
  }
}

/** A request on an undici dispatcher (the HTTP/1.1 pool). */
function undiciLease(d: Dispatcher, origin: string): Lease {
  const via = (sent: Sent | undefined): Dispatcher => (sent ? observeStart(d, () => (sent.value = true)) : d);
  return {
    unary: (req, signal, sent, onResponse) =>
      dispatchUnary(
        via(sent),
        {
          origin,
          path: req.path,
          method: req.method as Dispatcher.HttpMethod,
          headers: req.headers,
          body: undiciBody(req),
          // Bodies here are buffers: safe to retry on a fresh connection (undici otherwise holds
          // a POST back until the connection is idle).
          idempotent: true,
        },
        signal,
        onResponse,
      ),
    stream: async (req, signal, sent, t) => {
      const res = await via(sent).request({
        origin,
        path: req.path,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        signal,
        idempotent: true,
        headersTimeout: t.headersMs || undefined,
        bodyTimeout: t.bodyIdleMs,
      });
      return { statusCode: res.statusCode, body: res.body, text: () => res.body.text() };
    },
  };
}

/**
 * undici 7 asserts on a buffer body for methods outside PUT/POST/PATCH ("buffer body must have
 * content length"), which breaks DELETE with DeleteOptions; a one-element array takes its
 * iterable path (undici accepts iterables, its types do not).
 */
function undiciBody(req: OutgoingRequest): Uint8Array | undefined {
  const b = req.body;
  if (b === undefined) return undefined;
  const m = req.method;
  return m === 'PUT' || m === 'POST' || m === 'PATCH' ? b : ([b] as unknown as Uint8Array);
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

  /** Where a request goes; waits for the first connection's handshake (or the caller's abort). */
  lease(signal: AbortSignal | undefined): Promise<Lease> {
    const p = this.#gen.lease();
    if (!signal) return p;
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (l) => {
          signal.removeEventListener('abort', onAbort);
          resolve(l);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
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
