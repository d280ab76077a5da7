// The informer's PVs or PVCs with the scheduler's own pending writes laid over them
// (util/assumecache): a PV assumed bound to a claim, or a claim assumed to carry selected-node, is
// what later cycles see, so two pods never pick the same volume. A newer object from the informer
// replaces an assumption; a failed binding restores the informer's object.
import type { KubeObject } from '@mkube/shared/client';

interface Entry<T> {
  /** What cycles see: the assumed object, or else the informer's. */
  latest: T;
  /** The informer's object. */
  api: T;
}

const keyOf = (o: KubeObject): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? '');

/** resourceVersions compared as numbers, as the assume cache parses them (etcd revisions). */
export function versionOf(o: KubeObject): number {
  const n = Number(o.metadata?.resourceVersion ?? '');
  return Number.isFinite(n) ? n : 0;
}

export class AssumeCache<T extends KubeObject> {
  readonly #entries = new Map<string, Entry<T>>();

  constructor(readonly description: string) {}

  /** An informer add or update: kept only if newer than what is stored, so a resync keeps assumptions. */
  onAddOrUpdate(obj: T): void {
    const key = keyOf(obj);
    const cur = this.#entries.get(key);
    if (cur && versionOf(obj) <= versionOf(cur.latest)) return;
    this.#entries.set(key, { latest: obj, api: obj });
  }

  onDelete(obj: T): void {
    this.#entries.delete(keyOf(obj));
  }

  get(key: string): T | undefined {
    return this.#entries.get(key)?.latest;
  }

  /** GetAPIObj: the informer's object, whatever is assumed. */
  getApi(key: string): T | undefined {
    return this.#entries.get(key)?.api;
  }

  list(filter: (o: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (const e of this.#entries.values()) if (filter(e.latest)) out.push(e.latest);
    return out;
  }

  /** Assume: `obj` stands in for the stored object until the informer has a newer one. */
  assume(obj: T): void {
    const key = keyOf(obj);
    const cur = this.#entries.get(key);
    if (!cur) throw new Error(`${this.description} ${JSON.stringify(key)} not found`);
    const want = versionOf(obj);
    const have = versionOf(cur.latest);
    if (want < have)
      throw new Error(`${this.description} ${JSON.stringify(key)} is out of sync (stored: ${have}, assume: ${want})`);
    cur.latest = obj;
  }

  /** Restore: back to the informer's object. */
  restore(key: string): void {
    const cur = this.#entries.get(key);
    if (cur) cur.latest = cur.api;
  }
}
