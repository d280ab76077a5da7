// The informer cache: objects keyed `namespace/name` (client-go's MetaNamespaceKeyFunc).
import { objectKey } from './paths.js';
import type { KubeObject } from './types.js';

/** What consumers (controllers' listers) see: reads only. */
export interface ReadonlyStore<T> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  readonly size: number;
}

export interface ReplaceResult<T> {
  readonly added: T[];
  readonly updated: [old: T, cur: T][];
  readonly deleted: T[];
}

export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  readonly #items = new Map<string, T>();

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  /** Stores `obj`; returns the object it replaced. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    return old;
  }

  /** Removes the object with `obj`'s key; returns what was cached. */
  delete(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    this.#items.delete(key);
    return old;
  }

  /** Swaps the whole content for a fresh list and says what changed. */
  replace(items: readonly T[]): ReplaceResult<T> {
    const fresh = new Map(items.map((o) => [objectKey(o), o] as const));
    const res: ReplaceResult<T> = { added: [], updated: [], deleted: [] };
    for (const [key, old] of this.#items) if (!fresh.has(key)) res.deleted.push(old);
    for (const [key, cur] of fresh) {
      const old = this.#items.get(key);
      if (old) res.updated.push([old, cur]);
      else res.added.push(cur);
    }
    this.#items.clear();
    for (const [key, cur] of fresh) this.#items.set(key, cur);
    return res;
  }
}
