// resourcequota-controller (pkg/controller/resourcequota): keeps each ResourceQuota's status in
// step with what its namespace holds. status.hard is spec.hard; status.used is recomputed from the
// informers' caches when a quota's spec changes, when an object a quota counts is deleted (or stops
// counting: a pod ending, a service changing type), and for every quota each full resync
// (--resource-quota-sync-period), which also returns what admission charged for requests that were
// refused after it.
import type { KubeObject, ResourceQuota } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import {
  calculateUsage,
  EvaluatorRegistry,
  ensureEvaluators,
  equals,
  mask,
  parseList,
  resourceNames,
  toList,
} from '@mkube/shared/quota';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { type InformerFactory, RESOURCES, type SharedInformer } from '../informers/index.js';
import { QuotaMonitor } from './monitor.js';

export const RESOURCE_QUOTA_CONTROLLER = 'resourcequota-controller';
/** The ServiceAccount the controller acts as (--use-service-account-credentials). */
export const RESOURCE_QUOTA_CONTROLLER_SA = 'resourcequota-controller';
/** --resource-quota-sync-period's default. */
export const RESOURCE_QUOTA_SYNC_PERIOD_MS = 5 * 60_000;

export const RESOURCE_QUOTAS = { group: '', version: 'v1', resource: 'resourcequotas' } as const;
const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;

const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export interface ResourceQuotaOptions {
  /** --concurrent-resource-quota-syncs. */
  readonly workers: number;
  /** --resource-quota-sync-period: every quota is recomputed this often. */
  readonly resyncPeriodMs: number;
  readonly now?: () => number;
}

export class ResourceQuotaController implements Controller {
  readonly name = RESOURCE_QUOTA_CONTROLLER;
  readonly queue = new WorkQueue('resourcequota_primary');
  readonly registry = new EvaluatorRegistry();
  readonly monitor: QuotaMonitor;
  readonly #now: () => number;

  constructor(
    readonly client: KubeClient,
    readonly quotas: SharedInformer<ResourceQuota>,
    factory: InformerFactory,
    readonly log: Logger,
    readonly opts: ResourceQuotaOptions,
  ) {
    this.#now = opts.now ?? Date.now;
    quotas.addEventHandler({
      onAdd: (q) => this.queue.add(key(q)),
      // Status writes are this controller's own: only a change of spec.hard needs a recount.
      onUpdate: (old, cur) => {
        if (!equals(parseList(old.spec?.hard), parseList(cur.spec?.hard))) this.queue.add(key(cur));
      },
    });
    this.monitor = new QuotaMonitor(client, factory, (g, r, ns) => this.#replenish(g, r, ns), log, this.#now);
    this.monitor.monitor(RESOURCE_QUOTAS, true, quotas as unknown as SharedInformer<KubeObject>);
    for (const ref of [RESOURCES.pods, RESOURCES.configmaps, RESOURCES.secrets, SERVICES]) {
      this.monitor.monitor(ref, true);
    }
  }

  /** replenishQuota: the namespace's quotas that track anything of this resource are recounted. */
  #replenish(group: string, resource: string, namespace: string): void {
    const e = this.registry.get(group, resource);
    if (!e) return;
    for (const q of this.quotas.store.list()) {
      if ((q.metadata?.namespace ?? '') !== namespace) continue;
      const names = new Set([...Object.keys(q.spec?.hard ?? {}), ...Object.keys(q.status?.hard ?? {})]);
      if (e.matchingResources([...names]).length) this.queue.add(key(q));
    }
  }

  #enqueueAll(): void {
    for (const q of this.quotas.store.list()) this.queue.add(key(q));
  }

  async run(signal: AbortSignal): Promise<void> {
    this.monitor.start(signal);
    const resync = setInterval(() => this.#enqueueAll(), this.opts.resyncPeriodMs);
    resync.unref();
    signal.addEventListener('abort', () => clearInterval(resync), { once: true });
    try {
      await runQueue(this.queue, this.opts.workers, (k) => this.sync(k), this.log, signal);
    } finally {
      clearInterval(resync);
    }
  }

  /** syncResourceQuota. */
  async sync(k: string): Promise<void> {
    const q = this.quotas.store.get(k);
    if (!q) return;
    const ns = q.metadata?.namespace ?? '';
    const hard = parseList(q.spec?.hard);
    const hardNames = resourceNames(hard);
    ensureEvaluators(this.registry, hardNames);
    for (const e of this.registry.list()) {
      if (e.matchingResources(hardNames).length) await this.monitor.ensure(e);
    }
    const prevUsed = parseList(q.status?.used);
    let dirty = !q.status?.hard || !q.status?.used || !equals(hard, parseList(q.status.hard));
    const { used: observed, unavailable } = calculateUsage(
      ns,
      q.spec,
      this.registry,
      (e, n) => this.monitor.list(e, n),
      this.#now(),
    );
    // What could not be counted keeps its last observation; resources no longer hard are dropped.
    const used = new Map(prevUsed);
    for (const [name, v] of observed) used.set(name, v);
    const next = mask(used, hardNames);
    dirty ||= !equals(next, prevUsed);
    if (dirty) {
      const status = { hard: toList(hard), used: toList(next) };
      try {
        await this.client
          .resource<ResourceQuota>({ ...RESOURCE_QUOTAS, namespace: ns })
          .updateSubresource(q.metadata?.name ?? '', 'status', { ...q, status });
      } catch (e) {
        // Deleted meanwhile: nothing to do. A conflict is retried from the newer quota.
        if (isNotFound(e)) return;
        if (!isConflict(e)) throw e;
        throw new Error(`resource quota ${k} changed while it was synced; retrying`);
      }
    }
    if (unavailable.length) throw new Error(`quota ${k}: cannot count ${unavailable.join(', ')} yet`);
  }
}
