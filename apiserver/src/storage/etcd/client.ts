// A small etcd v3 client: one connection per member (mutual TLS) for the KV RPCs the store
// needs, another for Watch streams, with messages coded by protobufjs from ./rpc.proto. Measured
// before choosing (bench:store, and loops of Txn calls against a real etcd): the etcd3 package's
// per-call fault-handling wrappers cost about a tenth of the apiserver's CPU, and its pool resets
// every channel of a member whenever a stream ends CANCELLED — which is how a watch is stopped —
// so churning watches opened its circuit breaker; @grpc/grpc-js costs 260–720 µs of CPU per call,
// gRPC on Node's own HTTP/2 client ~150 µs, and on the HTTP/2 framing in @mkube/shared/h2 ~50 µs.
// A call is most of an apiserver write, so unary calls use that; watches, long bidirectional streams where
// per-call cost does not matter, stay on node:http2. gRPC's wire format is small: a 5-byte length
// prefix per message, the status in the trailers.
//
// Failover follows clientv3: the client sticks to one member; a call that fails UNAVAILABLE
// marks that member down for a while and is retried on the next one when that is safe — always
// for reads, and for writes only when the request never reached a server (no connection, or etcd
// said it has no leader), since a retried write that had been applied would report a spurious
// conflict.

import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { H2Connection, type HeaderList } from '@mkube/shared/h2';
import { unbracketHost } from '@mkube/shared/net';
import protobuf from 'protobufjs';

export interface KeyValuePb {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
}

export interface ResponseHeaderPb {
  revision: number;
}

export interface RangeRequestPb {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  count_only?: boolean;
}

export interface RangeResponsePb {
  header: ResponseHeaderPb;
  kvs: KeyValuePb[];
  more: boolean;
  count: number;
}

export interface ComparePb {
  key: Buffer;
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  mod_revision?: number;
  create_revision?: number;
}

export interface RequestOpPb {
  request_range?: RangeRequestPb;
  request_put?: { key: Buffer; value: Buffer; prev_kv?: boolean };
  request_delete_range?: { key: Buffer; range_end?: Buffer; prev_kv?: boolean };
}

export interface TxnRequestPb {
  compare: ComparePb[];
  success: RequestOpPb[];
  failure: RequestOpPb[];
}

export interface TxnResponsePb {
  header: ResponseHeaderPb;
  succeeded: boolean;
  responses: {
    response_range?: RangeResponsePb;
    response_put?: { header: ResponseHeaderPb; prev_kv: KeyValuePb | null };
    response_delete_range?: { header: ResponseHeaderPb; deleted: number; prev_kvs: KeyValuePb[] };
  }[];
}

export interface WatchRequestPb {
  create_request?: {
    key: Buffer;
    range_end?: Buffer;
    start_revision?: number;
    progress_notify?: boolean;
    prev_kv?: boolean;
  };
  cancel_request?: { watch_id: number };
  progress_request?: Record<string, never>;
}

export interface EventPb {
  type: 'PUT' | 'DELETE';
  kv: KeyValuePb;
  prev_kv: KeyValuePb | null;
}

export interface WatchResponsePb {
  header: ResponseHeaderPb;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: EventPb[];
}

