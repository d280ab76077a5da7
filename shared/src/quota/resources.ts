// The ResourceList helpers of k8s.io/apiserver/pkg/quota/v1 (Add, Mask, LessThanOrEqual, ...) over
// a map of parsed quantities; lists come from and go back to the API's string form.
import type { ResourceList } from '../api/index.js';
import { QuotaQuantity } from './quantity.js';

export type Usage = Map<string, QuotaQuantity>;

/** An API ResourceList, parsed; an unparsable value is left out (validation refuses those). */
export function parseList(list: ResourceList | undefined): Usage {
  const out: Usage = new Map();
  for (const [k, v] of Object.entries(list ?? {})) {
    try {
      out.set(k, QuotaQuantity.parse(String(v)));
    } catch {
      // Not a quantity: nothing to count against.
    }
  }
  return out;
}

/** Back to the API form, keys sorted as Go's JSON encoding of a map writes them. */
export function toList(u: Usage): ResourceList {
  const out: ResourceList = {};
  for (const k of [...u.keys()].sort()) out[k] = u.get(k)!.toString();
  return out;
}

export const resourceNames = (u: Usage): string[] => [...u.keys()];

/** quota.Add: a's keys summed with b's, and b's other keys. */
export function add(a: Usage, b: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, v] of a) {
    const o = b.get(k);
    out.set(k, o ? v.add(o) : v);
  }
  for (const [k, v] of b) if (!out.has(k)) out.set(k, v);
  return out;
}

/** quota.SubtractWithNonNegativeResult: a − b per key of a, never below zero. */
export function subtractNonNegative(a: Usage, b: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, v] of a) {
    const o = b.get(k);
    const d = o ? v.sub(o) : v;
    out.set(k, d.sign() < 0 ? new QuotaQuantity(QuotaQuantity.ZERO.value, d.format) : d);
  }
  return out;
}

/** quota.Mask: only the named keys. */
export function mask(u: Usage, names: Iterable<string>): Usage {
  const out: Usage = new Map();
  for (const n of names) {
    const v = u.get(n);
    if (v) out.set(n, v);
  }
  return out;
}

/** quota.LessThanOrEqual: a ≤ b on every key both have; the keys that are not. */
export function lessThanOrEqual(a: Usage, b: Usage): { allowed: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of a) {
    const limit = b.get(k);
    if (limit && v.compare(limit) > 0) exceeded.push(k);
  }
  return { allowed: exceeded.length === 0, exceeded };
}

/** quota.Equals: the same keys, the same values. */
export function equals(a: Usage, b: Usage): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (o?.compare(v) !== 0) return false;
  }
  return true;
}

export function removeZeros(u: Usage): Usage {
  return new Map([...u].filter(([, v]) => !v.isZero()));
}

export function negativeNames(u: Usage): string[] {
  return [...u].filter(([, v]) => v.sign() < 0).map(([k]) => k);
}

/** The admission messages' `a=1,b=2`: sorted by name. */
export function prettyPrint(u: Usage): string {
  return [...u.keys()]
    .sort()
    .map((k) => `${k}=${u.get(k)!.toString()}`)
    .join(',');
}

export const prettyPrintNames = (names: readonly string[]): string => [...names].sort().join(',');
