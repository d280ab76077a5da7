// A write below the strategy and admission (upstream's Store.Storage.GuaranteedUpdate): read, check
// the preconditions, transform, compare-and-swap, and start again from the newer object on a
// conflict. For the few REST endpoints upstream writes so: pods/binding sets spec.nodeName, which no
// update of the pod may change, and its request was admitted as a create of a Binding, not as an
// update of the pod. Watchers see the write as any other (MODIFIED).
import type { KubeObject, Preconditions } from '@mkube/shared/api';
import { newNotFound } from '@mkube/shared/apierrors';
import { type KeyValue, type Store, StoreConflictError } from '../storage/index.js';
import { isStaleInStorage } from '../storage/value/transforming-store.js';
import { jsonEqual } from '../util/json.js';
import type { ResourceDef } from './catalog.js';
import { clone, decodeObject, encodeObject, writtenObject } from './codec.js';
import { checkPreconditions } from './generic.js';
import { objectKey } from './keys.js';
import { storeErrorToStatus } from './storeerrors.js';

/** As the generic registry: conflicts this many times in a row are the client's to retry. */
const MAX_ATTEMPTS = 16;

export interface StorageUpdate {
  readonly namespace: string;
  readonly name: string;
  /** Checked against the object each attempt reads: a mismatch is a Conflict, never retried. */
  readonly preconditions?: Preconditions;
  /** Everything but the write: a refusal from `transform` is still reported. */
  readonly dryRun: boolean;
  /** Gets a copy of the stored object; throws (a StatusError) to refuse the write. */
  readonly transform: (current: KubeObject) => KubeObject;
}

/** The object as written (or as it would be, on a dry run). */
export async function storageGuaranteedUpdate(store: Store, def: ResourceDef, u: StorageUpdate): Promise<KubeObject> {
  const gr = { group: def.group, resource: def.resource };
  const key = objectKey(def, u.namespace, u.name);
  let kv: KeyValue | undefined;
  for (let attempt = 1; ; attempt++) {
    if (!kv) {
      const got = await store.get(key).catch((e) => {
        throw storeErrorToStatus(e, gr, u.name);
      });
      if (!got.kv) throw newNotFound(gr, u.name);
      kv = got.kv;
    }
    const current = decodeObject(kv, store);
    checkPreconditions(gr, u.name, current, u.preconditions);
    const next = u.transform(clone(current));
    if (u.dryRun) return next;
    if (jsonEqual(next, current) && !isStaleInStorage(kv)) return current;
    try {
      const written = await store.update(key, encodeObject(next), { expectedModRevision: kv.modRevision });
      return writtenObject(written, store, next);
    } catch (e) {
      if (e instanceof StoreConflictError && attempt < MAX_ATTEMPTS) {
        kv = e.current;
        continue;
      }
      throw storeErrorToStatus(e, gr, u.name);
    }
  }
}
