// The RuntimeClasses as RuntimeClass admission reads them. Straight from the store, which is also
// upstream's fallback when its informer has not seen a class yet: a class created a moment ago is in
// effect for the very next pod.
import type { RuntimeClass } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { GenericRegistry } from '../generic.js';

export interface RuntimeClassLister {
  /** undefined: no class of that name. */
  get(name: string): Promise<RuntimeClass | undefined>;
}

export const NO_RUNTIME_CLASSES: RuntimeClassLister = { get: async () => undefined };

/** Over the registry; with none (the API is not served) there are no classes. */
export function runtimeClassLister(reg: GenericRegistry | undefined): RuntimeClassLister {
  if (!reg) return NO_RUNTIME_CLASSES;
  return {
    async get(name) {
      try {
        return (await reg.get('', name)) as RuntimeClass;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
  };
}
