// HPACK (RFC 7541) for one HTTP/2 connection's client side. The decoder keeps the dynamic table
// the server's encoder fills; every header block must go through it, in order, even for a stream
// nobody waits for any more. The encoder never indexes: request headers are literals (or static
// table references), so the server's table of our headers stays empty and nothing is shared
// between requests that could leak from one to another.
import { HuffmanError, huffmanDecode } from './huffman.js';

export class HpackError extends Error {}

// Appendix A. Index 1 is the first entry.
const STATIC: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];
/** The first static entry of each name, and of each name and value. */
const STATIC_NAME: ReadonlyMap<string, number> = new Map(STATIC.map(([name], i) => [name, i + 1] as const).reverse());
const STATIC_PAIR: ReadonlyMap<string, number> = new Map(
  STATIC.map(([name, value], i) => [`${name}\0${value}`, i + 1] as const).reverse(),
);

export type HeaderList = [name: string, value: string][];

/** Section 5.1: an integer with an N-bit prefix, at `pos`. */
function readInt(buf: Uint8Array, pos: number, prefixBits: number): [value: number, next: number] {
  const max = (1 << prefixBits) - 1;
  let v = buf[pos]! & max;
  pos++;
  if (v < max) return [v, pos];
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new HpackError('hpack: truncated integer');
    const b = buf[pos++]!;
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [v, pos];
    if (shift > 28) throw new HpackError('hpack: integer overflow');
  }
}

function readString(buf: Uint8Array, pos: number): [value: string, next: number] {
  if (pos >= buf.length) throw new HpackError('hpack: truncated string');
  const huffman = (buf[pos]! & 0x80) !== 0;
  const [len, start] = readInt(buf, pos, 7);
  const end = start + len;
  if (end > buf.length) throw new HpackError('hpack: truncated string');
  const raw = buf.subarray(start, end);
  try {
    return [huffman ? huffmanDecode(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('latin1'), end];
  } catch (e) {
    if (e instanceof HuffmanError) throw new HpackError(e.message);
    throw e;
  }
}

const entrySize = (name: string, value: string): number => name.length + value.length + 32;

export class HpackDecoder {
  /** Newest first: dynamic index 62 is dynamic[0]. */
  readonly #dynamic: [string, string][] = [];
  #size = 0;
  #maxSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE we announced: the most a size update may ask for. */
  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
    this.#maxSize = limit;
  }

  #entry(index: number): readonly [string, string] {
    if (index <= 0) throw new HpackError('hpack: index 0');
    if (index <= STATIC.length) return STATIC[index - 1]!;
    const e = this.#dynamic[index - STATIC.length - 1];
    if (!e) throw new HpackError(`hpack: index ${index} beyond the table`);
    return e;
  }

  #evict(): void {
    while (this.#size > this.#maxSize) {
      const [n, v] = this.#dynamic.pop()!;
      this.#size -= entrySize(n, v);
    }
  }

  #add(name: string, value: string): void {
    const size = entrySize(name, value);
    this.#dynamic.unshift([name, value]);
    this.#size += size;
    // An entry larger than the table empties it and is not kept (4.4).
    this.#evict();
  }

  /** One complete header block (HEADERS and its CONTINUATIONs joined). */
  decode(block: Uint8Array): HeaderList {
    const out: HeaderList = [];
    let pos = 0;
    let fieldsSeen = false;
    while (pos < block.length) {
      const b = block[pos]!;
      if (b & 0x80) {
        // 6.1 indexed field.
        const [index, next] = readInt(block, pos, 7);
        const [n, v] = this.#entry(index);
        out.push([n, v]);
        pos = next;
      } else if (b & 0x40) {
        // 6.2.1 literal with incremental indexing.
        const [index, afterIndex] = readInt(block, pos, 6);
        const [name, afterName] = index ? [this.#entry(index)[0], afterIndex] : readString(block, afterIndex);
        const [value, next] = readString(block, afterName);
        this.#add(name, value);
        out.push([name, value]);
        pos = next;
      } else if (b & 0x20) {
        // 6.3 dynamic table size update: only before the first field of a block.
        if (fieldsSeen) throw new HpackError('hpack: table size update after a header field');
        const [size, next] = readInt(block, pos, 5);
        if (size > this.#limit) throw new HpackError(`hpack: table size ${size} above ${this.#limit}`);
        this.#maxSize = size;
        this.#evict();
        pos = next;
        continue;
      } else {
        // 6.2.2 without indexing (0000) and 6.2.3 never indexed (0001).
        const [index, afterIndex] = readInt(block, pos, 4);
        const [name, afterName] = index ? [this.#entry(index)[0], afterIndex] : readString(block, afterIndex);
        const [value, next] = readString(block, afterName);
        out.push([name, value]);
        pos = next;
      }
      fieldsSeen = true;
    }
    return out;
  }
}

/**
 * A header block of literals without indexing (6.2.2): the name by static index when the static
 * table has it, the value as plain octets. `fields` must be lowercase names, pseudo-headers first.
 * Written into one buffer sized up front (every request's headers, a ~1 KB bearer token among them).
 */
export function encodeHeaders(fields: readonly (readonly [string, string])[]): Buffer {
  // A prefixed integer below 2^28 takes at most 5 octets; a field has at most three of them.
  let size = 0;
  for (const [name, value] of fields) size += name.length + value.length + 15;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  const int = (first: number, prefixBits: number, value: number): void => {
    const max = (1 << prefixBits) - 1;
    if (value < max) {
      buf[pos++] = first | value;
      return;
    }
    buf[pos++] = first | max;
    let v = value - max;
    while (v >= 0x80) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[pos++] = v;
  };
  for (const [name, value] of fields) {
    const pair = value ? STATIC_PAIR.get(`${name}\0${value}`) : undefined;
    if (pair) {
      // 6.1: the whole field is in the static table (`:method POST`, `:scheme https`).
      int(0x80, 7, pair);
      continue;
    }
    const index = STATIC_NAME.get(name);
    if (index) int(0x00, 4, index);
    else {
      int(0x00, 4, 0);
      int(0x00, 7, name.length);
      pos += buf.write(name, pos, 'latin1');
    }
    int(0x00, 7, value.length);
    pos += buf.write(value, pos, 'latin1');
  }
  return buf.subarray(0, pos);
}
