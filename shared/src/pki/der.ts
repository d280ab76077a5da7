// A small, strict DER reader and writer: just what X.509 certificates and PKCS#10 requests need.
// Every read is bounds-checked against its parent's end and throws DerError on anything that is
// not minimal DER (indefinite or non-minimal lengths, high tag numbers, trailing bytes), so hostile
// input ends in a typed error, never a TypeError, an out-of-range read or a hang.

export class DerError extends Error {
  override readonly name = 'DerError';
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag numbers: `[n]` constructed (EXPLICIT wrappers) and primitive (IMPLICIT strings). */
export const ctxCons = (n: number): number => 0xa0 | n;
export const ctxPrim = (n: number): number => 0x80 | n;

/** One element: its tag and where its header and value lie in the buffer. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** Reads the element starting at `pos`, which must end at or before `limit`. */
export function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv {
  if (limit > buf.length || pos + 2 > limit) throw new DerError('truncated element');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER');
    if (n > 4) throw new DerError('length too large');
    if (p + n > limit) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (buf[p] === 0 || len < 0x80) throw new DerError('non-minimal length');
    p += n;
  }
  const end = p + len;
  if (end > limit) throw new DerError('element runs past its container');
  return { tag, start: pos, valueStart: p, end };
}

/** Reads a whole buffer as exactly one element. */
export function readRoot(buf: Uint8Array, tag: number): Tlv {
  const t = readTlv(buf, 0, buf.length);
  if (t.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
  if (t.end !== buf.length) throw new DerError('trailing data after element');
  return t;
}

/** Walks the children of a constructed element in order. */
export class DerSeq {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    private readonly parent: Tlv,
  ) {
    if ((parent.tag & 0x20) === 0) throw new DerError('expected a constructed element');
    this.pos = parent.valueStart;
  }

  get done(): boolean {
    return this.pos >= this.parent.end;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.buf[this.pos];
  }

  next(tag?: number): Tlv {
    if (this.done) throw new DerError('missing element');
    const t = readTlv(this.buf, this.pos, this.parent.end);
    if (tag !== undefined && t.tag !== tag) {
      throw new DerError(`expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
    }
    this.pos = t.end;
    return t;
  }

  /** The next element if it has `tag`, else undefined (for OPTIONAL and DEFAULT fields). */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next(tag) : undefined;
  }

  end(): void {
    if (!this.done) throw new DerError('unexpected trailing element');
  }
}

export const contentOf = (buf: Uint8Array, t: Tlv): Buffer =>
  Buffer.from(buf.buffer, buf.byteOffset + t.valueStart, t.end - t.valueStart);
export const rawOf = (buf: Uint8Array, t: Tlv): Buffer =>
  Buffer.from(buf.buffer, buf.byteOffset + t.start, t.end - t.start);

const oidCache = new Map<string, string>();

export function decodeOid(v: Uint8Array): string {
  if (v.length === 0 || v.length > 64) throw new DerError('bad object identifier length');
  const key = Buffer.from(v.buffer, v.byteOffset, v.length).toString('latin1');
  const hit = oidCache.get(key);
  if (hit !== undefined) return hit;
  const arcs: number[] = [];
  let acc = 0;
  let started = false;
  for (const b of v) {
    if (!started && b === 0x80) throw new DerError('non-minimal object identifier arc');
    started = true;
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 256) throw new DerError('object identifier arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(acc);
      acc = 0;
      started = false;
    }
  }
  if (started) throw new DerError('truncated object identifier');
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  const text = [...head, ...arcs.slice(1)].join('.');
  if (oidCache.size < 512) oidCache.set(key, text);
  return text;
}

/** The magnitude bytes of a non-negative INTEGER without leading zeros (empty for 0). */
export function decodeUnsigned(v: Uint8Array, what: string): Buffer {
  if (v.length === 0) throw new DerError(`empty ${what}`);
  if (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) throw new DerError(`non-minimal ${what}`);
  if (v.length > 1 && v[0] === 0xff && (v[1]! & 0x80) !== 0) throw new DerError(`non-minimal ${what}`);
  if (v[0]! & 0x80) throw new DerError(`negative ${what}`);
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  return Buffer.from(v.subarray(i));
}

export function decodeSmallInt(v: Uint8Array, what: string): number {
  const mag = decodeUnsigned(v, what);
  if (mag.length > 4) throw new DerError(`${what} too large`);
  let n = 0;
  for (const b of mag) n = n * 256 + b;
  return n;
}

export function decodeBoolean(v: Uint8Array): boolean {
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw new DerError('bad BOOLEAN');
  return v[0] === 0xff;
}

/** BIT STRING contents without the unused-bits octet; `unused` tells how many trailing bits to ignore. */
export function decodeBitString(v: Uint8Array): { bytes: Buffer; unused: number } {
  if (v.length === 0) throw new DerError('empty BIT STRING');
  const unused = v[0]!;
  if (unused > 7 || (v.length === 1 && unused !== 0)) throw new DerError('bad BIT STRING padding');
  return { bytes: Buffer.from(v.buffer, v.byteOffset + 1, v.length - 1), unused };
}

const TIME_RE = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 profiles them. */
export function decodeTime(tag: number, v: Uint8Array): Date {
  const s = Buffer.from(v.buffer, v.byteOffset, v.length).toString('latin1');
  const m = TIME_RE.exec(s);
  const digitsOk = tag === TAG.UTC_TIME ? s.length === 13 : tag === TAG.GENERALIZED_TIME && s.length === 15;
  if (!m || !digitsOk) throw new DerError('bad time');
  let year = Number(m[1]);
  if (tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, se, 0);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw new DerError('bad time');
  }
  return date;
}

// ---- writer ---------------------------------------------------------------------------------

function header(tag: number, len: number): Buffer {
  if (len < 0x80) return Buffer.from([tag, len]);
  if (len < 0x100) return Buffer.from([tag, 0x81, len]);
  if (len < 0x10000) return Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  if (len < 0x1000000) return Buffer.from([tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  throw new DerError('element too large');
}

export function tlv(tag: number, ...parts: readonly Uint8Array[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  return Buffer.concat([header(tag, len), ...parts]);
}

export const seq = (...parts: readonly Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, ...parts);

/** SET OF in DER order: elements sorted by their encodings (X.690 11.6), as Go's encoder does. */
export const setOf = (elements: readonly Buffer[]): Buffer => tlv(TAG.SET, ...[...elements].sort(Buffer.compare));

export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new DerError(`bad OID ${oid}`);
  const out: number[] = [];
  const push = (n: number): void => {
    const bytes = [n % 128];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) bytes.unshift((x % 128) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(TAG.OID, Buffer.from(out));
}

/** A non-negative INTEGER from big-endian magnitude bytes: minimal, with a 0x00 pad if the high bit is set. */
export function encodeUnsigned(mag: Uint8Array): Buffer {
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  const m = mag.length === 0 ? Buffer.from([0]) : mag.subarray(i);
  return m[0]! & 0x80 ? tlv(TAG.INTEGER, Buffer.from([0]), m) : tlv(TAG.INTEGER, m);
}

export const encodeSmallInt = (n: number): Buffer => {
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x % 256);
  return encodeUnsigned(Buffer.from(bytes));
};

export const encodeBoolean = (b: boolean): Buffer => Buffer.from([TAG.BOOLEAN, 1, b ? 0xff : 0]);
export const encodeOctets = (b: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, b);
export const encodeBitString = (b: Uint8Array, unused = 0): Buffer => tlv(TAG.BIT_STRING, Buffer.from([unused]), b);
export const NULL_DER: Buffer = Buffer.from([TAG.NULL, 0]);

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** UTCTime for 1950–2049 and GeneralizedTime otherwise (RFC 5280 4.1.2.5), whole seconds. */
export function encodeTime(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = `${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, Buffer.from(`${pad(y % 100, 2)}${rest}`, 'latin1'));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${pad(y, 4)}${rest}`, 'latin1'));
}
