// The client side of one HTTP/2 connection (RFC 9113) over TLS: the apiserver's unary gRPC calls
// to etcd, and the KubeClient's requests and watches to an apiserver. Node's own HTTP/2 client
// costs ~150 µs of CPU per call against etcd (a Duplex stream, an AsyncResource, header objects and
// validation per request), undici's h2 client over it more; framing the same calls here costs a
// fraction of that.
//
// What a client needs and no more: requests with bodies under flow control, responses and
// trailers through HPACK, SETTINGS, PING, WINDOW_UPDATE, RST_STREAM and GOAWAY. No server push
// (disabled in our SETTINGS), no priorities. A request whose HEADERS never left this process —
// queued behind the peer's stream limit, refused (REFUSED_STREAM), above a GOAWAY's last stream,
// or on a connection that never finished its TLS handshake — fails `unsent`, so a caller may
// safely send it again elsewhere.
import tls, { type PeerCertificate, type SecureContext } from 'node:tls';
import { watchDial } from '../net/dialdeadline.js';
import { encodeHeaders, type HeaderList, HpackDecoder, HpackError } from './hpack.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;
const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
const SETTING = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
} as const;
export const H2_ERROR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  FLOW_CONTROL_ERROR: 0x3,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
} as const;

const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
/** What we let the peer send per stream and per connection before we acknowledge it. */
const RECV_STREAM_WINDOW = 4 * 1024 * 1024;
const RECV_CONN_WINDOW = 16 * 1024 * 1024;
/** A header block (HEADERS + CONTINUATIONs) larger than this ends the connection. */
const MAX_HEADER_BLOCK = 1024 * 1024;
/** A frame larger than this (we announce 16 KiB) ends the connection. */
const MAX_FRAME_ACCEPTED = 16 * 1024 * 1024;
/** Streams opened before the peer's first SETTINGS say its limit (Go's transport assumes 100 too). */
const INITIAL_MAX_STREAMS = 100;
/** A request refused (REFUSED_STREAM: not processed) is sent again this many times. */
const REFUSED_RETRIES = 3;

/** A stream or connection failure; `unsent` when the request cannot have reached the server. */
export class H2Error extends Error {
  override readonly name = 'H2Error';
  constructor(
    message: string,
    readonly unsent: boolean,
    readonly code?: number,
    /** The socket's own error (ECONNREFUSED, a certificate verification failure…), when there was one. */
    cause?: Error,
  ) {
    super(message, cause ? { cause } : undefined);
  }
}

export interface StreamHandlers {
  /** Response headers, then trailers (with `endStream`). */
  onHeaders(headers: HeaderList, endStream: boolean): void;
  onData(chunk: Buffer): void;
  /** The server ended the stream; after onHeaders(…, true) or a DATA frame with END_STREAM. */
  onEnd(): void;
  onError(err: H2Error): void;
}

export interface H2ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** SNI; omitted for an IP address. */
  readonly servername?: string;
  /** `:authority` of every request. */
  readonly authority: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Used instead of ca/cert/key: one context shared by many connections parses its PEMs once. */
  readonly secureContext?: SecureContext;
  /** Default true. */
  readonly rejectUnauthorized?: boolean;
  readonly checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  /**
   * Offered in ALPN; default ['h2']. Anything but h2 agreed ends the connection (see `connected`).
   * When more than h2 is offered, nothing is written before the server's choice is known.
   */
  readonly alpnProtocols?: readonly string[];
  /**
   * The server chose another protocol: the connection lets go of the socket, untouched, instead of
   * closing it (an HTTP/1.1 client may carry on with it), then fails as it would have.
   */
  readonly onOtherProtocol?: (socket: tls.TLSSocket) => void;
  /** A TLS session of an earlier connection to resume. */
  readonly session?: Buffer;
  /** Runs right after the socket is made, before its handshake. */
  readonly onSocket?: (socket: tls.TLSSocket) => void;
  /** The socket keeps the process alive only while requests are open (as undici's idle sockets). */
  readonly unrefWhenIdle?: boolean;
  /** Ends the connection when TCP has not connected by then (client-go's dialer: 30 s). */
  readonly dialTimeoutMs?: number;
  /** Ends the connection when the TLS handshake has not finished this long after TCP connected (client-go: 10 s). */
  readonly tlsHandshakeTimeoutMs?: number;
}

