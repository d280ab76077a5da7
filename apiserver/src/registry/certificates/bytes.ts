// Go `[]byte` fields travel as standard base64 in JSON. Go's decoder is strict (a bad character is
// a decode error), Node's is lenient, so the check is made here before anything reads the bytes.

export type DecodedBytes = { ok: true; bytes: Buffer } | { ok: false; error: string };

const STD_ALPHABET = /^[A-Za-z0-9+/]$/;
/** The common case, checked in one pass: the alphabet, then at most two '=' at the end. */
const WELL_FORMED = /^[A-Za-z0-9+/]*={0,2}$/;

/** base64.StdEncoding as encoding/json applies it: CR and LF skipped, padding required. */
export function decodeStdBase64(s: string): DecodedBytes {
  if (s.length % 4 === 0 && WELL_FORMED.test(s)) return { ok: true, bytes: Buffer.from(s, 'base64') };
  // Anything else (line breaks, or an error to locate) byte by byte, as Go's decoder reports it.
  let data = 0;
  let pad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\r' || c === '\n') continue;
    if (c === '=') {
      pad++;
      if (pad > 2) return { ok: false, error: `illegal base64 data at input byte ${i}` };
      continue;
    }
    if (pad > 0 || !STD_ALPHABET.test(c)) return { ok: false, error: `illegal base64 data at input byte ${i}` };
    data++;
  }
  if ((data + pad) % 4 !== 0) {
    return { ok: false, error: `illegal base64 data at input byte ${s.length}` };
  }
  return { ok: true, bytes: Buffer.from(s.replace(/[\r\n]/g, ''), 'base64') };
}
