// Small pieces of the kubelet's podcertificate manager: the issued chain as the manager keeps it,
// the jitter that keeps projections from moving in step, and Go's %q for the texts upstream formats.
import { randomInt } from 'node:crypto';
import { decodePemBlocks, encodePem } from '@mkube/shared/pki';

/** Up to 5 minutes (jitterDuration): added to beginRefreshAt and to the assumed-deleted threshold. */
export const JITTER_MS = 5 * 60_000;

export function jitterMs(): number {
  return randomInt(JITTER_MS);
}

/**
 * cleanCertificateChain: every PEM block of the chain again as a bare `CERTIFICATE` block, so block
 * headers and whatever a signer wrote between blocks never reach the pod.
 */
export function cleanCertificateChain(chain: string): Buffer {
  return Buffer.from(
    decodePemBlocks(chain)
      .map((b) => encodePem('CERTIFICATE', b.der))
      .join(''),
  );
}

const NAMED_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Go's strconv.Quote (fmt %q) for the texts a signer's condition puts in errors and Events. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const named = NAMED_ESCAPES[ch];
    if (named) {
      out += named;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