/** A connect-phase failure with Node's code, so callers map it as a dial error. */
function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

class Stream {
  id = 0;
  refused = 0;
  sendWindow = 0;
  /** Body not yet sent for want of window. */
  pending: Buffer[] = [];
  endAfterPending = false;
  localEnded = false;
  recvUnacked = 0;
  done = false;

  constructor(
    readonly headerBlock: Buffer,
    readonly body: Buffer,
    readonly h: StreamHandlers,
  ) {}
}

export class H2Stream {
  constructor(
    private readonly conn: H2Connection,
    private readonly s: Stream,
  ) {}

  /** Resets the stream (CANCEL); no handler runs after this. */
  cancel(): void {
    this.conn.cancelStream(this.s);
  }
}

export class H2Connection {
  readonly #opts: H2ConnectionOptions;
  readonly #socket: tls.TLSSocket;
  readonly #decoder = new HpackDecoder();
  /** The TLS handshake completed (and ALPN said h2): a request written after this may have been read. */
  #reached = false;
  #closed = false;
  #goingAway = false;
  #nextId = 1;
  readonly #streams = new Map<number, Stream>();
  /** Requests waiting for the peer's MAX_CONCURRENT_STREAMS. */
  readonly #queued: Stream[] = [];
  /** Streams with body waiting for send window. */
  readonly #blocked = new Set<Stream>();
  #peerMaxStreams = INITIAL_MAX_STREAMS;
  #settingsSeen = false;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = DEFAULT_MAX_FRAME;
  #connSendWindow = DEFAULT_WINDOW;
  #connRecvUnacked = 0;
  #in: Buffer = Buffer.alloc(0);
  /** Header block being assembled from HEADERS + CONTINUATION. */
  #continuation: { id: number; parts: Buffer[]; size: number; endStream: boolean } | undefined;
  #out: Buffer[] = [];
  #flushScheduled = false;
  readonly #pings: { payload: Buffer; done: (err?: Error) => void }[] = [];
  #onClose: ((err: H2Error) => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #refed = true;
  #session: Buffer | undefined;
  /** Frames wait for the ALPN verdict (more than h2 offered). */
  readonly #holdUntilH2: boolean;
  #released = false;
  /** Settles once: the handshake finished with h2 agreed, or the connection failed first. */
  readonly connected: Promise<void>;
  #settleConnected: (err?: H2Error) => void = () => {};

