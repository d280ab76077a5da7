// The binder's own record of the newest volumes and claims (storeObjectUpdate): the informer lags
// behind the binder's writes (a bind writes a volume's spec and status, then a claim's), so what it
// wrote is kept and an older version from a watch event never replaces it.
import type { KubeObject } from '@mkube/shared/api';
import { objectKey } from '@mkube/shared/client';

/** Newer if its resourceVersion is larger; one that is not a number (never from etcd) always wins. */
function isNewer(cur: KubeObject, old: KubeObject): boolean {
  const a = Number(cur.metadata?.resourceVersion);
  const b = Number(old.metadata?.resourceVersion);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return true;
  return a >= b;
}

export class VersionedCache<T extends KubeObject> {
  readonly #items = new Map<string, T>();

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  /** Stores `obj` unless a newer version is already known; true if stored. */
  update(obj: T): boolean {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (old && !isNewer(obj, old)) return false;
    this.#items.set(key, obj);
    return true;
  }

  delete(key: string): void {
    this.#items.delete(key);
  }
}
