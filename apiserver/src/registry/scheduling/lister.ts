// The PriorityClasses as Priority admission reads them. Straight from the store, not a watch cache
// as upstream's lister: a class created a moment ago is in effect for the very next pod.
import type { PriorityClass } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { EVERYTHING } from '../filter.js';
import type { GenericRegistry } from '../generic.js';

export interface PriorityClassLister {
  /** undefined: no class of that name. */
  get(name: string): Promise<PriorityClass | undefined>;
  list(): Promise<PriorityClass[]>;
}

/** Over the registry; with none (the API is not served) there are no classes. */
export function priorityClassLister(reg: GenericRegistry | undefined): PriorityClassLister {
  return {
    async get(name) {
      if (!reg) return undefined;
      try {
        return (await reg.get('', name)) as PriorityClass;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async list() {
      if (!reg) return [];
      return (await reg.list({ namespace: '', filter: EVERYTHING })).items as PriorityClass[];
    },
  };
}
