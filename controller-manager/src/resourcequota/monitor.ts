// The quota monitor (pkg/controller/resourcequota/resource_quota_monitor.go): an informer per
// resource some quota counts, whose changes replenish the quotas of the object's namespace. The
// core resources are watched from the start; any other (count/<resource>.<group>, a claim's
// storage) from the first quota that names it, its version found through discovery.
import type { APIGroup, KubeObject, Pod, Service } from '@mkube/shared/api';
import type { KubeClient, ResourceRef } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Evaluator, quotaServiceType, quotaV1Pod } from '@mkube/shared/quota';
import type { InformerFactory, SharedInformer } from '../informers/index.js';

const grKey = (group: string, resource: string) => `${group}/${resource}`;

/** Whether an update can lower what the object uses (upstream's per-resource update filter). */
function updateReplenishes(group: string, resource: string, old: KubeObject, cur: KubeObject, now: number): boolean {
  if (group !== '') return false;
  if (resource === 'pods') return quotaV1Pod(old as Pod, now) && !quotaV1Pod(cur as Pod, now);
  if (resource === 'services') return quotaServiceType(old as Service) !== quotaServiceType(cur as Service);
  return false;
}

export class QuotaMonitor {
  readonly #informers = new Map<string, SharedInformer<KubeObject>>();
  readonly #pending = new Set<string>();
  #signal: AbortSignal | undefined;

  constructor(
    readonly client: KubeClient,
    readonly factory: InformerFactory,
    /** Called with the group, resource and namespace of an object whose change may lower usage. */
    readonly replenish: (group: string, resource: string, namespace: string) => void,
    readonly log: Logger,
    readonly now: () => number = Date.now,
  ) {}

  /** Watches a resource; `awaited` ones hold the controllers' start until listed. */
  monitor(ref: ResourceRef, awaited: boolean, existing?: SharedInformer<KubeObject>): void {
    const k = grKey(ref.group, ref.resource);
    if (this.#informers.has(k)) return;
    const inf = existing ?? this.factory.informerFor<KubeObject>(ref, {}, { awaited });
    const ns = (o: KubeObject) => o.metadata?.namespace ?? '';
    // Adds too: an object stored without admission charging it (ResourceQuota off) is counted at once.
    inf.addEventHandler({
      onAdd: (o) => this.replenish(ref.group, ref.resource, ns(o)),
      onUpdate: (old, cur) => {
        if (updateReplenishes(ref.group, ref.resource, old, cur, this.now()))
          this.replenish(ref.group, ref.resource, ns(cur));
      },
      onDelete: (o) => this.replenish(ref.group, ref.resource, ns(o)),
    });
    this.#informers.set(k, inf);
    if (this.#signal) this.factory.start(this.#signal);
  }

  /** Informers made from here on start at once. */
  start(signal: AbortSignal): void {
    this.#signal = signal;
  }

  /** The objects of `e`'s resource in `namespace`; undefined until its informer has listed. */
  list(e: Evaluator, namespace: string): KubeObject[] | undefined {
    const inf = this.#informers.get(grKey(e.group, e.resource));
    if (!inf?.hasSynced()) return undefined;
    return inf.store.list().filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }

  /** Starts watching `e`'s resource if it is not watched yet (its version from discovery). */
  async ensure(e: Evaluator): Promise<void> {
    const k = grKey(e.group, e.resource);
    if (this.#informers.has(k) || this.#pending.has(k)) return;
    this.#pending.add(k);
    try {
      let version = 'v1';
      if (e.group) {
        const g = await this.client.request<APIGroup>('GET', `/apis/${e.group}`);
        version = g.preferredVersion?.version ?? g.versions[0]?.version ?? '';
      }
      if (version) this.monitor({ group: e.group, version, resource: e.resource }, false);
    } catch (err) {
      this.log.info({ group: e.group, resource: e.resource, err: (err as Error).message }, 'cannot monitor resource');
    } finally {
      this.#pending.delete(k);
    }
  }
}
