// The StorageClasses as DefaultStorageClass and PersistentVolumeClaimResize admission read them.
// Straight from the store, not a watch cache as upstream's lister: a class created a moment ago is
// in effect for the very next claim.
import type { StorageClass } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { EVERYTHING } from '../filter.js';
import type { GenericRegistry } from '../generic.js';

export interface StorageClassLister {
  /** undefined: no class of that name. */
  get(name: string): Promise<StorageClass | undefined>;
  list(): Promise<StorageClass[]>;
}

export const NO_STORAGE_CLASSES: StorageClassLister = { get: async () => undefined, list: async () => [] };

/** Over the registry; with none (the API is not served) there are no classes. */
export function storageClassLister(reg: GenericRegistry | undefined): StorageClassLister {
  if (!reg) return NO_STORAGE_CLASSES;
  return {
    async get(name) {
      try {
        return (await reg.get('', name)) as StorageClass;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async list() {
      return (await reg.list({ namespace: '', filter: EVERYTHING })).items as StorageClass[];
    },
  };
}
