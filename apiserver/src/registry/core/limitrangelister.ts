// The LimitRanges of a namespace as LimitRanger admission reads them. Straight from the store, not a
// watch cache with a live-lookup fallback as upstream's: a LimitRange created a moment ago already
// applies to the very next pod, which is what upstream's live lookup aims at.
import type { LimitRange } from '@mkube/shared/api';
import { EVERYTHING } from '../filter.js';
import type { GenericRegistry } from '../generic.js';

export interface LimitRangeLister {
  list(namespace: string): Promise<LimitRange[]>;
}

/** Over the registry; with none (the API is not served) there are no limits. */
export function limitRangeLister(reg: GenericRegistry | undefined): LimitRangeLister {
  return {
    async list(namespace) {
      if (!reg) return [];
      return (await reg.list({ namespace, filter: EVERYTHING })).items as LimitRange[];
    },
  };
}

export const NO_LIMIT_RANGES: LimitRangeLister = { list: async () => [] };
