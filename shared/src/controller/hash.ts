// controller.ComputeHash: the pod-template-hash a Deployment (and a DaemonSet's or StatefulSet's
// ControllerRevision) names its template by — FNV-32a, the collision count mixed in, the decimal
// digits spelled with rand.SafeEncodeString's alphabet (no vowels, no 0/1/3: no words, no confusion).
//
// Upstream hashes go-spew's dump of the typed Go struct (DeepHashObject); a TypeScript process has
// no such struct, so this hashes the template's canonical JSON (keys sorted) instead. The hashes
// differ from kube-controller-manager's for the same template, but they are as stable: only equal
// templates (as the apiserver stored them) share one, and the controllers find a template's
// ReplicaSet by comparing templates, never by recomputing its hash.

/** rand.SafeEncodeString's alphabet. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

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

/** JSON with every object's keys sorted, undefined members left out. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
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
