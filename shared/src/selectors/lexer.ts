// The label-selector lexer of apimachinery pkg/labels: identifiers run until whitespace or one of
// `= ! ( ) , > <`; operators are the longest run of those symbols that is still a known token.

export type Token =
  | 'error'
  | 'end'
  | 'closedPar'
  | 'comma'
  | 'doesNotExist'
  | 'doubleEquals'
  | 'equals'
  | 'greaterThan'
  | 'identifier'
  | 'in'
  | 'lessThan'
  | 'notEquals'
  | 'notIn'
  | 'openPar';

export interface ScannedItem {
  readonly tok: Token;
  readonly literal: string;
}

const STRING_TO_TOKEN: ReadonlyMap<string, Token> = new Map<string, Token>([
  [')', 'closedPar'],
  [',', 'comma'],
  ['!', 'doesNotExist'],
  ['==', 'doubleEquals'],
  ['=', 'equals'],
  ['>', 'greaterThan'],
  ['in', 'in'],
  ['<', 'lessThan'],
  ['!=', 'notEquals'],
  ['notin', 'notIn'],
  ['(', 'openPar'],
]);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string): boolean => '=!(),><'.includes(ch) && ch.length === 1;

/** Splits a selector into tokens, ending with exactly one `end` token. */
export function scan(input: string): ScannedItem[] {
  // The bound below needs a length: anything but text (a decoded body's number) would never end.
  if (typeof input !== 'string') throw new TypeError('a selector must be a string');
  const items: ScannedItem[] = [];
  let pos = 0;
  const n = input.length;
  // Every round consumes at least one character or ends, so this is bounded by n + 1 rounds.
  for (;;) {
    while (pos < n && isWhitespace(input[pos]!)) pos++;
    if (pos >= n) {
      items.push({ tok: 'end', literal: '' });
      return items;
    }
    const ch = input[pos]!;
    if (isSpecialSymbol(ch)) {
      let buffer = '';
      let last: ScannedItem | undefined;
      while (pos < n && isSpecialSymbol(input[pos]!)) {
        buffer += input[pos];
        const tok = STRING_TO_TOKEN.get(buffer);
        if (tok) last = { tok, literal: buffer };
        else if (last) break;
        pos++;
      }
      items.push(last ?? { tok: 'error', literal: `error expected: keyword found '${buffer}'` });
      continue;
    }
    let buffer = '';
    while (pos < n && !isSpecialSymbol(input[pos]!) && !isWhitespace(input[pos]!)) buffer += input[pos++];
    const tok = STRING_TO_TOKEN.get(buffer);
    items.push({ tok: tok ?? 'identifier', literal: buffer });
  }
}
