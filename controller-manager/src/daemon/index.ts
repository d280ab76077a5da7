// daemonset-controller (k8s pkg/controller/daemon): one pod per node that should run it. Each sync
// records the template as a ControllerRevision, creates a pod for every eligible node without one
// (pinned there by a required node affinity on metadata.name; the scheduler binds it), deletes pods
// on nodes that should not run them, duplicates and failed pods (with a per-node backoff), rolls a
// new template out (RollingUpdate or OnDelete) and writes the status. DaemonSets, their pods and
// revisions, and nodes feed one queue; node changes pass a second queue that finds the DaemonSets
// they matter to.
import type { ControllerRevision, DaemonSet, KubeObject, Node, OwnerReference, Pod } from '@mkube/shared/api';
import type { KubeClient, ResourceRef } from '@mkube/shared/client';
import {
  ControllerExpectations,
  ControllerRefManager,
  controllerOf,
  isPodTerminal,
  PodControl,
  resolveControllerRef,
} from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import { Backoff } from './backoff.js';
import { cleanupHistory, constructHistory, type HistoryContext } from './history.js';
import { shouldIgnoreNodeUpdate } from './nodeupdate.js';
import { podsShouldBeOnNode } from './placement.js';
import { nodeShouldRunDaemonPod } from './predicates.js';
import { computeStatus, storeStatus } from './status.js';
import { syncNodes } from './syncnodes.js';
import { planRollingUpdate } from './update.js';
import { CONTROLLER_REVISION_HASH_LABEL, DAEMONSET_KIND, targetNodeName } from './util.js';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';
/** The ServiceAccount upstream's controller runs as. */
export const DAEMONSET_CONTROLLER_SA = 'daemon-set-controller';

