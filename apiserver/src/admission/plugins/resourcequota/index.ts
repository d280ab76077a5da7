// ResourceQuota admission (k8s.io/apiserver/pkg/admission/plugin/resourcequota): a request that
// adds to what its namespace uses must fit every quota that matches it, and when it does, the
// quotas' status.used is raised before the object is stored, so that concurrent requests are
// counted against each other rather than against a stale total. The resourcequota controller
// later recomputes status.used from what is stored (and returns what was charged but not created).
import type { ResourceQuota } from '@mkube/shared/api';
import { EvaluatorRegistry, equals, parseList } from '@mkube/shared/quota';
import type { AdmissionAttributes, AdmissionPlugin } from '../../types.js';
import type { QuotaAccessor } from './access.js';
import { checkRequest } from './check.js';
import { DEFAULT_RESOURCE_QUOTA_CONFIG, type ResourceQuotaConfig } from './config.js';

export const RESOURCE_QUOTA_PLUGIN = 'ResourceQuota';

/** Upstream's checkQuotas: the quotas that failed to update are re-read and re-checked this often. */
const UPDATE_RETRIES = 3;

const usedOf = (q: ResourceQuota) => parseList(q.status?.used);

/**
 * Requests in one namespace are evaluated one at a time (upstream batches them per namespace on a
 * work queue), so this apiserver's own writes never conflict with each other.
 */
class NamespaceLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(ns: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(ns) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = before.then(() => mine);
    this.#tails.set(ns, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(ns) === tail) this.#tails.delete(ns);
    }
  }
}

export interface ResourceQuotaDeps {
  readonly quotas: QuotaAccessor;
  readonly config?: ResourceQuotaConfig;
  readonly now?: () => number;
}

export function resourceQuotaAdmission(deps: ResourceQuotaDeps): AdmissionPlugin {
  const registry = new EvaluatorRegistry();
  const config = deps.config ?? DEFAULT_RESOURCE_QUOTA_CONFIG;
  const now = deps.now ?? Date.now;
  const locks = new NamespaceLocks();

  async function evaluate(a: AdmissionAttributes): Promise<void> {
    const e = registry.get(a.group, a.resource);
    if (!e?.handles(a.operation, a.subresource)) return;
    const ns = a.namespace;
    // Most namespaces have no quota: they cost no store read and do not wait for each other's requests.
    if (config.limitedResources.length === 0 && !deps.quotas.mayHave(ns)) return;
    await locks.run(ns, async () => {
      let quotas = await deps.quotas.list(ns);
      if (quotas.length === 0 && config.limitedResources.length === 0) return;
      for (let retries = UPDATE_RETRIES; ; retries--) {
        const next = checkRequest(quotas, a, e, config.limitedResources, now());
        if (a.dryRun) return;
        const changed = next.filter((q, i) => !equals(usedOf(q), usedOf(quotas[i]!)));
        if (changed.length === 0) return;
        const failed: string[] = [];
        let lastErr: Error | undefined;
        for (const q of changed) {
          const err = await deps.quotas.updateUsed(q);
          if (err) {
            failed.push(q.metadata?.name ?? '');
            lastErr = err;
          }
        }
        if (failed.length === 0) return;
        if (retries <= 0) throw lastErr;
        // Only the quotas whose write failed are checked again; the others already hold this request.
        quotas = (await deps.quotas.list(ns)).filter((q) => failed.includes(q.metadata?.name ?? ''));
      }
    });
  }

  return {
    name: RESOURCE_QUOTA_PLUGIN,
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async validate(a) {
      // Subresources other than pods/resize change no usage; namespaces themselves are never quota'd.
      if (a.subresource && a.subresource !== 'resize') return;
      if (!a.namespace || !a.object) return;
      await evaluate(a);
    },
  };
}

export { NO_QUOTAS, type QuotaAccessor, quotaAccessor } from './access.js';
export { parseResourceQuotaConfig, type ResourceQuotaConfig } from './config.js';
