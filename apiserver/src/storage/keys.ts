// Key ranges. A prefix is a plain string prefix, as etcd's WithPrefix: the range is
// [prefix, prefixEnd(prefix)). Keys are compared in byte order (SQLite BINARY, etcd bytes); for the
// ASCII keys the registry writes this is also JavaScript's string order.

/** The first string greater than every string starting with `prefix`; null when there is none. */
export function prefixEnd(prefix: string): string | null {
  // Increment the last code unit that can be incremented, dropping any that cannot (etcd's
  // GetPrefixRangeEnd does the same on bytes).
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return null;
}

export function hasPrefix(key: string, prefix: string): boolean {
  return key.startsWith(prefix);
}

export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('storage key must be a non-empty string');
}

export function assertRevision(name: string, rev: number): void {
  if (!Number.isSafeInteger(rev) || rev < 0) throw new TypeError(`${name} must be a non-negative integer, got ${rev}`);
}
