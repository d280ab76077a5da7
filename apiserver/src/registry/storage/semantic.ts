// apiequality.Semantic.DeepEqual over decoded JSON, for the CSI objects' immutability checks: a
// nil and an empty slice are equal in Go, and a field sent as null is one never sent. A nil and an
// empty struct pointer are not (`allocatable: {}` is a change from no `allocatable`).

const isUnset = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isUnset(a) && isUnset(b)) return true;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].every((k) => semanticEqual(x[k], y[k]));
}