/** gRPC status codes the store tells apart. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES: Record<number, string> = {
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

/** A failed call, worded as gRPC's clients word it: `14 UNAVAILABLE: <details>`. */
export class GrpcError extends Error {
  override readonly name = 'GrpcError';
  constructor(
    readonly code: number,
    readonly details: string,
    /** The request never left this process, or etcd refused it before applying anything. */
    readonly unsent = false,
  ) {
    super(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`);
  }
}

export interface EtcdClientOptions {
  readonly servers: readonly string[];
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Deadline of each unary call. */
  readonly requestTimeoutMs: number;
}

const PROTO = fileURLToPath(new URL('./rpc.proto', import.meta.url));
// keepCase: the store speaks etcd's own field names (mod_revision, prev_kv, …).
const root = new protobuf.Root().loadSync(PROTO, { keepCase: true });
const type = (name: string) => root.lookupType(`etcdserverpb.${name}`);
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true };

interface Method {
  readonly path: string;
  readonly req: protobuf.Type;
  readonly res: protobuf.Type;
}

const method = (service: string, name: string, req: string, res: string): Method => ({
  path: `/etcdserverpb.${service}/${name}`,
  req: type(req),
  res: type(res),
});

const RANGE = method('KV', 'Range', 'RangeRequest', 'RangeResponse');
const TXN = method('KV', 'Txn', 'TxnRequest', 'TxnResponse');
const COMPACT = method('KV', 'Compact', 'CompactionRequest', 'CompactionResponse');
const WATCH = method('Watch', 'Watch', 'WatchRequest', 'WatchResponse');

function frame(t: protobuf.Type, obj: object): Buffer {
  const msg = t.encode(t.fromObject(obj)).finish();
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/** Splits length-prefixed gRPC messages off `buf`; returns the messages and what is left. */
function unframe(buf: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let off = 0;
  while (buf.length - off >= 5) {
    const len = buf.readUInt32BE(off + 1);
    if (buf.length - off - 5 < len) break;
    messages.push(buf.subarray(off + 5, off + 5 + len));
    off += 5 + len;
  }
  return { messages, rest: off === 0 ? buf : buf.subarray(off) };
}

function grpcStatus(raw: string | undefined, msg: string | undefined): { code: number; details: string } | undefined {
  if (raw === undefined) return undefined;
  let details = msg ?? '';
  try {
    details = decodeURIComponent(details);
  } catch {
    // Not percent-encoded after all.
  }
  return { code: Number(raw), details };
}

function statusOf(headers: http2.IncomingHttpHeaders): { code: number; details: string } | undefined {
  const msg = headers['grpc-message'];
  const raw = headers['grpc-status'];
  return grpcStatus(typeof raw === 'string' ? raw : undefined, typeof msg === 'string' ? msg : undefined);
}

const header = (list: HeaderList, name: string): string | undefined => list.find(([n]) => n === name)?.[1];

/** gRPC's mapping of an HTTP status that came without a gRPC status (a proxy's, say). */
function httpToGrpc(status: number): number {
  if (status === 400) return GRPC_STATUS.INTERNAL;
  if (status === 401) return GRPC_STATUS.UNAUTHENTICATED;
  if (status === 403) return GRPC_STATUS.PERMISSION_DENIED;
  if (status === 404) return GRPC_STATUS.UNIMPLEMENTED;
  if (status === 429 || status === 502 || status === 503 || status === 504) return GRPC_STATUS.UNAVAILABLE;
  return GRPC_STATUS.UNKNOWN;
}

class Member {
  /** Unary calls: HTTP/2 framed by @mkube/shared/h2, a third of node:http2's CPU per call. */
  private conn: H2Connection | undefined;
  private connPinger: NodeJS.Timeout | undefined;
  /** Watch streams: node:http2, whose Duplex streams suit a long bidirectional call. */
  session: http2.ClientHttp2Session | undefined;
  /** Watch streams open on `session`. */
  watching = 0;
  /** Sessions that completed their TLS handshake: a request on one of them may have been sent. */
  private readonly connected = new WeakSet<http2.ClientHttp2Session>();
  downUntil = 0;
  downFor = 0;
  private pinger: NodeJS.Timeout | undefined;

  constructor(
    readonly url: string,
    private readonly tls: http2.SecureClientSessionOptions,
  ) {}

  get(): http2.ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    const session = http2.connect(this.url, this.tls);
    this.session = session;
    session.on('connect', () => this.connected.add(session));
    // Errors reach each stream on the session; the session itself is just dropped.
    session.on('error', () => this.drop(session));
    session.on('close', () => this.drop(session));
    session.on('goaway', () => this.drop(session));
    // A member that vanishes without a reset (no RST on a dead host) is found by a ping.
    this.pinger = setInterval(() => {
      // Only while watches are open: see the unary connection's pinger.
      if (session.closed || session.destroyed || this.watching === 0) return;
      const timer = setTimeout(() => session.destroy(new Error('etcd member did not answer a ping')), 10_000);
      timer.unref();
      try {
        session.ping((err) => {
          clearTimeout(timer);
          if (err) session.destroy(err);
        });
      } catch {
        clearTimeout(timer);
      }
    }, 30_000);
    this.pinger.unref();
    return session;
  }

  unary(): H2Connection {
    const c = this.conn;
    if (c && !c.closed) return c;
    // A connection told to go away still finishes the calls it has and then closes by itself;
    // new calls go to a new one.
    if (this.connPinger) clearInterval(this.connPinger);
    const u = new URL(this.url);
    const host = unbracketHost(u.hostname);
    const conn = new H2Connection({
      host,
      port: Number(u.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      authority: u.host,
      ca: this.tls.ca as string | undefined,
      cert: this.tls.cert as string | undefined,
      key: this.tls.key as string | undefined,
      // kube-apiserver's etcd3 client dials with a 20 s timeout.
      dialTimeoutMs: 20_000,
    });
    this.conn = conn;
    conn.onClose(() => this.dropConn(conn));
    // A member that vanishes without a reset (no RST on a dead host) is found by a ping — sent only
    // while calls are in flight, as clientv3 does (PermitWithoutStream off): etcd answers pings on
    // an idle connection more often than every two hours with GOAWAY "too_many_pings".
    this.connPinger = setInterval(() => {
      if (conn.active > 0) this.probe(conn, 10_000);
    }, 30_000);
    this.connPinger.unref();
    return conn;
  }

  /** Closes `conn` unless it answers a ping within `timeoutMs`. */
  probe(conn: H2Connection, timeoutMs: number): void {
    conn.ping(timeoutMs).catch(() => conn.close());
  }

  private dropConn(conn: H2Connection): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (this.connPinger) clearInterval(this.connPinger);
    this.connPinger = undefined;
    conn.close();
  }

  /** Whether a stream on `session` could have reached etcd (its connection was up at some point). */
  reached(session: http2.ClientHttp2Session): boolean {
    return this.connected.has(session);
  }

  drop(session: http2.ClientHttp2Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
    if (!session.destroyed) session.destroy();
  }

  close(): void {
    if (this.session) this.drop(this.session);
    if (this.conn) this.dropConn(this.conn);
  }
}

/**
 * One Watch RPC: `write` sends a WatchRequest; 'data' delivers WatchResponses; 'error' (a
 * GrpcError) or 'end' (etcd closed it cleanly) ends it. `cancel` ends it silently.
 */
export class WatchCall extends EventEmitter<{
  data: [WatchResponsePb];
  error: [GrpcError];
  end: [];
}> {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private status: { code: number; details: string } | undefined;

  constructor(
    private readonly stream: http2.ClientHttp2Stream,
    reached: () => boolean,
  ) {
    super();
    stream.on('response', (h) => {
      this.status ??= statusOf(h);
    });
    stream.on('data', (chunk: Buffer) => {
      if (this.done) return;
      const { messages, rest } = unframe(this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk);
      this.buf = rest;
      for (const m of messages) {
        if (this.done) return;
        this.emit('data', WATCH.res.toObject(WATCH.res.decode(m), TO_OBJECT) as WatchResponsePb);
      }
    });
    stream.on('trailers', (t) => {
      this.status ??= statusOf(t);
    });
    stream.on('error', (e: Error) => this.finish(new GrpcError(GRPC_STATUS.UNAVAILABLE, e.message, !reached())));
    stream.on('close', () => {
      const st = this.status;
      if (st && st.code === GRPC_STATUS.OK) this.finish();
      else if (st) this.finish(new GrpcError(st.code, st.details));
      else this.finish(new GrpcError(GRPC_STATUS.UNAVAILABLE, 'the watch stream closed without a status'));
    });
  }

  write(req: WatchRequestPb): void {
    if (!this.done) this.stream.write(frame(WATCH.req, req));
  }

  /** Half-close: no more requests. */
  end(): void {
    if (!this.done && !this.stream.writableEnded) this.stream.end();
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  private finish(err?: GrpcError): void {
    if (this.done) return;
    this.done = true;
    if (err) this.emit('error', err);
    else this.emit('end');
  }
}

const DOWN_MIN_MS = 500;
const DOWN_MAX_MS = 8_000;

function unsentReply(e: GrpcError): boolean {
  return e.unsent || /etcdserver: no leader|not capable/.test(e.details);
}

export class EtcdClient {
  private readonly members: Member[];
  private current = 0;
  private closed = false;

  constructor(private readonly opts: EtcdClientOptions) {
    const tls: http2.SecureClientSessionOptions = {
      ...(opts.caPem ? { ca: opts.caPem } : {}),
      ...(opts.certPem && opts.keyPem ? { cert: opts.certPem, key: opts.keyPem } : {}),
      // Lists of objects can be large; gRPC has no HTTP/2 limit of its own here.
      maxSessionMemory: 64,
    };
    this.members = opts.servers.map((url) => new Member(url, tls));
  }

  range(req: RangeRequestPb, timeoutMs?: number): Promise<RangeResponsePb> {
    return this.unary(RANGE, req, 'always', timeoutMs) as Promise<RangeResponsePb>;
  }

  txn(req: TxnRequestPb): Promise<TxnResponsePb> {
    const mutates = req.success.some((o) => !o.request_range) || req.failure.some((o) => !o.request_range);
    return this.unary(TXN, req, mutates ? 'unsent' : 'always') as Promise<TxnResponsePb>;
  }

  compact(revision: number): Promise<{ header: ResponseHeaderPb }> {
    // Compacting again to the same revision is harmless, so a retry is safe.
    return this.unary(COMPACT, { revision, physical: true }, 'always') as Promise<{ header: ResponseHeaderPb }>;
  }

  /** A new Watch stream on the member in use. */
  watch(): WatchCall {
    const m = this.pick();
    const session = m.get();
    const stream = session.request(
      { ':method': 'POST', ':path': WATCH.path, 'content-type': 'application/grpc', te: 'trailers' },
      { endStream: false },
    );
    m.watching++;
    stream.once('close', () => m.watching--);
    return new WatchCall(stream, () => m.reached(session));
  }

  /** Called by a watcher whose stream broke with UNAVAILABLE: the next one goes elsewhere. */
  streamFailed(e: GrpcError): void {
    if (e.code === GRPC_STATUS.UNAVAILABLE) this.markDown(this.members[this.current]!);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.members) m.close();
  }

  private pick(): Member {
    const now = Date.now();
    for (let i = 0; i < this.members.length; i++) {
      const idx = (this.current + i) % this.members.length;
      if (this.members[idx]!.downUntil <= now) {
        this.current = idx;
        return this.members[idx]!;
      }
    }
    // All marked down: try the one that comes back first.
    let best = 0;
    for (let i = 1; i < this.members.length; i++) {
      if (this.members[i]!.downUntil < this.members[best]!.downUntil) best = i;
    }
    this.current = best;
    return this.members[best]!;
  }

  private markDown(m: Member): void {
    m.downFor = Math.min(Math.max(m.downFor * 2, DOWN_MIN_MS), DOWN_MAX_MS);
    m.downUntil = Date.now() + m.downFor;
  }

  private async unary(
    md: Method,
    req: object,
    retry: 'always' | 'unsent',
    timeoutMs = this.opts.requestTimeoutMs,
  ): Promise<unknown> {
    if (this.closed) throw new GrpcError(GRPC_STATUS.CANCELLED, 'the client is closed', true);
    const deadline = Date.now() + timeoutMs;
    const body = frame(md.req, req);
    let last: GrpcError | undefined;
    for (let attempt = 0; attempt <= this.members.length; attempt++) {
      const m = this.pick();
      try {
        const res = await this.call(m, md, body, deadline);
        m.downFor = 0;
        return res;
      } catch (e) {
        const err = e as GrpcError;
        if (err.code !== GRPC_STATUS.UNAVAILABLE || this.closed) throw err;
        this.markDown(m);
        last = err;
        if ((retry === 'unsent' && !unsentReply(err)) || Date.now() >= deadline || this.members.length === 1) throw err;
      }
    }
    throw last;
  }

  private call(m: Member, md: Method, body: Buffer, deadline: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const ms = Math.max(1, deadline - Date.now());
      let conn: H2Connection;
      try {
        conn = m.unary();
      } catch (e) {
        reject(new GrpcError(GRPC_STATUS.UNAVAILABLE, (e as Error).message, true));
        return;
      }
      let settled = false;
      const settle = (err: GrpcError | null, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value);
      };
      let status: { code: number; details: string } | undefined;
      let httpStatus = 0;
      const chunks: Buffer[] = [];
      const stream = conn.request(
        'POST',
        md.path,
        [
          ['content-type', 'application/grpc'],
          ['te', 'trailers'],
          ['grpc-timeout', `${ms}m`],
        ],
        body,
        {
          onHeaders: (h) => {
            httpStatus ||= Number(header(h, ':status') ?? 0);
            status ??= grpcStatus(header(h, 'grpc-status'), header(h, 'grpc-message'));
          },
          onData: (c) => chunks.push(c),
          onEnd: () => {
            if (!status) {
              settle(
                httpStatus && httpStatus !== 200
                  ? new GrpcError(httpToGrpc(httpStatus), `HTTP status ${httpStatus} without a gRPC status`)
                  : new GrpcError(GRPC_STATUS.UNAVAILABLE, 'the response ended without a gRPC status'),
              );
            } else if (status.code !== GRPC_STATUS.OK) {
              settle(new GrpcError(status.code, status.details));
            } else {
              const { messages } = unframe(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
              const msg = messages[0];
              if (!msg) settle(new GrpcError(GRPC_STATUS.INTERNAL, 'no response message'));
              else settle(null, md.res.toObject(md.res.decode(msg), TO_OBJECT));
            }
          },
          onError: (e) => settle(new GrpcError(GRPC_STATUS.UNAVAILABLE, e.message, e.unsent)),
        },
      );
      const timer = setTimeout(() => {
        stream.cancel();
        settle(new GrpcError(GRPC_STATUS.DEADLINE_EXCEEDED, 'Deadline exceeded'));
        // A connection that let a call time out may be dead without knowing it: calls after this
        // one should not wait out their deadlines on it too.
        m.probe(conn, Math.min(10_000, this.opts.requestTimeoutMs));
      }, ms);
    });
  }
}
