// How resource.Quantity prints: String() is the canonical form in the format the quantity was written
// in (`1000m` → `1`, `1024Mi` → `1Gi`, `0.5` → `500m`), which messages and stored objects show. A
// Quantity keeps only the value, so these read the original string again for its format.
import { QUANTITY, Quantity } from './index.js';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_SUFFIXES: Readonly<Record<number, string>> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};
const NANO = 1_000_000_000n;

/** The format ParseQuantity infers from the suffix: binary, exponent, or decimal (also no suffix). */
export function quantityFormat(s: string): QuantityFormat {
  const suffix = QUANTITY.exec(s.trim())?.[2] ?? '';
  if (suffix.endsWith('i')) return 'BinarySI';
  if (suffix.startsWith('e') || suffix.startsWith('E')) return 'DecimalExponent';
  return 'DecimalSI';
}

/** A value below a nano is rounded up to one, as ParseQuantity does. */
function nanoRounded(q: Quantity): Quantity {
  if (NANO % q.den === 0n) return q;
  const n = q.num * NANO;
  const ceil = n / q.den + (n % q.den > 0n ? 1n : 0n);
  return new Quantity(ceil, NANO);
}

/** The integer mantissa and base-10 exponent (a multiple of 3) of AsCanonicalBytes. */
function decimalParts(q: Quantity): { mantissa: bigint; exponent: number } {
  // den divides 1e9 here, so num * (1e9 / den) is the value in nanos.
  let mantissa = q.num * (NANO / q.den);
  let exponent = -9;
  while (mantissa !== 0n && mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const r = exponent % 3;
  if (r === 1 || r === -2) {
    mantissa *= 10n;
    exponent -= 1;
  } else if (r === 2 || r === -1) {
    mantissa *= 100n;
    exponent -= 2;
  }
  return { mantissa, exponent };
}

function decimalString(q: Quantity, format: QuantityFormat): string {
  let { mantissa, exponent } = decimalParts(q);
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  // Beyond exa there is no suffix: the mantissa takes the rest.
  while (exponent > 18) {
    mantissa *= 1000n;
    exponent -= 3;
  }
  return `${mantissa}${DECIMAL_SUFFIXES[exponent] ?? ''}`;
}

/** Quantity.String() of a value in a format (CanonicalizeBytes). */
export function formatQuantity(value: Quantity, format: QuantityFormat): string {
  const q = nanoRounded(value);
  if (q.num === 0n) return '0';
  if (format === 'BinarySI') {
    const small = q.compare(new Quantity(-1024n)) > 0 && q.compare(new Quantity(1024n)) < 0;
    // Small or fractional binary values read better (and exactly) in decimal.
    if (small || q.den !== 1n) return decimalString(q, 'DecimalSI');
    let amount = q.num;
    let power = 0;
    while (power < BINARY_SUFFIXES.length - 1 && amount % 1024n === 0n) {
      amount /= 1024n;
      power++;
    }
    return `${amount}${BINARY_SUFFIXES[power]}`;
  }
  return decimalString(q, format);
}

/** The canonical form of a quantity string (what the apiserver writes back); the input when unparsable. */
export function canonicalQuantity(s: string): string {
  let q: Quantity;
  try {
    q = Quantity.parse(s);
  } catch {
    return s;
  }
  return formatQuantity(q, quantityFormat(s));
}

/** Parses, or undefined for a string that is no quantity. */
export function tryParseQuantity(s: unknown): Quantity | undefined {
  if (typeof s === 'number') s = String(s);
  if (typeof s !== 'string') return undefined;
  try {
    return Quantity.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * The quantity as Go's %#v prints a resource.Quantity (how field errors show one passed as the bad
 * value): the int64Amount ParseQuantity builds (digits, and the scale its suffix and fraction give),
 * and the cached String() when the caller had already asked for it.
 */
export function goQuantity(s: string, stringCached: boolean): string {
  const m = QUANTITY.exec(s.trim());
  const format = quantityFormat(s);
  let value = 0n;
  let scale = 0;
  if (m) {
    const sign = m[1]!.startsWith('-') ? -1n : 1n;
    const [int = '', frac = ''] = m[1]!.replace(/^[+-]/, '').split('.');
    const suffix = m[2] ?? '';
    if (format === 'BinarySI') {
      value = Quantity.parse(s).num;
    } else {
      value = sign * BigInt(`${int}${frac}` || '0');
      const exp = suffix in DECIMAL_EXPONENTS ? DECIMAL_EXPONENTS[suffix]! : suffix ? Number(suffix.slice(1)) : 0;
      scale = exp - frac.length;
    }
  }
  const cached = stringCached ? canonicalQuantity(s) : '';
  return (
    `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, ` +
    `d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(cached)}, Format:"${format}"}`
  );
}

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