const BACKOFF_GC_INTERVAL_MS = 60_000;

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export class DaemonSetsController implements Controller, HistoryContext {
  readonly name = DAEMONSET_CONTROLLER;
  readonly queue = new WorkQueue('daemonset');
  readonly nodeUpdateQueue = new WorkQueue('daemonset-node-updater');
  readonly expectations = new ControllerExpectations();
  readonly failedPodsBackoff = new Backoff();
  readonly podControl: PodControl;

  constructor(
    readonly client: KubeClient,
    readonly daemonSets: SharedInformer<DaemonSet>,
    readonly histories: SharedInformer<ControllerRevision>,
    readonly pods: SharedInformer<Pod>,
    readonly nodes: SharedInformer<Node>,
    readonly log: Logger,
    readonly recorder: EventRecorder,
    readonly workers = 2,
  ) {
    this.podControl = new PodControl(client, recorder);
    daemonSets.addEventHandler({
      onAdd: (ds) => this.enqueue(ds),
      onUpdate: (_old, ds) => this.enqueue(ds),
      onDelete: (ds) => {
        // A DaemonSet re-created under the same name starts without the old one's expectations.
        this.expectations.delete(key(ds));
        this.enqueue(ds);
      },
    });
    histories.addEventHandler({
      onAdd: (h) => this.#onOwned(h),
      onUpdate: (old, h) => {
        this.#onOwned(old);
        this.#onOwned(h);
      },
      onDelete: (h) => this.#onOwned(h),
    });
    pods.addEventHandler({
      onAdd: (p) => (p.metadata.deletionTimestamp ? this.#podDeleted(p) : this.#podAdded(p)),
      onUpdate: (old, p) => this.#podUpdated(old, p),
      onDelete: (p) => this.#podDeleted(p),
    });
    // With no DaemonSet a node event has nothing to queue (a DaemonSet added later is synced over
    // every node): a join of a thousand nodes skips the comparison of each heartbeat's node.
    nodes.addEventHandler({
      onAdd: (n) => {
        if (this.daemonSets.store.size > 0) this.nodeUpdateQueue.add(n.metadata.name ?? '');
      },
      onUpdate: (old, n) => {
        if (this.daemonSets.store.size > 0 && !shouldIgnoreNodeUpdate(old, n))
          this.nodeUpdateQueue.add(n.metadata.name ?? '');
      },
      // Beyond upstream (which waits for the pod GC or a resync): pods never bound to a node that
      // is gone are this controller's to delete, so look now.
      onDelete: (n) => {
        for (const ds of this.daemonSets.store.list()) {
          if (this.#ownedPodsOnNode(ds, n.metadata.name ?? '').length > 0) this.enqueue(ds);
        }
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const gc = setInterval(() => this.failedPodsBackoff.gc(), BACKOFF_GC_INTERVAL_MS);
    gc.unref();
    try {
      await Promise.all([
        runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal),
        runQueue(this.nodeUpdateQueue, this.workers, (n) => this.syncNodeUpdate(n), this.log, signal),
      ]);
    } finally {
      clearInterval(gc);
    }
  }

  enqueue(ds: DaemonSet, afterMs = 0): void {
    if (afterMs > 0) this.queue.addAfter(key(ds), afterMs);
    else this.queue.add(key(ds));
  }

  // Event handlers: they only find the DaemonSet(s) concerned and queue them.

  #resolve(namespace: string | undefined, ref: OwnerReference | undefined): DaemonSet | undefined {
    return ref && resolveControllerRef(namespace ?? '', ref, DAEMONSET_KIND.kind, (k) => this.daemonSets.store.get(k));
  }

  /** The DaemonSets whose selector matches an orphan (they may adopt it). */
  #selecting(o: KubeObject): DaemonSet[] {
    return this.daemonSets.store.list().filter((ds) => {
      if (ds.metadata.namespace !== o.metadata.namespace) return false;
      try {
        const s = labelSelectorFromObject(ds.spec?.selector);
        return !s.empty() && s.matches(o.metadata.labels ?? {});
      } catch {
        return false;
      }
    });
  }

  #onOwned(o: KubeObject): void {
    const ref = controllerOf(o);
    if (ref) {
      const ds = this.#resolve(o.metadata.namespace, ref);
      if (ds) this.enqueue(ds);
      return;
    }
    for (const ds of this.#selecting(o)) this.enqueue(ds);
  }

  #podAdded(p: Pod): void {
    const ref = controllerOf(p);
    if (ref) {
      const ds = this.#resolve(p.metadata.namespace, ref);
      if (!ds) return;
      this.expectations.creationObserved(key(ds));
      this.enqueue(ds);
      return;
    }
    // An orphan: no creation to observe, but a DaemonSet may adopt it.
    for (const ds of this.#selecting(p)) this.enqueue(ds);
  }

  #podUpdated(old: Pod, p: Pod): void {
    if (old.metadata.resourceVersion === p.metadata.resourceVersion) return;
    // A graceful deletion started: replace the pod now rather than when it is finally gone.
    if (p.metadata.deletionTimestamp) {
      this.#podDeleted(p);
      return;
    }
    const curRef = controllerOf(p);
    const oldRef = controllerOf(old);
    const refChanged = JSON.stringify(curRef) !== JSON.stringify(oldRef);
    if (refChanged && oldRef) {
      const ds = this.#resolve(old.metadata.namespace, oldRef);
      if (ds) this.enqueue(ds);
    }
    if (curRef) {
      const ds = this.#resolve(p.metadata.namespace, curRef);
      if (ds) this.enqueue(ds);
      return;
    }
    const labelsChanged = JSON.stringify(p.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {});
    if (labelsChanged || refChanged) for (const ds of this.#selecting(p)) this.enqueue(ds);
  }

  #podDeleted(p: Pod): void {
    const ds = this.#resolve(p.metadata.namespace, controllerOf(p));
    if (!ds) return;
    this.expectations.deletionObserved(key(ds));
    this.enqueue(ds);
  }

  /** The cached pods `ds` controls that target `nodeName` (no claiming: only to decide whether to sync). */
  #ownedPodsOnNode(ds: DaemonSet, nodeName: string): Pod[] {
    return this.pods.store.list().filter((p) => {
      if (p.metadata.namespace !== ds.metadata.namespace || controllerOf(p)?.uid !== ds.metadata.uid) return false;
      try {
        return targetNodeName(p) === nodeName;
      } catch {
        return false;
      }
    });
  }

  /** syncNodeUpdate: a node changed; sync the DaemonSets that now want a pod there or must leave it. */
  async syncNodeUpdate(nodeName: string): Promise<void> {
    const node = this.nodes.store.get(nodeName);
    if (!node) return;
    for (const ds of this.daemonSets.store.list()) {
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      const pods = this.#ownedPodsOnNode(ds, nodeName).filter((p) => !p.metadata.deletionTimestamp);
      if ((shouldRun && pods.length === 0) || (!shouldContinueRunning && pods.length > 0)) this.enqueue(ds);
    }
  }

  // HistoryContext.

  async controlledHistories(ds: DaemonSet): Promise<ControllerRevision[]> {
    const ns = ds.metadata.namespace;
    // Every revision of the namespace: ones that no longer match but are still owned get released.
    const all = this.histories.store.list().filter((h) => h.metadata.namespace === ns);
    return this.#refManager<ControllerRevision>(ds, RESOURCES.controllerrevisions).claim(all);
  }

  async daemonPods(ds: DaemonSet): Promise<Pod[]> {
    const ns = ds.metadata.namespace;
    const all = this.pods.store.list().filter((p) => p.metadata.namespace === ns);
    return this.#refManager<Pod>(ds, RESOURCES.pods).claim(all);
  }

  #refManager<T extends KubeObject>(ds: DaemonSet, dependents: ResourceRef): ControllerRefManager<T> {
    const namespace = ds.metadata.namespace ?? '';
    return new ControllerRefManager<T>({
      owner: ds,
      kind: DAEMONSET_KIND,
      selector: labelSelectorFromObject(ds.spec?.selector),
      dependents: this.client.resource<T>({ ...dependents, namespace }),
      // Uncached, as upstream's quorum read.
      fetchOwner: () =>
        this.client.resource<DaemonSet>({ ...RESOURCES.daemonsets, namespace }).get(ds.metadata.name ?? ''),
    });
  }

  /**
   * getNodesToDaemonPods: the DaemonSet's pods by the node they run on or are pinned to. Deleted
   * pods that are also terminal are left out unless asked for (only history keeps them).
   */
  async nodesToDaemonPods(ds: DaemonSet, includeDeletedTerminal: boolean): Promise<Map<string, Pod[]>> {
    const byNode = new Map<string, Pod[]>();
    for (const p of await this.daemonPods(ds)) {
      if (!includeDeletedTerminal && isPodTerminal(p) && p.metadata.deletionTimestamp) continue;
      let nodeName: string;
      try {
        nodeName = targetNodeName(p);
      } catch (e) {
        this.log.warn({ pod: key(p), err: (e as Error).message }, 'Failed to get target node name of Pod in DaemonSet');
        continue;
      }
      byNode.set(nodeName, [...(byNode.get(nodeName) ?? []), p]);
    }
    return byNode;
  }

  // The sync.

  async sync(k: string): Promise<void> {
    const ds = this.daemonSets.store.get(k);
    if (!ds) {
      this.expectations.delete(k);
      return;
    }
    const nodes = this.nodes.store.list();
    const sel = ds.spec?.selector;
    if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      this.recorder.event(
        ds,
        'Warning',
        'SelectingAll',
        'This daemon set is selecting all pods. A non-empty selector is required.',
      );
      return;
    }
    // Being deleted: its revisions may be gone or orphaned already, so no status can be trusted.
    if (ds.metadata.deletionTimestamp) return;
    const { cur, old } = await constructHistory(this, ds);
    const hash = cur.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    // Creations or deletions still in flight: only the status, and not as of this generation.
    if (!this.expectations.satisfied(k)) return this.#updateStatus(ds, nodes, hash, false);
    let err: unknown;
    try {
      await this.#updateDaemonSet(ds, nodes, hash, k, old);
    } catch (e) {
      err = e;
    }
    try {
      await this.#updateStatus(ds, nodes, hash, true);
    } catch (e) {
      if (err === undefined) throw e;
      this.log.warn({ daemonSet: k, err: (e as Error).message }, 'Failed to update status');
    }
    if (err !== undefined) throw err;
  }

  async #updateDaemonSet(
    ds: DaemonSet,
    nodes: Node[],
    hash: string,
    k: string,
    old: ControllerRevision[],
  ): Promise<void> {
    await this.#manage(ds, nodes, hash, k);
    if (this.expectations.satisfied(k) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const byNode = await this.nodesToDaemonPods(ds, false);
      const plan = planRollingUpdate(ds, nodes, byNode, hash, Date.now());
      await syncNodes(this, ds, k, plan.podsToDelete, plan.nodesNeedingPods, hash);
    }
    const live = [...(await this.nodesToDaemonPods(ds, true)).values()].flat();
    try {
      await cleanupHistory(this, ds, old, live);
    } catch (e) {
      throw new Error(`failed to clean up revisions of DaemonSet: ${(e as Error).message}`);
    }
  }

  /** manage: create where missing, delete where unwanted, excess or failed. */
  async #manage(ds: DaemonSet, nodes: Node[], hash: string, k: string): Promise<void> {
    const byNode = await this.nodesToDaemonPods(ds, false);
    const nodesNeedingPods: string[] = [];
    const podsToDelete: string[] = [];
    for (const node of nodes) {
      const r = podsShouldBeOnNode(this, node, byNode, ds, hash);
      nodesNeedingPods.push(...r.nodesNeedingPods);
      podsToDelete.push(...r.podsToDelete);
    }
    // Pods pinned to a node that no longer exists were never bound, so the pod GC will not get them.
    const running = new Set(nodes.map((n) => n.metadata.name ?? ''));
    for (const [nodeName, pods] of byNode) {
      if (running.has(nodeName)) continue;
      for (const p of pods) if (!p.spec?.nodeName) podsToDelete.push(p.metadata.name ?? '');
    }
    await syncNodes(this, ds, k, podsToDelete, nodesNeedingPods, hash);
  }

  async #updateStatus(ds: DaemonSet, nodes: Node[], hash: string, updateObservedGeneration: boolean): Promise<void> {
    const byNode = await this.nodesToDaemonPods(ds, false);
    const counts = computeStatus(ds, nodes, byNode, hash, Date.now());
    await storeStatus(this.client, ds, counts, updateObservedGeneration);
    // A last line of defence against clock skew: look again once minReadySeconds have passed.
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable) this.enqueue(ds, minReady * 1000);
  }
}
