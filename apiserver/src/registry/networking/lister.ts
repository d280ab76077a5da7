// The IngressClasses as DefaultIngressClass admission reads them. Straight from the store, not a
// watch cache as upstream's lister: a class created a moment ago is in effect for the next Ingress.
import type { IngressClass } from '@mkube/shared/api';
import { EVERYTHING } from '../filter.js';
import type { GenericRegistry } from '../generic.js';

export interface IngressClassLister {
  list(): Promise<IngressClass[]>;
}

export const NO_INGRESS_CLASSES: IngressClassLister = { list: async () => [] };

/** Over the registry; with none (the API is not served) there are no classes. */
export function ingressClassLister(reg: GenericRegistry | undefined): IngressClassLister {
  if (!reg) return NO_INGRESS_CLASSES;
  return {
    async list() {
      return (await reg.list({ namespace: '', filter: EVERYTHING })).items as IngressClass[];
    },
  };
}
