// garbage-collector-controller (k8s pkg/controller/garbagecollector): every deletable resource the
// apiserver serves is watched (events excepted, as upstream's ignored resources) into a dependency
// graph of ownerReferences. An object whose owners are all gone is deleted (with the propagation its
// own finalizers ask for); one that still has an owner loses its references to the absent ones. An
// owner deleted with propagationPolicy=Foreground waits (finalizer foregroundDeletion) until its
// dependents with blockOwnerDeletion are gone; one deleted with Orphan has its dependents' references
// to it removed, then its `orphan` finalizer. Every decision is made on objects read live, with
// preconditions, so a stale cache never deletes the wrong object.
import { setMaxListeners } from 'node:events';
import {
  type DeleteOptions,
  FINALIZER_DELETE_DEPENDENTS,
  FINALIZER_ORPHAN_DEPENDENTS,
  type KubeObject,
  type OwnerReference,
} from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, type ResourceRef, sleep } from '@mkube/shared/client';
import type { ReferenceEventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { preferredResources } from '../discovery.js';
import type { InformerFactory, SharedInformer } from '../informers/index.js';
import {
  DependencyGraph,
  type GraphEffects,
  type GraphNode,
  hasFinalizer,
  identityOf,
  type ObjectIdentity,
} from './graph.js';

export const GC_CONTROLLER = 'garbage-collector-controller';
/** --concurrent-gc-syncs' default. */
export const GC_WORKERS = 20;
/** How long the collector waits for its informers before it acts anyway. */
const GRAPH_SYNC_TIMEOUT_MS = 30_000;
/** The kube-controller-manager's default GCIgnoredResources. */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

/** A deletable resource, at its group's preferred version. */
export interface ResourceMapping {
  readonly ref: Omit<ResourceRef, 'namespace'>;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** What discovery found deletable, and the group versions that did not answer. */
export interface DeletableResources {
  readonly resources: ResourceMapping[];
  readonly failedGroupVersions: ReadonlySet<string>;
}

/** Rediscovery (upstream's GarbageCollector.Sync): how, and how often. */
export interface GcResync {
  readonly discover: () => Promise<DeletableResources>;
  readonly periodMs: number;
}

/** How often the collector rediscovers resources, as kube-controller-manager's 30 s. */
export const GC_RESYNC_PERIOD_MS = 30_000;

/** GetDeletableResources: the preferred version of every resource that can be listed, watched and deleted. */
export async function discoverDeletableResources(client: KubeClient, log: Logger): Promise<DeletableResources> {
  // An aggregated API that does not answer: its objects are not collected (upstream goes on too).
  const failedGroupVersions = new Set<string>();
  const lists = await preferredResources(client, (groupVersion, err) => {
    failedGroupVersions.add(groupVersion);
    log.warn({ groupVersion, err: err.message }, 'failed to discover some groups');
  });
  const out: ResourceMapping[] = [];
  for (const { group, version, list } of lists) {
    for (const r of list.resources ?? []) {
      if (r.name.includes('/') || IGNORED.has(`${group}/${r.name}`)) continue;
      if (!['delete', 'list', 'watch'].every((v) => r.verbs.includes(v))) continue;
      out.push({
        ref: { group, version, resource: r.name },
        apiVersion: group ? `${group}/${version}` : version,
        kind: r.kind,
        namespaced: r.namespaced,
      });
    }
  }
  return { resources: out, failedGroupVersions };
}

const monitorKey = (m: ResourceMapping) => `${m.apiVersion}/${m.ref.resource}`;

/** One watched resource (upstream's monitor); kept, inactive, when its resource is no longer served. */
interface Monitor {
  readonly mapping: ResourceMapping;
  readonly informer: SharedInformer<KubeObject>;
  /** Its events change the graph. */
  active: boolean;
  /** Its informer was stopped (no other controller read it). */
  stopped: boolean;
}

interface Classified {
  /** Owners that exist. */
  readonly solid: OwnerReference[];
  /** Gone, or never there (a namespaced owner looked for in the dependent's namespace). */
  readonly dangling: OwnerReference[];
  /** Being deleted in the foreground. */
  readonly waiting: OwnerReference[];
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const show = (id: ObjectIdentity) =>
  `${id.apiVersion}/${id.kind}, namespace: ${id.namespace || '""'}, name: ${id.name}, uid: ${id.uid}`;

export class GarbageCollector implements Controller {
  readonly name = GC_CONTROLLER;
  readonly attemptToDelete = new WorkQueue('garbage_collector_attempt_to_delete');
  readonly attemptToOrphan = new WorkQueue('garbage_collector_attempt_to_orphan');
  readonly graph = new DependencyGraph();
  /** `group/Kind` → its resource (an ownerReference may name any served version of the group). */
  readonly #byGroupKind = new Map<string, ResourceMapping>();
  readonly #monitors = new Map<string, Monitor>();

  constructor(
    readonly client: KubeClient,
    readonly factory: InformerFactory,
    resources: readonly ResourceMapping[],
    readonly log: Logger,
    readonly workers = GC_WORKERS,
    readonly recorder?: ReferenceEventRecorder,
    /** Rediscovery of the served resources; none: the first discovery's for good. */
    readonly resync?: GcResync,
  ) {
    for (const m of resources) this.#monitor(m);
  }

  /** The resources watched now, as `<apiVersion>/<resource>`. */
  get monitored(): string[] {
    return [...this.#monitors].filter(([, mon]) => mon.active).map(([k]) => k);
  }

  /** Watches a resource into the graph (again, after it went away and came back: a new informer). */
  #monitor(m: ResourceMapping): void {
    this.#byGroupKind.set(`${m.ref.group}/${m.kind}`, m);
    const prior = this.#monitors.get(monitorKey(m));
    // Still running (it was shared, so it could not be stopped): its handlers apply again.
    if (prior && !prior.stopped) {
      prior.active = true;
      return;
    }
    const informer = this.factory.informerFor<KubeObject>(m.ref, {}, { awaited: false });
    const mon: Monitor = { mapping: m, informer, active: true, stopped: false };
    this.#monitors.set(monitorKey(m), mon);
    const observe = (o: KubeObject) => {
      if (mon.active) this.#apply(this.graph.observe(o, m.apiVersion, m.kind));
    };
    informer.addEventHandler({
      onAdd: observe,
      onUpdate: (_old, cur) => observe(cur),
      onDelete: (o) => {
        if (mon.active) this.#apply(this.graph.remove(o.metadata?.uid ?? ''));
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    // As upstream: wait for the graph a while, then go on (every decision reads the objects live).
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(GRAPH_SYNC_TIMEOUT_MS)]);
    // One waiter per monitor: dozens, by design.
    setMaxListeners(0, timeout);
    const synced = await Promise.all([...this.#monitors.values()].map((m) => m.informer.lw.waitForSync(timeout)));
    if (signal.aborted) return;
    if (!synced.every(Boolean))
      this.log.warn('timed out waiting for dependency graph builder sync during GC sync; going on');
    await Promise.all([
      runQueue(this.attemptToDelete, this.workers, (uid) => this.#attemptToDeleteItem(uid), this.log, signal),
      runQueue(this.attemptToOrphan, this.workers, (uid) => this.#attemptToOrphanItem(uid), this.log, signal),
      this.#resyncLoop(signal),
    ]);
  }

  async #resyncLoop(signal: AbortSignal): Promise<void> {
    if (!this.resync) return;
    while (!signal.aborted) {
      await sleep(this.resync.periodMs, signal);
      if (signal.aborted) return;
      try {
        await this.resyncMonitors(signal);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'failed to discover resources; keeping the monitors');
      }
    }
  }

  /**
   * GarbageCollector.Sync: watches resources discovery now serves (an APIService added since) and
   * stops watching those it no longer does. A group that did not answer keeps its monitors, and an
   * empty discovery changes nothing, as upstream. True when something changed.
   */
  async resyncMonitors(signal: AbortSignal): Promise<boolean> {
    const { resources, failedGroupVersions } = await this.resync!.discover();
    if (resources.length === 0) {
      this.log.info('no resources reported by discovery, skipping garbage collector sync');
      return false;
    }
    const next = new Map(resources.map((m) => [monitorKey(m), m]));
    for (const [k, mon] of this.#monitors) {
      if (mon.active && !next.has(k) && failedGroupVersions.has(mon.mapping.apiVersion)) next.set(k, mon.mapping);
    }
    const added = [...next].filter(([k]) => !this.#monitors.get(k)?.active).map(([, m]) => m);
    const removed = [...this.#monitors.values()].filter((mon) => mon.active && !next.has(monitorKey(mon.mapping)));
    if (added.length === 0 && removed.length === 0) return false;
    for (const mon of removed) {
      mon.active = false;
      const gk = `${mon.mapping.ref.group}/${mon.mapping.kind}`;
      if (this.#byGroupKind.get(gk) === mon.mapping) this.#byGroupKind.delete(gk);
      mon.stopped = this.factory.stopUnshared(mon.mapping.ref);
    }
    for (const m of added) this.#monitor(m);
    this.factory.start(signal);
    this.log.info(
      { added: added.map(monitorKey), removed: removed.map((mon) => monitorKey(mon.mapping)) },
      'syncing garbage collector with updated resources from discovery',
    );
    return true;
  }

  #apply(e: GraphEffects): void {
    for (const n of e.attemptToDelete) this.attemptToDelete.add(n.identity.uid);
    for (const n of e.attemptToOrphan) this.attemptToOrphan.add(n.identity.uid);
  }

  #mapping(apiVersion: string, kind: string): ResourceMapping {
    const m = this.#byGroupKind.get(`${groupOf(apiVersion)}/${kind}`);
    if (!m) throw new Error(`unable to get REST mapping for ${apiVersion}/${kind}`);
    return m;
  }

  #api(m: ResourceMapping, namespace: string) {
    return this.client.resource<KubeObject>({ ...m.ref, ...(m.namespaced ? { namespace } : {}) });
  }

  /** The live object, or undefined when it is gone or its name now holds another object. */
  async #live(id: ObjectIdentity, m: ResourceMapping): Promise<KubeObject | undefined> {
    try {
      const o = await this.#api(m, id.namespace).get(id.name);
      return o.metadata?.uid === id.uid ? o : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async #attemptToDeleteItem(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (!node.virtual && node.beingDeleted && !node.deletingDependents) return;
    // An object seen with no owners and not being deleted has nothing to decide (an owner queued
    // before its informer saw it, say): no read needed.
    if (!node.virtual && !node.beingDeleted && node.owners.length === 0) return;
    const m = this.#mapping(node.identity.apiVersion, node.identity.kind);
    const latest = await this.#live(node.identity, m);
    if (!latest) {
      // An owner only named by its dependents does not exist: they are looked at again.
      for (const d of this.graph.forgetAbsent(node)) this.attemptToDelete.add(d.identity.uid);
      return;
    }
    // Exists, but its resource is not one the collector watches: nothing to decide for it.
    if (node.virtual) return;
    if (latest.metadata?.deletionTimestamp) {
      if (hasFinalizer(latest, FINALIZER_DELETE_DEPENDENTS)) await this.#processDeletingDependents(node, latest, m);
      return;
    }
    const refs = latest.metadata?.ownerReferences ?? [];
    if (refs.length === 0) return;
    const classified = await this.#classifyOwners(latest, m, refs);
    // A reference that can never resolve: left alone, as upstream.
    if (!classified) return;
    const { solid, dangling, waiting } = classified;
    const id = show(node.identity);
    if (solid.length > 0) {
      if (dangling.length + waiting.length === 0) return;
      // Some owners are gone or being deleted in the foreground: only the references to them go.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      this.log.info({ item: id, owners: [...drop] }, 'removing references to absent or deleting owners');
      await this.#patchOwnerReferences(
        m,
        latest,
        refs.filter((r) => !drop.has(r.uid)),
      );
      return;
    }
    if (waiting.length > 0 && node.dependents.size > 0) {
      // Its owner waits for it and it has dependents of its own: they go first (Foreground). If one
      // of them is itself waiting for its dependents, this may be a cycle: its references stop
      // blocking its owners first, as upstream's cautious cycle check does.
      if ([...node.dependents].some((d) => d.deletingDependents)) {
        const w = new Set(waiting.map((r) => r.uid));
        if (refs.some((r) => w.has(r.uid) && r.blockOwnerDeletion)) {
          await this.#patchOwnerReferences(
            m,
            latest,
            refs.map((r) => (w.has(r.uid) && r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r)),
          );
        }
      }
      await this.#delete(m, latest, 'Foreground');
      return;
    }
    const policy = hasFinalizer(latest, FINALIZER_ORPHAN_DEPENDENTS)
      ? 'Orphan'
      : hasFinalizer(latest, FINALIZER_DELETE_DEPENDENTS)
        ? 'Foreground'
        : 'Background';
    await this.#delete(m, latest, policy);
  }

  /** solid: exists; dangling: gone (or an impossible reference); waiting: being deleted in the foreground. */
  async #classifyOwners(
    dependent: KubeObject,
    m: ResourceMapping,
    refs: readonly OwnerReference[],
  ): Promise<Classified | undefined> {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    const namespace = dependent.metadata?.namespace ?? '';
    for (const ref of refs) {
      const om = this.#mapping(ref.apiVersion, ref.kind);
      if (!m.namespaced && om.namespaced) {
        // A cluster-scoped object cannot be owned by a namespaced one: the reference can never
        // resolve, so the object is never collected (upstream's namespacedOwnerOfClusterScopedObjectErr),
        // and the Event says why.
        this.log.info(
          { item: show(identityOf(dependent, m.apiVersion, m.kind)) },
          'item is cluster-scoped, but refers to a namespaced owner',
        );
        this.#reportInvalidNamespaceOwnerRef(dependent, m, ref);
        return undefined;
      }
      const owner = await this.#live(
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          namespace: om.namespaced ? namespace : '',
          name: ref.name,
          uid: ref.uid,
        },
        om,
      );
      if (!owner) {
        dangling.push(ref);
        // The owner exists, in another namespace: a namespaced owner must be in its dependent's.
        const seen = this.graph.get(ref.uid);
        if (om.namespaced && seen && !seen.virtual && seen.identity.namespace !== namespace) {
          this.#reportInvalidNamespaceOwnerRef(dependent, m, ref);
        }
      } else if (owner.metadata?.deletionTimestamp && hasFinalizer(owner, FINALIZER_DELETE_DEPENDENTS))
        waiting.push(ref);
      else solid.push(ref);
    }
    return { solid, dangling, waiting };
  }

  /** reportInvalidNamespaceOwnerRef: a Warning on the dependent, in upstream's words. */
  #reportInvalidNamespaceOwnerRef(dependent: KubeObject, m: ResourceMapping, ref: OwnerReference): void {
    const md = dependent.metadata ?? {};
    const ns = md.namespace ?? '';
    const owner = `[${ref.apiVersion}/${ref.kind}, namespace: ${ns}, name: ${ref.name}, uid: ${ref.uid}]`;
    this.recorder?.eventFor(
      { apiVersion: m.apiVersion, kind: m.kind, name: md.name, uid: md.uid, ...(ns ? { namespace: ns } : {}) },
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef ${owner} does not exist in namespace ${JSON.stringify(ns)}`,
    );
  }

  /** processDeletingDependentsItem: the owner's finalizer goes once no blocking dependent is left. */
  async #processDeletingDependents(node: GraphNode, latest: KubeObject, m: ResourceMapping): Promise<void> {
    const blocking = node.blockingDependents();
    if (blocking.length === 0) {
      await this.#removeFinalizer(m, latest, FINALIZER_DELETE_DEPENDENTS);
      return;
    }
    for (const d of blocking) if (!d.deletingDependents) this.attemptToDelete.add(d.identity.uid);
  }

  async #attemptToOrphanItem(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node || node.virtual) return;
    const m = this.#mapping(node.identity.apiVersion, node.identity.kind);
    const latest = await this.#live(node.identity, m);
    if (!latest?.metadata?.deletionTimestamp || !hasFinalizer(latest, FINALIZER_ORPHAN_DEPENDENTS)) return;
    for (const d of [...node.dependents]) {
      const dm = this.#mapping(d.identity.apiVersion, d.identity.kind);
      const dep = await this.#live(d.identity, dm);
      const refs = dep?.metadata?.ownerReferences ?? [];
      if (!dep || !refs.some((r) => r.uid === uid)) continue;
      await this.#patchOwnerReferences(
        dm,
        dep,
        refs.filter((r) => r.uid !== uid),
      );
    }
    this.log.info({ item: show(node.identity), dependents: node.dependents.size }, 'orphaned the dependents');
    await this.#removeFinalizer(m, latest, FINALIZER_ORPHAN_DEPENDENTS);
  }

  async #delete(m: ResourceMapping, latest: KubeObject, policy: NonNullable<DeleteOptions['propagationPolicy']>) {
    const md = latest.metadata!;
    this.log.info(
      {
        item: `${m.apiVersion}/${m.kind}, namespace: ${md.namespace || '""'}, name: ${md.name}`,
        propagationPolicy: policy,
      },
      'Deleting item',
    );
    try {
      await this.#api(m, md.namespace ?? '').delete(md.name!, {
        preconditions: { uid: md.uid!, resourceVersion: md.resourceVersion! },
        propagationPolicy: policy,
      });
    } catch (e) {
      if (isNotFound(e)) return;
      // Changed since it was read (a new owner, perhaps): decided again from the new object.
      if (isConflict(e)) throw new Error(`the object changed while it was being collected: ${(e as Error).message}`);
      throw e;
    }
  }

  /** A merge patch of the whole list, at the version read: a concurrent change makes it a conflict (retried). */
  async #patchOwnerReferences(m: ResourceMapping, latest: KubeObject, refs: readonly OwnerReference[]): Promise<void> {
    const md = latest.metadata!;
    await this.#api(m, md.namespace ?? '').patch(md.name!, 'application/merge-patch+json', {
      metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: md.resourceVersion },
    });
  }

  async #removeFinalizer(m: ResourceMapping, latest: KubeObject, finalizer: string): Promise<void> {
    const md = latest.metadata!;
    const rest = (md.finalizers ?? []).filter((f) => f !== finalizer);
    try {
      await this.#api(m, md.namespace ?? '').patch(md.name!, 'application/merge-patch+json', {
        metadata: { finalizers: rest.length ? rest : null, resourceVersion: md.resourceVersion },
      });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}
