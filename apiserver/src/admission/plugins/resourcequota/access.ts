// The plugin's view of the stored ResourceQuotas. Whether a namespace has any at all comes from an
// in-process informer, as upstream's lister: that question is asked on every namespaced create, and
// most namespaces have none. The quotas a request is checked against are listed straight from
// storage (a quota written a moment ago, by the controller or by another admission, is what the next
// request is checked against), and status.used is written below the REST layer with the read's
// resourceVersion as a compare-and-swap, so two concurrent creates cannot both spend the last unit.
import type { ResourceQuota } from '@mkube/shared/api';
import { isConflict, isNotFound, type StatusError } from '@mkube/shared/apierrors';
import type { Informer } from '../../../informers/index.js';
import { EVERYTHING } from '../../../registry/filter.js';
import type { GenericRegistry } from '../../../registry/generic.js';
import { storageGuaranteedUpdate } from '../../../registry/storageupdate.js';
import type { Store } from '../../../storage/index.js';

export interface QuotaAccessor {
  /** Whether the namespace may have a quota (true until the cache has synced). */
  mayHave(namespace: string): boolean;
  list(namespace: string): Promise<ResourceQuota[]>;
  /**
   * Writes `quota`'s status.used if the stored quota is still at quota's resourceVersion; on a
   * conflict (or when the quota is gone) returns the error, for a re-check against a fresh list.
   */
  updateUsed(quota: ResourceQuota): Promise<StatusError | undefined>;
}

export const NO_QUOTAS: QuotaAccessor = {
  mayHave: () => false,
  list: async () => [],
  updateUsed: async () => undefined,
};

export function quotaAccessor(
  registry: GenericRegistry | undefined,
  store: Store,
  cache?: Informer<ResourceQuota>,
): QuotaAccessor {
  if (!registry) return NO_QUOTAS;
  const perNamespace = new Map<string, number>();
  const count = (q: ResourceQuota, by: number) => {
    const ns = q.metadata.namespace ?? '';
    const n = (perNamespace.get(ns) ?? 0) + by;
    if (n > 0) perNamespace.set(ns, n);
    else perNamespace.delete(ns);
  };
  cache?.addHandlers({ onAdd: (q) => count(q, 1), onDelete: (q) => count(q, -1) });
  return {
    mayHave: (namespace) => !cache?.hasSynced() || perNamespace.has(namespace),
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
