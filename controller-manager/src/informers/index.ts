// Shared informers: one list+watch per resource (and selector) however many controllers read it,
// each controller adding its own event handlers, as client-go's SharedInformerFactory does.
import type { KubeClient, KubeObject, ReadonlyStore, ResourceEventHandlers, ResourceRef } from '@mkube/shared/client';
import { ListWatcher } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';

export interface InformerOptions {
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
}

export class SharedInformer<T extends KubeObject> {
  readonly #handlers: ResourceEventHandlers<T>[] = [];
  readonly lw: ListWatcher<T>;

  constructor(client: KubeClient, ref: ResourceRef, opts: InformerOptions, log: Logger) {
    const fan: ResourceEventHandlers<T> = {
      onAdd: (o) => {
        for (const h of this.#handlers) h.onAdd?.(o);
      },
      onUpdate: (a, b) => {
        for (const h of this.#handlers) h.onUpdate?.(a, b);
      },
      onDelete: (o) => {
        for (const h of this.#handlers) h.onDelete?.(o);
      },
      onResync: (all) => {
        for (const h of this.#handlers) h.onResync?.(all);
      },
    };
    this.lw = new ListWatcher<T>({
      source: client.resource<T>(ref),
      name: ref.namespace ? `${ref.resource} in ${ref.namespace}` : ref.resource,
      ...opts,
      handlers: fan,
      logger: log,
    });
  }

  /** Handlers must be added before the factory starts (they are not replayed). */
  addEventHandler(h: ResourceEventHandlers<T>): void {
    this.#handlers.push(h);
  }

  get store(): ReadonlyStore<T> {
    return this.lw.store;
  }

  hasSynced(): boolean {
    return this.lw.hasSynced();
  }
}

const informerKey = (ref: ResourceRef, opts: InformerOptions) =>
  JSON.stringify([ref.group, ref.version, ref.resource, ref.namespace ?? '', opts]);

export class InformerFactory {
  readonly #informers = new Map<string, SharedInformer<KubeObject>>();
  /** Informers the start does not wait for (only the garbage collector reads them). */
  readonly #unawaited = new Set<string>();
  readonly #running = new Map<string, AbortController>();
  readonly #runs: Promise<void>[] = [];
  readonly #stopSignals = new WeakSet<AbortSignal>();

  constructor(
    readonly client: KubeClient,
    readonly log: Logger,
  ) {}

  /**
   * `awaited: false`: the controllers' start does not wait for this one to list (an aggregated API that
   * does not answer must not hold every controller back); another caller asking for it awaited makes it so.
   */
  informerFor<T extends KubeObject>(
    ref: ResourceRef,
    opts: InformerOptions = {},
    { awaited = true }: { awaited?: boolean } = {},
  ): SharedInformer<T> {
    const key = informerKey(ref, opts);
    let inf = this.#informers.get(key);
    if (!inf) {
      inf = new SharedInformer<KubeObject>(this.client, ref, opts, this.log);
      this.#informers.set(key, inf);
      if (!awaited) this.#unawaited.add(key);
    } else if (awaited) {
      this.#unawaited.delete(key);
    }
    return inf as unknown as SharedInformer<T>;
  }

  /** Starts every informer not yet running; they stop when `signal` aborts. */
  start(signal: AbortSignal): void {
    // One listener per signal stops every informer running then or started later (each has its own
    // controller, so one can be stopped alone).
    if (!this.#stopSignals.has(signal)) {
      this.#stopSignals.add(signal);
      signal.addEventListener(
        'abort',
        () => {
          for (const c of this.#running.values()) c.abort();
        },
        { once: true },
      );
    }
    for (const [key, inf] of this.#informers) {
      if (this.#running.has(key)) continue;
      const own = new AbortController();
      if (signal.aborted) own.abort();
      this.#running.set(key, own);
      this.#runs.push(inf.lw.run(own.signal));
    }
  }

  /**
   * Stops and forgets an informer only its `awaited: false` reader uses (the garbage collector's, for
   * a resource no longer served); one another controller reads keeps running. Asking for it again
   * makes a new one.
   */
  stopUnshared(ref: ResourceRef, opts: InformerOptions = {}): boolean {
    const key = informerKey(ref, opts);
    if (!this.#unawaited.has(key)) return false;
    this.#running.get(key)?.abort();
    this.#running.delete(key);
    this.#informers.delete(key);
    this.#unawaited.delete(key);
    return true;
  }

  /** True once every informer has listed once; false if `signal` aborts first. */
  async waitForCacheSync(signal: AbortSignal): Promise<boolean> {
    const awaited = [...this.#informers].filter(([k]) => !this.#unawaited.has(k)).map(([, i]) => i);
    const all = await Promise.all(awaited.map((i) => i.lw.waitForSync(signal)));
    return all.every(Boolean);
  }

  /** Resolves when every started informer has stopped. */
  async stopped(): Promise<void> {
    await Promise.all(this.#runs);
  }
}

export const RESOURCES = {
  csrs: { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' },
  secrets: { group: '', version: 'v1', resource: 'secrets' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  pods: { group: '', version: 'v1', resource: 'pods' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  events: { group: '', version: 'v1', resource: 'events' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  subjectaccessreviews: { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews' },
  clusterroles: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  replicationcontrollers: { group: '', version: 'v1', resource: 'replicationcontrollers' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  statefulsets: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  controllerrevisions: { group: 'apps', version: 'v1', resource: 'controllerrevisions' },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs' },
  cronjobs: { group: 'batch', version: 'v1', resource: 'cronjobs' },
} as const satisfies Record<string, ResourceRef>;
