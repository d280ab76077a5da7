// SPDY/3 header blocks: a count, then length-prefixed names and values (several values of one name
// joined by NUL), compressed by one zlib stream per direction for the whole connection, preset with
// SPDY3_DICTIONARY and sync-flushed after every block.
import { constants, inflateSync } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';

export type SpdyHeaders = Readonly<Record<string, readonly string[]>>;

export class SpdyProtocolError extends Error {}

/** Everything a peer may compress into one connection's header blocks (kubectl sends a few dozen bytes each). */
const MAX_COMPRESSED_TOTAL = 256 * 1024;
const MAX_BLOCK = 64 * 1024;

/**
 * The peer's compression context. zlib keeps back-references across blocks, so each block is
 * inflated together with every earlier one, and the new output is what this block adds. That is
 * quadratic in the number of blocks, but an exec session carries at most five, and it needs no
 * private zlib API to keep a context between synchronous calls.
 */
export class HeaderInflater {
  #compressed: Buffer[] = [];
  #compressedLength = 0;
  #outLength = 0;

  decode(block: Buffer): SpdyHeaders {
    this.#compressedLength += block.length;
    if (this.#compressedLength > MAX_COMPRESSED_TOTAL) throw new SpdyProtocolError('header blocks too large');
    this.#compressed.push(block);
    let out: Buffer;
    try {
      out = inflateSync(Buffer.concat(this.#compressed), {
        dictionary: SPDY3_DICTIONARY,
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: MAX_COMPRESSED_TOTAL * 8,
      });
    } catch (e) {
      throw new SpdyProtocolError(`bad header block: ${(e as Error).message}`);
    }
    const fresh = out.subarray(this.#outLength);
    this.#outLength = out.length;
    return parseHeaderBlock(fresh);
  }
}

function parseHeaderBlock(b: Buffer): SpdyHeaders {
  if (b.length < 4 || b.length > MAX_BLOCK) throw new SpdyProtocolError('bad header block length');
  const out: Record<string, string[]> = {};
  const count = b.readUInt32BE(0);
  let at = 4;
  const take = (): string => {
    if (at + 4 > b.length) throw new SpdyProtocolError('truncated header block');
    const n = b.readUInt32BE(at);
    at += 4;
    if (at + n > b.length) throw new SpdyProtocolError('truncated header block');
    const s = b.toString('latin1', at, at + n);
    at += n;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = take();
    const value = take();
    // Go's framer lowercases names (and reports it); so does this reader.
    const key = name.toLowerCase();
    if (Object.hasOwn(out, key)) throw new SpdyProtocolError(`header ${key} repeated`);
    out[key] = value.split('\0');
  }
  if (at !== b.length) throw new SpdyProtocolError('trailing bytes in header block');
  return out;
}

function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (const byte of b) {
    a = (a + byte) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

// zlib header: deflate with a 32 KiB window, FDICT set, FCHECK making it a multiple of 31.
const ZLIB_HEADER = (() => {
  const h = Buffer.alloc(6);
  h[0] = 0x78;
  h[1] = 0xbb;
  h.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
  return h;
})();

// An empty stored block: what Z_SYNC_FLUSH writes. Go's inflater hands out what it decoded only on
// reaching one (or the end of the stream), so every block must end with it.
const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/**
 * This end's compression context, writing stored (uncompressed) deflate blocks: each is byte
 * aligned and refers to nothing before it, so every header block can be laid out on its own and
 * still continue one valid zlib stream, which is all the peer's inflater asks. Header blocks here
 * are a handful of bytes, where compression would save nothing.
 */
export class HeaderDeflater {
  #started = false;

  encode(headers: SpdyHeaders): Buffer {
    const parts: Buffer[] = [];
    const count = Buffer.alloc(4);
    count.writeUInt32BE(Object.keys(headers).length);
    parts.push(count);
    for (const [name, values] of Object.entries(headers)) {
      for (const s of [name.toLowerCase(), values.join('\0')]) {
        const bytes = Buffer.from(s, 'latin1');
        const len = Buffer.alloc(4);
        len.writeUInt32BE(bytes.length);
        parts.push(len, bytes);
      }
    }
    const raw = Buffer.concat(parts);
    if (raw.length > 0xffff) throw new SpdyProtocolError('header block too large');
    // BFINAL=0, BTYPE=00 (stored), padding to the byte; then LEN and its one's complement.
    const stored = Buffer.alloc(5);
    stored[0] = 0;
    stored.writeUInt16LE(raw.length, 1);
    stored.writeUInt16LE(~raw.length & 0xffff, 3);
    const head = this.#started ? [] : [ZLIB_HEADER];
    this.#started = true;
    return Buffer.concat([...head, stored, raw, SYNC_FLUSH]);
  }
}
