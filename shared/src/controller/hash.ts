// controller.ComputeHash: the pod-template-hash a Deployment (and the controller-revision-hash a
// DaemonSet) names its template by — FNV-32a, the collision count mixed in, the decimal digits
// spelled with rand.SafeEncodeString's alphabet (no vowels, no 0/1/3: no words, no confusion).
//
// Upstream hashes go-spew's dump of the typed Go struct (DeepHashObject); a TypeScript process has
// no such struct, so this hashes the template's canonical JSON (as Go's json.Marshal writes a map,
// which is also what a ControllerRevision's data is compared and hashed as) instead. The hashes
// differ from kube-controller-manager's for the same template, but they are as stable: only equal
// templates (as the apiserver stored them) share one, and the controllers find a template's
// ReplicaSet or revision by comparing templates, never by recomputing its hash.

/** rand.SafeEncodeString's alphabet. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1 (hash/fnv New32), which history.HashControllerRevision uses. */
export function fnv32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) h = (Math.imul(h, 0x01000193) ^ b) >>> 0;
  return h >>> 0;
}

/** FNV-1a (hash/fnv New32a), which ComputeHash uses. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s)) out += ALPHANUMS[b % ALPHANUMS.length];
  return out;
}

/**
 * Go's json.Marshal of a decoded map: keys sorted at every level, undefined members left out, and
 * <, >, &, U+2028 and U+2029 escaped as \u003c… (HTML-safe, as Go writes them).
 */
export function canonicalJson(v: unknown): string {
  return (JSON.stringify(sortKeys(v)) ?? 'null').replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonicalJson(template)));
  if (collisionCount !== undefined) {
    // binary.LittleEndian.PutUint32 into an 8-byte buffer: the last four bytes stay zero.
    const b = Buffer.alloc(8);
    b.writeUInt32LE(collisionCount >>> 0, 0);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}
