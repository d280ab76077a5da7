// PEM (RFC 7468) blocks in and out. Decoding is strict about the base64 alphabet and reports
// encapsulated headers (RFC 1421 "Proc-Type: 4,ENCRYPTED") so callers can refuse them.
import { PkiError } from './errors.js';

export interface PemBlock {
  readonly type: string;
  readonly headers: boolean;
  readonly der: Buffer;
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n([\s\S]*?)-----END \1-----/g;
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_PEM_BYTES = 4 * 1024 * 1024;

/** The text of `input` (bytes are read as latin1: PEM is ASCII). */
export function pemText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
}

/** All PEM blocks in `input`, in order. Malformed base64 inside a block is an error. */
export function decodePemBlocks(input: string | Uint8Array): PemBlock[] {
  const text = pemText(input);
  if (text.length > MAX_PEM_BYTES) throw new PkiError('BadPem', 'PEM data too large');
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    const body = m[2]!;
    const lines = body.split(/\r?\n/);
    const headers = lines.some((l) => l.includes(':'));
    const b64 = lines
      .filter((l) => !l.includes(':'))
      .join('')
      .replace(/[ \t]/g, '');
    if (!B64_RE.test(b64) || b64.length % 4 !== 0) {
      throw new PkiError('BadPem', `invalid base64 in PEM block "${m[1]}"`);
    }
    out.push({ type: m[1]!, headers, der: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** The first block of one of `types`; BadPem if there is none. */
export function decodePemBlock(input: string | Uint8Array, types: readonly string[], what: string): PemBlock {
  const block = decodePemBlocks(input).find((b) => types.includes(b.type));
  if (!block)
    throw new PkiError('BadPem', `no ${what} PEM block found (want ${types.map((t) => `"${t}"`).join(' or ')})`);
  return block;
}

/** 64-column base64, LF line ends, trailing newline: what Go's encoding/pem writes. */
export function encodePem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += `${b64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${type}-----\n${body}-----END ${type}-----\n`;
}
