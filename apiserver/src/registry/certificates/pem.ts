// encoding/pem's Decode, as far as CSR validation needs it: blocks are found by their BEGIN/END
// lines, `Key: Value` headers are reported (Kubernetes refuses them in status.certificate), and a
// malformed block is skipped rather than fatal, as Go's decoder skips it.

export interface PemBlock {
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: Buffer;
}

const BEGIN = /-----BEGIN ([^\r\n-]*)-----[ \t]*\r?\n/g;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;
const MAX_BLOCKS = 1024;

function parseHeaders(lines: string[]): { headers: Record<string, string>; rest: string[] } {
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0) break;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  // Go requires a blank line after headers; it is dropped here with the rest of the whitespace.
  return { headers, rest: lines.slice(i) };
}

/** Every well-formed block in `text`, in order. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m && blocks.length < MAX_BLOCKS; m = BEGIN.exec(text)) {
    const type = m[1]!;
    const bodyStart = BEGIN.lastIndex;
    const endMarker = `-----END ${type}-----`;
    const end = text.indexOf(endMarker, bodyStart);
    if (end < 0) continue;
    const { headers, rest } = parseHeaders(text.slice(bodyStart, end).split(/\r?\n/));
    const body = rest.join('');
    if (!BASE64_BODY.test(body)) continue;
    const compact = body.replace(/\s/g, '');
    if (compact.length % 4 !== 0) continue;
    blocks.push({ type, headers, bytes: Buffer.from(compact, 'base64') });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return blocks;
}
