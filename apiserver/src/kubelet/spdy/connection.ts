// The server end of a SPDY/3.1 connection, as far as Kubernetes' streaming protocols use it
// (k8s.io/apimachinery httpstream/spdy on moby/spdystream): the client opens streams with
// SYN_STREAM, this end answers SYN_REPLY, both send DATA and half-close with FIN, PINGs are echoed,
// GOAWAY ends the connection. Like spdystream, neither end enforces flow-control windows: spdystream
// never sends WINDOW_UPDATE, so a window here would stall any output past 64 KiB.
import type { Duplex } from 'node:stream';
import { HeaderDeflater, HeaderInflater, type SpdyHeaders, SpdyProtocolError } from './headers.js';

const VERSION = 3;
const TYPE = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8 } as const;
const FLAG_FIN = 0x01;
export const RST = { PROTOCOL_ERROR: 1, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;
const GOAWAY_OK = 0;
const GOAWAY_PROTOCOL_ERROR = 1;

/** stdin pipes from kubectl arrive in 32 KiB writes; anything near SPDY's 16 MiB frame limit is abuse here. */
const MAX_FRAME = 1 << 20;
/** Data frames this end writes: small enough that one stream does not hold the socket for long. */
const WRITE_CHUNK = 32 * 1024;
const MAX_STREAMS = 16;

export interface SpdyHandlers {
  /** A stream the client opened; `fin` when it will send no data on it. */
  onStream(id: number, headers: SpdyHeaders, fin: boolean): void;
  onData(id: number, data: Buffer): void;
  /** The client half-closed the stream (FIN) or reset it. */
  onEnd(id: number): void;
  /** The connection is over (client GOAWAY, socket closed, protocol error); called once. */
  onClose(reason: string): void;
}

export class SpdyServerConnection {
  readonly #socket: Duplex;
  readonly #h: SpdyHandlers;
  readonly #inflater = new HeaderInflater();
  readonly #deflater = new HeaderDeflater();
  #buf: Buffer = Buffer.alloc(0);
  #lastStreamId = 0;
  readonly #open = new Set<number>();
  #closed = false;

  constructor(socket: Duplex, handlers: SpdyHandlers) {
    this.#socket = socket;
    this.#h = handlers;
  }

  /** Starts reading frames: `head` holds bytes that came with the upgrade request, if any. */
  start(head?: Buffer): void {
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => this.#feed(chunk));
    socket.on('end', () => this.#close('client closed the connection'));
    socket.on('close', () => this.#close('connection closed'));
    socket.on('error', (e) => this.#close(`connection error: ${e.message}`));
    if (head && head.length > 0) this.#feed(head);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Accepts a client stream (SYN_REPLY with no headers, as the kubelet's upgrader sends). */
  reply(id: number): void {
    const block = this.#deflater.encode({});
    const body = Buffer.alloc(4 + block.length);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    block.copy(body, 4);
    this.#control(TYPE.SYN_REPLY, 0, body);
  }

  /** Writes data on a stream; false when the socket's buffer is full (wait for drain()). */
  write(id: number, data: Buffer): boolean {
    let ok = true;
    for (let at = 0; at < data.length; at += WRITE_CHUNK)
      ok = this.#data(id, data.subarray(at, at + WRITE_CHUNK), 0) && ok;
    return ok;
  }

  /** Half-closes a stream from this end. */
  finish(id: number): void {
    this.#data(id, Buffer.alloc(0), FLAG_FIN);
  }

  reset(id: number, status: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(status, 4);
    this.#control(TYPE.RST_STREAM, 0, body);
  }

  /** Ends the connection: GOAWAY naming the last stream taken, then the socket's end. */
  goAway(status = GOAWAY_OK): void {
    if (!this.#socket.writable) return;
    const body = Buffer.alloc(8);
    body.writeUInt32BE(this.#lastStreamId, 0);
    body.writeUInt32BE(status, 4);
    this.#control(TYPE.GOAWAY, 0, body);
    this.#socket.end();
  }

  onDrain(fn: () => void): void {
    this.#socket.once('drain', fn);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  #close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#h.onClose(reason);
  }

  #control(type: number, flags: number, body: Buffer): boolean {
    if (!this.#socket.writable) return false;
    const head = Buffer.alloc(8);
    head.writeUInt16BE(0x8000 | VERSION, 0);
    head.writeUInt16BE(type, 2);
    head.writeUInt32BE(((flags & 0xff) << 24) | body.length, 4);
    return this.#socket.write(Buffer.concat([head, body]));
  }

  #data(id: number, data: Buffer, flags: number): boolean {
    if (!this.#socket.writable) return false;
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id & 0x7fffffff, 0);
    head.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
    return this.#socket.write(data.length > 0 ? Buffer.concat([head, data]) : head);
  }

  #feed(chunk: Buffer): void {
    if (this.#closed) return;
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    try {
      while (this.#buf.length >= 8) {
        const length = this.#buf.readUInt32BE(4) & 0xffffff;
        if (length > MAX_FRAME) throw new SpdyProtocolError(`frame of ${length} bytes`);
        if (this.#buf.length < 8 + length) break;
        const frame = this.#buf.subarray(0, 8 + length);
        this.#buf = this.#buf.subarray(8 + length);
        this.#frame(frame);
        if (this.#closed) return;
      }
    } catch (e) {
      const msg = e instanceof SpdyProtocolError ? e.message : String(e);
      this.goAway(GOAWAY_PROTOCOL_ERROR);
      this.#close(`SPDY protocol error: ${msg}`);
      this.#socket.destroy();
    }
  }

  #frame(f: Buffer): void {
    const flags = f[4]!;
    const body = f.subarray(8);
    if ((f[0]! & 0x80) === 0) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      if (id === 0) throw new SpdyProtocolError('data on stream 0');
      if (!this.#open.has(id)) return; // a stream already ended: nothing to deliver
      if (body.length > 0) this.#h.onData(id, body);
      if (flags & FLAG_FIN) this.#end(id);
      return;
    }
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) throw new SpdyProtocolError(`SPDY version ${version}`);
    const type = f.readUInt16BE(2);
    switch (type) {
      case TYPE.SYN_STREAM: {
        if (body.length < 10) throw new SpdyProtocolError('short SYN_STREAM');
        const id = body.readUInt32BE(0) & 0x7fffffff;
        // Client streams are odd and increasing (spdystream's validateStreamId).
        if (id % 2 !== 1 || id <= this.#lastStreamId) throw new SpdyProtocolError(`stream id ${id}`);
        this.#lastStreamId = id;
        const headers = this.#inflater.decode(body.subarray(10));
        if (this.#open.size >= MAX_STREAMS) {
          this.reset(id, RST.REFUSED_STREAM);
          return;
        }
        const fin = (flags & FLAG_FIN) !== 0;
        if (!fin) this.#open.add(id);
        this.#h.onStream(id, headers, fin);
        return;
      }
      case TYPE.HEADERS: {
        // Only decoded to keep the compression context in step; exec has no use for them.
        if (body.length < 4) throw new SpdyProtocolError('short HEADERS');
        this.#inflater.decode(body.subarray(4));
        if (flags & FLAG_FIN) this.#end(body.readUInt32BE(0) & 0x7fffffff);
        return;
      }
      case TYPE.RST_STREAM: {
        if (body.length !== 8) throw new SpdyProtocolError('bad RST_STREAM');
        this.#end(body.readUInt32BE(0) & 0x7fffffff);
        return;
      }
      case TYPE.PING: {
        if (body.length !== 4) throw new SpdyProtocolError('bad PING');
        // The client's pings are odd; answering is echoing (server pings would be even).
        if (body.readUInt32BE(0) % 2 === 1) this.#control(TYPE.PING, 0, Buffer.from(body));
        return;
      }
      case TYPE.GOAWAY:
        this.#close('client sent GOAWAY');
        this.#socket.end();
        return;
      case TYPE.SYN_REPLY:
        throw new SpdyProtocolError('SYN_REPLY from a client');
      default:
        // SETTINGS, WINDOW_UPDATE and anything newer: spdystream ignores them too.
        return;
    }
  }

  #end(id: number): void {
    if (!this.#open.delete(id)) return;
    this.#h.onEnd(id);
  }
}
