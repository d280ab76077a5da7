// apiequality.Semantic.DeepEqual for the status comparison: absent and undefined fields are the same,
// and quantities compare by value, so a status read back from the apiserver equals the one computed.
import type { HorizontalPodAutoscalerStatus } from '@mkube/shared/api';
import { Quantity } from '@mkube/shared/quantity';

const QUANTITY_KEYS = new Set(['value', 'averageValue']);

function equal(a: unknown, b: unknown, key = ''): boolean {
  if (a === b) return true;
  if (QUANTITY_KEYS.has(key) && typeof a === 'string' && typeof b === 'string') {
    try {
      return Quantity.parse(a).compare(Quantity.parse(b)) === 0;
    } catch {
      return false;
    }
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => equal(x, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!equal(ra[k], rb[k], k)) return false;
  return true;
}

export function statusEqual(
  a: HorizontalPodAutoscalerStatus | undefined,
  b: HorizontalPodAutoscalerStatus | undefined,
): boolean {
  return equal(a ?? {}, b ?? {});
}
