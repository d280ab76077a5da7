// HPACK's Huffman code (RFC 7541 Appendix B). The code is canonical: every symbol's code follows
// from the code lengths alone (shorter codes first, then by symbol), so only the lengths are
// written out here and the codes are derived. Symbol 256 is EOS, 30 one-bits, which may appear
// only as padding.

// Code length of symbols 0–255, then EOS.
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6,
  5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23,
  22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22,
  23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26,
  20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27,
  27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27,
  27, 27, 27, 26, 30,
];
const EOS = 256;
const MAX_LEN = 30;

// Canonical decoding tables: for each length, the first code of that length, how many symbols
// have it, and where they start in SYMBOLS (symbols sorted by length, then value).
const SYMBOLS: number[] = [...LENGTHS.keys()].sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b);
const FIRST_CODE = new Array<number>(MAX_LEN + 2).fill(0);
const COUNT = new Array<number>(MAX_LEN + 2).fill(0);
const OFFSET = new Array<number>(MAX_LEN + 2).fill(0);
/** Each symbol's code, for the tests and for anyone encoding. */
export const HUFFMAN_CODES: readonly number[] = (() => {
  for (const l of LENGTHS) COUNT[l]!++;
  const codes = new Array<number>(LENGTHS.length).fill(0);
  let code = 0;
  let offset = 0;
  for (let len = 1; len <= MAX_LEN; len++) {
    FIRST_CODE[len] = code;
    OFFSET[len] = offset;
    code = (code + COUNT[len]!) * 2;
    offset += COUNT[len]!;
  }
  const next = [...FIRST_CODE];
  for (const s of SYMBOLS) codes[s] = next[LENGTHS[s]!]!++;
  return codes;
})();
export const HUFFMAN_LENGTHS: readonly number[] = LENGTHS;

export class HuffmanError extends Error {}

/** Decodes a Huffman-coded HPACK string literal (latin1, as header octets). */
export function huffmanDecode(src: Uint8Array): string {
  let out = '';
  let code = 0;
  let len = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const rel = code - FIRST_CODE[len]!;
      if (rel >= 0 && rel < COUNT[len]!) {
        const sym = SYMBOLS[OFFSET[len]! + rel]!;
        if (sym === EOS) throw new HuffmanError('hpack: EOS in a Huffman-coded string');
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len >= MAX_LEN) {
        throw new HuffmanError('hpack: invalid Huffman code');
      }
    }
  }
  // What is left must be padding: fewer than 8 bits, all ones (the start of EOS).
  if (len > 7 || code !== 2 ** len - 1) throw new HuffmanError('hpack: invalid Huffman padding');
  return out;
}
