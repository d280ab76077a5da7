// The plugin's view of the stored ResourceQuotas: listed straight from storage (a quota written a
// moment ago, by the controller or by another admission, is what the next request is checked
// against), and status.used written below the REST layer with the read's resourceVersion as a
// compare-and-swap, so two concurrent creates cannot both spend the last unit.
import type { ResourceQuota } from '@mkube/shared/api';
import { isConflict, isNotFound, type StatusError } from '@mkube/shared/apierrors';
import { EVERYTHING } from '../../../registry/filter.js';
import type { GenericRegistry } from '../../../registry/generic.js';
import { storageGuaranteedUpdate } from '../../../registry/storageupdate.js';
import type { Store } from '../../../storage/index.js';

export interface QuotaAccessor {
  list(namespace: string): Promise<ResourceQuota[]>;
  /**
   * Writes `quota`'s status.used if the stored quota is still at quota's resourceVersion; on a
   * conflict (or when the quota is gone) returns the error, for a re-check against a fresh list.
   */
  updateUsed(quota: ResourceQuota): Promise<StatusError | undefined>;
}

export const NO_QUOTAS: QuotaAccessor = { list: async () => [], updateUsed: async () => undefined };

export function quotaAccessor(registry: GenericRegistry | undefined, store: Store): QuotaAccessor {
  if (!registry) return NO_QUOTAS;
  return {
    async list(namespace) {
      return (await registry.list({ namespace, filter: EVERYTHING })).items as ResourceQuota[];
    },
    async updateUsed(quota) {
      const rv = quota.metadata?.resourceVersion ?? '';
      try {
        await storageGuaranteedUpdate(store, registry.def, {
          namespace: quota.metadata?.namespace ?? '',
          name: quota.metadata?.name ?? '',
          preconditions: { ...(quota.metadata?.uid ? { uid: quota.metadata.uid } : {}), resourceVersion: rv },
          dryRun: false,
          transform: (current) => {
            const q = current as ResourceQuota;
            q.status = { ...q.status, used: quota.status?.used ?? {} };
            return q;
          },
        });
        return undefined;
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) return e as StatusError;
        throw e;
      }
    },
  };
}