  constructor(opts: H2ConnectionOptions) {
    this.#opts = opts;
    this.#holdUntilH2 = (opts.alpnProtocols ?? ['h2']).some((p) => p !== 'h2');
    this.connected = new Promise<void>((resolve, reject) => {
      this.#settleConnected = (err) => {
        this.#settleConnected = () => {};
        if (err) reject(err);
        else resolve();
      };
    });
    // Nobody may be waiting for it (the etcd client learns of failures through its requests).
    this.connected.catch(() => {});
    this.#socket = tls.connect({
      host: opts.host,
      port: opts.port,
      ...(opts.servername ? { servername: opts.servername } : {}),
      ...(opts.secureContext ? { secureContext: opts.secureContext } : { ca: opts.ca, cert: opts.cert, key: opts.key }),
      ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      ...(opts.checkServerIdentity ? { checkServerIdentity: opts.checkServerIdentity } : {}),
      ...(opts.session ? { session: opts.session } : {}),
      ALPNProtocols: [...(opts.alpnProtocols ?? ['h2'])],
    });
    opts.onSocket?.(this.#socket);
    this.#socket.setNoDelay(true);
    if (opts.unrefWhenIdle) this.#setRef(false);
    const cancelDeadlines = watchDial(this.#socket, opts.host, opts.port, opts, (message) => this.#timeOut(message));
    const onSession = (session: Buffer): void => {
      this.#session = session;
    };
    const onData = (d: Buffer): void => this.#read(d);
    const onError = (e: Error): void => this.#fail(new H2Error(e.message, !this.#reached, undefined, e));
    const onClose = (): void => {
      cancelDeadlines();
      this.#fail(
        new H2Error('Connection dropped', !this.#reached, undefined, codeError('socket hang up', 'ECONNRESET')),
      );
    };
    this.#socket.once('secureConnect', () => {
      cancelDeadlines();
      const agreed = this.#socket.alpnProtocol;
      if (agreed !== 'h2') {
        const err = new H2Error(`the server did not agree to HTTP/2 (ALPN: ${agreed || 'none'})`, true);
        if (opts.onOtherProtocol && !this.#closed) {
          for (const [ev, fn] of [
            ['session', onSession],
            ['data', onData],
            ['error', onError],
            ['close', onClose],
          ] as const) {
            this.#socket.off(ev, fn);
          }
          this.#released = true;
          this.#out = [];
          this.#socket.ref();
          this.#fail(err);
          opts.onOtherProtocol(this.#socket);
          return;
        }
        this.#fail(err);
        return;
      }
      this.#reached = true;
      this.#settleConnected();
      if (this.#holdUntilH2) this.#flush();
    });
    this.#socket.on('session', onSession);
    this.#socket.on('data', onData);
    this.#socket.on('error', onError);
    this.#socket.on('close', onClose);

    // Preface and our SETTINGS may go before the handshake ends: TLS holds them until then.
    const settings = Buffer.alloc(18);
    settings.writeUInt16BE(SETTING.ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTING.INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(RECV_STREAM_WINDOW, 8);
    settings.writeUInt16BE(SETTING.MAX_FRAME_SIZE, 12);
    settings.writeUInt32BE(DEFAULT_MAX_FRAME, 14);
    this.#queueRaw(PREFACE);
    this.#frame(FRAME.SETTINGS, 0, 0, settings);
    this.#windowUpdate(0, RECV_CONN_WINDOW - DEFAULT_WINDOW);
  }

  get reached(): boolean {
    return this.#reached;
  }

  /** The ALPN protocol the server chose, once the handshake finished. */
  get alpnProtocol(): string | false | null {
    return this.#socket.alpnProtocol;
  }

  /** The TLS session to resume on a later connection, once the server sent one. */
  get session(): Buffer | undefined {
    return this.#session;
  }

  /** Requests waiting for the peer's stream limit. */
  get queued(): number {
    return this.#queued.length;
  }

  /** Resolves when no request is open or waiting (at once when none is), or the connection ended. */
  idle(): Promise<void> {
    if (this.#closed || this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Requests open or waiting to open. */
  get active(): number {
    return this.#streams.size + this.#queued.length;
  }

  /** No new request may start: closed, failed or told to go away. */
  get closed(): boolean {
    return this.#closed || this.#goingAway;
  }

  /** Runs once when the connection ends, with the reason. */
  onClose(fn: (err: H2Error) => void): void {
    if (this.#closed) return;
    this.#onClose.push(fn);
  }

  /** A request of `method` to `path` with regular (lowercase) `headers` and the whole `body`. */
  request(
    method: string,
    path: string,
    headers: readonly (readonly [string, string])[],
    body: Buffer,
    h: StreamHandlers,
  ): H2Stream {
    const s = new Stream(
      encodeHeaders([
        [':method', method],
        [':scheme', 'https'],
        [':authority', this.#opts.authority],
        [':path', path],
        ...headers,
      ]),
      body,
      h,
    );
    if (this.closed) {
      queueMicrotask(() => h.onError(new H2Error('the connection is closed', true)));
      s.done = true;
      return new H2Stream(this, s);
    }
    if (this.#streams.size >= this.#peerMaxStreams) this.#queued.push(s);
    else this.#open(s);
    if (!this.#refed && this.#opts.unrefWhenIdle) this.#setRef(true);
    return new H2Stream(this, s);
  }

  /** Resolves on the peer's PING ACK; rejects after `timeoutMs` or when the connection ends. */
  ping(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('the connection is closed'));
      const payload = Buffer.alloc(8);
      payload.writeDoubleBE(performance.now());
      const timer = setTimeout(() => done(new Error('the server did not answer a ping')), timeoutMs);
      timer.unref();
      const entry = {
        payload,
        done: (err?: Error) => {
          clearTimeout(timer);
          const i = this.#pings.indexOf(entry);
          if (i >= 0) this.#pings.splice(i, 1);
          if (err) reject(err);
          else resolve();
        },
      };
      const done = entry.done;
      this.#pings.push(entry);
      this.#frame(FRAME.PING, 0, 0, payload);
    });
  }

  close(): void {
    this.#fail(new H2Error('the connection was closed', !this.#reached));
  }

  cancelStream(s: Stream): void {
    if (s.done) return;
    s.done = true;
    const q = this.#queued.indexOf(s);
    if (q >= 0) {
      this.#queued.splice(q, 1);
      this.#checkIdle();
      return;
    }
    this.#blocked.delete(s);
    if (this.#streams.delete(s.id)) {
      const rst = Buffer.alloc(4);
      rst.writeUInt32BE(H2_ERROR.CANCEL);
      this.#frame(FRAME.RST_STREAM, 0, s.id, rst);
      this.#openQueued();
    }
    this.#checkIdle();
  }

  #setRef(on: boolean): void {
    this.#refed = on;
    if (on) this.#socket.ref();
    else this.#socket.unref();
  }

  /** After a stream ended: wakes idle() waiters and lets an idle socket go. */
  #checkIdle(): void {
    if (this.active !== 0) return;
    if (this.#opts.unrefWhenIdle && this.#refed) this.#setRef(false);
    const ws = this.#idleWaiters;
    if (ws.length === 0) return;
    this.#idleWaiters = [];
    for (const w of ws) w();
  }

  // ---- sending ---------------------------------------------------------------------------------

  #open(s: Stream): void {
    s.id = this.#nextId;
    this.#nextId += 2;
    s.sendWindow = this.#peerInitialWindow;
    s.pending = s.body.length ? [s.body] : [];
    s.endAfterPending = true;
    s.localEnded = false;
    s.recvUnacked = 0;
    this.#streams.set(s.id, s);
    const flags = FLAG.END_HEADERS | (s.pending.length === 0 ? FLAG.END_STREAM : 0);
    this.#frame(FRAME.HEADERS, flags, s.id, s.headerBlock);
    if (s.pending.length === 0) s.localEnded = true;
    else this.#sendBody(s);
  }

  #openQueued(): void {
    while (this.#queued.length && this.#streams.size < this.#peerMaxStreams && !this.closed) {
      this.#open(this.#queued.shift()!);
    }
  }

  #sendBody(s: Stream): void {
    while (s.pending.length) {
      const room = Math.min(s.sendWindow, this.#connSendWindow, this.#peerMaxFrame);
      if (room <= 0) {
        this.#blocked.add(s);
        return;
      }
      const head = s.pending[0]!;
      const chunk = head.length <= room ? head : head.subarray(0, room);
      if (chunk === head) s.pending.shift();
      else s.pending[0] = head.subarray(room);
      s.sendWindow -= chunk.length;
      this.#connSendWindow -= chunk.length;
      const last = s.pending.length === 0 && s.endAfterPending;
      this.#frame(FRAME.DATA, last ? FLAG.END_STREAM : 0, s.id, chunk);
      if (last) s.localEnded = true;
    }
    this.#blocked.delete(s);
  }

  #unblock(): void {
    for (const s of [...this.#blocked]) {
      if (this.#connSendWindow <= 0) return;
      this.#sendBody(s);
    }
  }

  #frame(type: number, flags: number, id: number, payload: Buffer): void {
    const h = Buffer.allocUnsafe(9);
    h.writeUIntBE(payload.length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(id, 5);
    this.#queueRaw(h);
    if (payload.length) this.#queueRaw(payload);
  }

  #windowUpdate(id: number, increment: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(increment);
    this.#frame(FRAME.WINDOW_UPDATE, 0, id, b);
  }

  /** Frames of one tick go out in one write (one TLS record when they fit). */
  #queueRaw(b: Buffer): void {
    if (this.#closed) return;
    this.#out.push(b);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#holdUntilH2 && !this.#reached) return;
    const out = this.#out;
    this.#out = [];
    if (this.#closed || out.length === 0) return;
    this.#socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  // ---- receiving -------------------------------------------------------------------------------

  #read(d: Buffer): void {
    let buf = this.#in.length ? Buffer.concat([this.#in, d]) : d;
    let off = 0;
    try {
      while (buf.length - off >= 9 && !this.#closed) {
        const len = buf.readUIntBE(off, 3);
        if (len > MAX_FRAME_ACCEPTED) throw new H2Error(`frame of ${len} bytes`, false, H2_ERROR.FRAME_SIZE_ERROR);
        if (buf.length - off - 9 < len) break;
        const type = buf[off + 3]!;
        const flags = buf[off + 4]!;
        const id = buf.readUInt32BE(off + 5) & 0x7fffffff;
        const payload = buf.subarray(off + 9, off + 9 + len);
        off += 9 + len;
        this.#onFrame(type, flags, id, payload);
      }
    } catch (e) {
      const err = e instanceof H2Error ? e : new H2Error((e as Error).message, false, H2_ERROR.PROTOCOL_ERROR);
      this.#goAway(err.code ?? H2_ERROR.PROTOCOL_ERROR);
      this.#fail(err);
      return;
    }
    buf = buf.subarray(off);
    // Keep the rest in a buffer of its own: `d` may be a slice of a larger pooled allocation.
    this.#in = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  #onFrame(type: number, flags: number, id: number, p: Buffer): void {
    if (this.#continuation && type !== FRAME.CONTINUATION) {
      throw new H2Error('a frame between HEADERS and CONTINUATION', false, H2_ERROR.PROTOCOL_ERROR);
    }
    switch (type) {
      case FRAME.DATA:
        this.#onData(flags, id, p);
        break;
      case FRAME.HEADERS:
        this.#onHeaders(flags, id, p);
        break;
      case FRAME.CONTINUATION:
        this.#onContinuation(flags, id, p);
        break;
      case FRAME.RST_STREAM:
        this.#onReset(id, p);
        break;
      case FRAME.SETTINGS:
        this.#onSettings(flags, p);
        break;
      case FRAME.PING:
        this.#onPing(flags, p);
        break;
      case FRAME.GOAWAY:
        this.#onGoAway(p);
        break;
      case FRAME.WINDOW_UPDATE:
        this.#onWindowUpdate(id, p);
        break;
      case FRAME.PUSH_PROMISE:
        throw new H2Error('PUSH_PROMISE although push is disabled', false, H2_ERROR.PROTOCOL_ERROR);
      // PRIORITY and unknown types are ignored (RFC 9113 §4.1, §5.5).
    }
  }

  #unpad(flags: number, p: Buffer): Buffer {
    if (!(flags & FLAG.PADDED)) return p;
    const pad = p[0] ?? 0;
    if (p.length < 1 + pad) throw new H2Error('padding longer than the frame', false, H2_ERROR.PROTOCOL_ERROR);
    return p.subarray(1, p.length - pad);
  }

  #onData(flags: number, id: number, p: Buffer): void {
    // Flow control counts the whole frame, padding included.
    this.#connRecvUnacked += p.length;
    if (this.#connRecvUnacked >= RECV_CONN_WINDOW / 2) {
      this.#windowUpdate(0, this.#connRecvUnacked);
      this.#connRecvUnacked = 0;
    }
    const s = this.#streams.get(id);
    if (!s) return;
    const data = this.#unpad(flags, p);
    const end = (flags & FLAG.END_STREAM) !== 0;
    if (!end) {
      s.recvUnacked += p.length;
      if (s.recvUnacked >= RECV_STREAM_WINDOW / 2) {
        this.#windowUpdate(id, s.recvUnacked);
        s.recvUnacked = 0;
      }
    }
    if (data.length) s.h.onData(data);
    if (end) this.#remoteEnd(s);
  }

  #onHeaders(flags: number, id: number, p: Buffer): void {
    let block = this.#unpad(flags, p);
    if (flags & FLAG.PRIORITY) block = block.subarray(5);
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if (flags & FLAG.END_HEADERS) this.#headerBlock(id, block, endStream);
    else this.#continuation = { id, parts: [block], size: block.length, endStream };
  }

  #onContinuation(flags: number, id: number, p: Buffer): void {
    const c = this.#continuation;
    if (!c || c.id !== id) throw new H2Error('CONTINUATION without HEADERS', false, H2_ERROR.PROTOCOL_ERROR);
    c.parts.push(p);
    c.size += p.length;
    if (c.size > MAX_HEADER_BLOCK) throw new H2Error('header block too large', false, H2_ERROR.PROTOCOL_ERROR);
    if (flags & FLAG.END_HEADERS) {
      this.#continuation = undefined;
      this.#headerBlock(id, Buffer.concat(c.parts), c.endStream);
    }
  }

  #headerBlock(id: number, block: Buffer, endStream: boolean): void {
    let headers: HeaderList;
    try {
      // Always decoded, even for a stream nobody waits for: the table must stay in step.
      headers = this.#decoder.decode(block);
    } catch (e) {
      if (e instanceof HpackError) throw new H2Error(e.message, false, H2_ERROR.COMPRESSION_ERROR);
      throw e;
    }
    const s = this.#streams.get(id);
    if (!s) return;
    s.h.onHeaders(headers, endStream);
    if (endStream) this.#remoteEnd(s);
  }

  #remoteEnd(s: Stream): void {
    if (s.done) return;
    s.done = true;
    this.#streams.delete(s.id);
    this.#blocked.delete(s);
    if (!s.localEnded) {
      // The server answered before the body was all sent (RFC 9113 §8.1): stop sending.
      const rst = Buffer.alloc(4);
      rst.writeUInt32BE(H2_ERROR.NO_ERROR);
      this.#frame(FRAME.RST_STREAM, 0, s.id, rst);
    }
    s.h.onEnd();
    this.#openQueued();
    this.#maybeFinishGoAway();
    this.#checkIdle();
  }

  #onReset(id: number, p: Buffer): void {
    const s = this.#streams.get(id);
    if (!s || s.done) return;
    const code = p.length >= 4 ? p.readUInt32BE(0) : H2_ERROR.PROTOCOL_ERROR;
    this.#streams.delete(id);
    this.#blocked.delete(s);
    const refused = code === H2_ERROR.REFUSED_STREAM;
    if (refused && s.refused < REFUSED_RETRIES && !this.closed) {
      // Not processed (RFC 9113 §8.7): send it again, behind whatever the peer's limit holds back.
      s.refused++;
      this.#queued.push(s);
      this.#openQueued();
      return;
    }
    s.done = true;
    s.h.onError(new H2Error(`stream reset by the server (HTTP/2 error code ${code})`, refused, code));
    this.#openQueued();
    this.#maybeFinishGoAway();
    this.#checkIdle();
  }

  #onSettings(flags: number, p: Buffer): void {
    if (flags & FLAG.ACK) return;
    if (p.length % 6 !== 0) throw new H2Error('SETTINGS of a bad length', false, H2_ERROR.FRAME_SIZE_ERROR);
    if (!this.#settingsSeen) {
      // A peer that names no limit has none.
      this.#settingsSeen = true;
      this.#peerMaxStreams = Number.POSITIVE_INFINITY;
    }
    for (let i = 0; i < p.length; i += 6) {
      const key = p.readUInt16BE(i);
      const value = p.readUInt32BE(i + 2);
      if (key === SETTING.MAX_CONCURRENT_STREAMS) this.#peerMaxStreams = value;
      else if (key === SETTING.INITIAL_WINDOW_SIZE) {
        if (value > 0x7fffffff) throw new H2Error('INITIAL_WINDOW_SIZE too large', false, H2_ERROR.FLOW_CONTROL_ERROR);
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const s of this.#streams.values()) s.sendWindow += delta;
      } else if (key === SETTING.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215)
          throw new H2Error('MAX_FRAME_SIZE out of range', false, H2_ERROR.PROTOCOL_ERROR);
        this.#peerMaxFrame = value;
      }
      // HEADER_TABLE_SIZE: our encoder never indexes, so any size suits it.
    }
    this.#frame(FRAME.SETTINGS, FLAG.ACK, 0, Buffer.alloc(0));
    this.#openQueued();
    this.#unblock();
  }

  #onPing(flags: number, p: Buffer): void {
    if (p.length !== 8) throw new H2Error('PING of a bad length', false, H2_ERROR.FRAME_SIZE_ERROR);
    if (!(flags & FLAG.ACK)) {
      this.#frame(FRAME.PING, FLAG.ACK, 0, Buffer.from(p));
      return;
    }
    this.#pings.find((x) => x.payload.equals(p))?.done();
  }

  #onGoAway(p: Buffer): void {
    const last = p.length >= 4 ? p.readUInt32BE(0) & 0x7fffffff : 0;
    const code = p.length >= 8 ? p.readUInt32BE(4) : 0;
    this.#goingAway = true;
    // Streams above `last` were not and will not be processed: safe to send elsewhere.
    for (const s of [...this.#streams.values()]) {
      if (s.id > last) {
        s.done = true;
        this.#streams.delete(s.id);
        this.#blocked.delete(s);
        s.h.onError(new H2Error(`the server is going away (HTTP/2 error code ${code})`, true, code));
      }
    }
    for (const s of this.#queued.splice(0)) {
      s.done = true;
      s.h.onError(new H2Error(`the server is going away (HTTP/2 error code ${code})`, true, code));
    }
    this.#maybeFinishGoAway();
  }

  #maybeFinishGoAway(): void {
    if (this.#goingAway && this.#streams.size === 0) this.#fail(new H2Error('the server went away', true));
  }

  #onWindowUpdate(id: number, p: Buffer): void {
    if (p.length !== 4) throw new H2Error('WINDOW_UPDATE of a bad length', false, H2_ERROR.FRAME_SIZE_ERROR);
    const inc = p.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) throw new H2Error('WINDOW_UPDATE of 0', false, H2_ERROR.PROTOCOL_ERROR);
      this.#connSendWindow += inc;
      this.#unblock();
      return;
    }
    const s = this.#streams.get(id);
    if (!s) return;
    s.sendWindow += inc;
    if (this.#blocked.has(s)) this.#sendBody(s);
  }

  #goAway(code: number): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(0, 0);
    b.writeUInt32BE(code, 4);
    this.#frame(FRAME.GOAWAY, 0, 0, b);
    this.#flush();
  }

  /** A connect deadline passed: the connection fails as unsent, with Go's message and Node's code. */
  #timeOut(message: string): void {
    this.#fail(new H2Error(message, true, undefined, codeError(message, 'ETIMEDOUT')));
  }

  /** Ends the connection: every open or queued request fails with `err` (queued ones unsent). */
  #fail(err: H2Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#released) this.#socket.destroy();
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    this.#blocked.clear();
    for (const s of streams) {
      if (s.done) continue;
      s.done = true;
      s.h.onError(err);
    }
    for (const s of this.#queued.splice(0)) {
      if (s.done) continue;
      s.done = true;
      s.h.onError(new H2Error(err.message, true, err.code, err.cause instanceof Error ? err.cause : undefined));
    }
    for (const p of [...this.#pings]) p.done(new Error(err.message));
    this.#settleConnected(err);
    const ws = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of ws) w();
    const fns = this.#onClose;
    this.#onClose = [];
    for (const fn of fns) fn(err);
  }
}
