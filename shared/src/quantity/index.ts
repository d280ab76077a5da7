// resource.Quantity (k8s.io/apimachinery/pkg/api/resource): `1.5Gi`, `100m`, `2e3`, kept as an exact
// fraction of bigints so that `1000m` equals `1` and limits compare without floating-point error.
// The CEL quantity library and the scheduler's resource accounting read quantities through it.

/** resource.ErrFormatWrong, the message upstream's quantity() returns for a bad string. */
export const QUANTITY_FORMAT_WRONG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export const QUANTITY =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x || 1n;
};

const ceilDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b > 0n ? q + 1n : q;
};

export class Quantity {
  /** value = num / den, den > 0, in lowest terms. */
  readonly num: bigint;
  readonly den: bigint;

  constructor(num: bigint, den = 1n) {
    const g = gcd(num, den);
    this.num = num / g;
    this.den = den / g;
  }

  static parse(s: string): Quantity {
    const m = QUANTITY.exec(s.trim());
    if (!m) throw new Error(QUANTITY_FORMAT_WRONG);
    const [int = '', frac = ''] = m[1]!.replace(/^[+-]/, '').split('.');
    const sign = m[1]!.startsWith('-') ? -1n : 1n;
    let num = sign * BigInt(`${int}${frac}` || '0');
    let den = 10n ** BigInt(frac.length);
    const suffix = m[2] ?? '';
    let exp10 = 0;
    if (suffix in BINARY) num *= 1n << BigInt(BINARY[suffix]!);
    else if (suffix in DECIMAL) exp10 = DECIMAL[suffix]!;
    else if (suffix) exp10 = Number(suffix.slice(1));
    if (Math.abs(exp10) > 1000) throw new Error(QUANTITY_FORMAT_WRONG);
    if (exp10 >= 0) num *= 10n ** BigInt(exp10);
    else den *= 10n ** BigInt(-exp10);
    return new Quantity(num, den);
  }

  compare(o: Quantity): number {
    const l = this.num * o.den;
    const r = o.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }

  add(o: Quantity): Quantity {
    return new Quantity(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  negate(): Quantity {
    return new Quantity(-this.num, this.den);
  }

  /** `Value()`: whole units, rounded up (toward +∞) as upstream rounds a fraction. */
  value(): number {
    return Number(ceilDiv(this.num, this.den));
  }

  /** `MilliValue()`: thousandths, rounded up (CPU: millicores). */
  milliValue(): number {
    return Number(ceilDiv(this.num * 1000n, this.den));
  }

  /** AsInt64: only a whole number inside int64. */
  asInt64(): bigint | undefined {
    if (this.den !== 1n || this.num > INT64_MAX || this.num < INT64_MIN) return undefined;
    return this.num;
  }
}

export * from './format.js';
