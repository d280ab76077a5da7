// resource.Quantity as the scheduler reads it (k8s.io/apimachinery/pkg/api/resource): `Value()` and
// `MilliValue()`, both rounded up as upstream rounds them, computed exactly on bigints so `0.1` CPU
// is 100m and `1Gi` is 1073741824 however the string is written.

const FORMAT = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const BINARY: Readonly<Record<string, bigint>> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** resource.ErrFormatWrong's text. */
export const QUANTITY_FORMAT_WRONG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** A quantity as an exact fraction num/den (den > 0). */
interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

function parseFraction(text: string): Fraction {
  const m = FORMAT.exec(text.trim());
  if (!m) throw new Error(QUANTITY_FORMAT_WRONG);
  const sign = m[1]!.startsWith('-') ? -1n : 1n;
  const [int = '', frac = ''] = m[1]!.replace(/^[+-]/, '').split('.');
  let num = sign * BigInt(`${int}${frac}` || '0');
  let den = 10n ** BigInt(frac.length);
  const suffix = m[2] ?? '';
  const binary = BINARY[suffix];
  let exp10 = 0;
  if (binary !== undefined) num <<= binary;
  else if (suffix in DECIMAL) exp10 = DECIMAL[suffix]!;
  else if (suffix) exp10 = Number(suffix.slice(1));
  if (Math.abs(exp10) > 64) throw new Error(QUANTITY_FORMAT_WRONG);
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den *= 10n ** BigInt(-exp10);
  return { num, den };
}

/** Division rounding toward +∞, as Quantity.Value rounds a fraction up. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b > 0n ? q + 1n : q;
}

/** `Value()`: the quantity in whole units, rounded up. Throws on a malformed quantity. */
export function quantityValue(text: string): number {
  const { num, den } = parseFraction(text);
  return Number(ceilDiv(num, den));
}

/** `MilliValue()`: the quantity in thousandths, rounded up (CPU: millicores). */
export function quantityMilliValue(text: string): number {
  const { num, den } = parseFraction(text);
  return Number(ceilDiv(num * 1000n, den));
}
