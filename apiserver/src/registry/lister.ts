// The cluster-scoped classes admission plugins read (StorageClasses, IngressClasses, RuntimeClasses).
// Straight from the store, not a watch cache as upstream's listers: a class created a moment ago is
// in effect for the very next object (upstream's RuntimeClass plugin falls back to a live GET for
// the same reason).
import { isNotFound } from '@mkube/shared/apierrors';
import { EVERYTHING } from './filter.js';
import type { GenericRegistry } from './generic.js';

export interface ClusterLister<T> {
  /** undefined: no object of that name. */
  get(name: string): Promise<T | undefined>;
  list(): Promise<T[]>;
}

/** No objects: what a plugin reads when the API is not served. */
export const EMPTY_LISTER: ClusterLister<never> = { get: async () => undefined, list: async () => [] };

/** Over the registry; with none (the API is not served) there are no objects. */
export function clusterLister<T>(reg: GenericRegistry | undefined): ClusterLister<T> {
  if (!reg) return EMPTY_LISTER;
  return {
    async get(name) {
      try {
        return (await reg.get('', name)) as T;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async list() {
      return (await reg.list({ namespace: '', filter: EVERYTHING })).items as T[];
    },
  };
}
