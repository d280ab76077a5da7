// replicaset-controller (k8s pkg/controller/replicaset): keeps as many active pods as each
// ReplicaSet asks for. Pods are the ReplicaSet's by a controller ownerReference; it adopts orphans
// its selector matches and releases pods that stopped matching, creates the missing ones from its
// template and deletes the surplus, then writes the counts into its status. Expectations keep a
// sync from acting again before the informer has seen the pods it just created or deleted.
// The same controller keeps ReplicationControllers (kind.ts), as upstream's replication manager.
import type { Pod } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import {
  ControllerRefManager,
  controllerOf,
  filterActivePods,
  isPodReady,
  PodControl,
  resolveControllerRef,
  UIDTrackingControllerExpectations,
} from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { LabelsSelector } from '@mkube/shared/selectors';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import type { Replicated, ReplicatedKind } from './kind.js';
import { manageReplicas, podKey } from './replicas.js';
import { calculateStatus, updateReplicaSetStatus } from './status.js';

export {
  REPLICA_SET,
  REPLICASET_CONTROLLER,
  REPLICATION_CONTROLLER,
  REPLICATION_CONTROLLER_CONTROLLER,
  type Replicated,
  type ReplicatedKind,
} from './kind.js';
/** --concurrent-replicaset-syncs' default (and --concurrent-rc-syncs'). */
export const DEFAULT_REPLICASET_WORKERS = 5;

const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

const sameLabels = (a: Pod, b: Pod) =>
  JSON.stringify(Object.entries(a.metadata?.labels ?? {}).sort()) ===
  JSON.stringify(Object.entries(b.metadata?.labels ?? {}).sort());

export class ReplicaSetController<T extends Replicated> implements Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly expectations = new UIDTrackingControllerExpectations();
  readonly #podControl: PodControl;

  constructor(
    readonly kind: ReplicatedKind<T>,
    readonly client: KubeClient,
    readonly rss: SharedInformer<T>,
    readonly pods: SharedInformer<Pod>,
    readonly log: Logger,
    recorder: EventRecorder,
    readonly workers = DEFAULT_REPLICASET_WORKERS,
  ) {
    this.name = kind.controllerName;
    this.queue = new WorkQueue(kind.queueName);
    this.#podControl = new PodControl(client, recorder);
    rss.addEventHandler({
      onAdd: (rs) => this.queue.add(key(rs)),
      onUpdate: (old, cur) => {
        // A ReplicaSet deleted and made again under the same name: the old one's expectations go.
        if (old.metadata?.uid !== cur.metadata?.uid) this.#deleteRS(old);
        this.queue.add(key(cur));
      },
      onDelete: (rs) => this.#deleteRS(rs),
    });
    pods.addEventHandler({
      onAdd: (p) => this.#addPod(p),
      onUpdate: (old, cur) => this.#updatePod(old, cur),
      onDelete: (p) => this.#deletePod(p),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  #deleteRS(rs: T): void {
    this.expectations.delete(key(rs));
    this.queue.add(key(rs));
  }

  #ownerOf(p: Pod): T | undefined {
    const ref = controllerOf(p);
    return (
      ref && resolveControllerRef(p.metadata?.namespace ?? '', ref, this.kind.ref.kind, (k) => this.rss.store.get(k))
    );
  }

  /** getPodReplicaSets: the ReplicaSets whose selector matches an orphan (to adopt it). */
  #selecting(p: Pod): T[] {
    const labels = p.metadata?.labels ?? {};
    if (Object.keys(labels).length === 0) return [];
    return this.rss.store.list().filter((rs) => {
      if (rs.metadata?.namespace !== p.metadata?.namespace || this.kind.selectsNothing(rs)) return false;
      try {
        return this.kind.selector(rs).matches(labels);
      } catch {
        return false;
      }
    });
  }

  #addPod(p: Pod): void {
    // A pod restarted with the controller may already be on its way out.
    if (p.metadata?.deletionTimestamp) {
      this.#deletePod(p);
      return;
    }
    if (controllerOf(p)) {
      const rs = this.#ownerOf(p);
      if (!rs) return;
      this.expectations.creationObserved(key(rs));
      this.queue.add(key(rs));
      return;
    }
    for (const rs of this.#selecting(p)) this.queue.add(key(rs));
  }

  #updatePod(old: Pod, cur: Pod): void {
    // A periodic relist sends the same version again.
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = !sameLabels(old, cur);
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion: count it as deleted now, not when the kubelet is done with it.
      this.#deletePod(cur);
      if (labelsChanged) this.#deletePod(old);
      return;
    }
    const [oldRef, curRef] = [controllerOf(old), controllerOf(cur)];
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(curRef);
    if (refChanged && oldRef) {
      const rs = this.#ownerOf(old);
      if (rs) this.queue.add(key(rs));
    }
    if (curRef) {
      const rs = this.#ownerOf(cur);
      if (!rs) return;
      this.queue.add(key(rs));
      // Available only minReadySeconds after Ready: look again then, as nothing else will tell.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.queue.addAfter(key(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.#selecting(cur)) this.queue.add(key(rs));
  }

  #deletePod(p: Pod): void {
    const rs = controllerOf(p) && this.#ownerOf(p);
    if (!rs) return;
    this.expectations.deletionObserved(key(rs), podKey(p));
    this.queue.add(key(rs));
  }

  /** getIndirectlyRelatedPods: the pods the ReplicaSets with the same controller select. */
  #relatedPods(rs: Replicated): Pod[] {
    const owner = controllerOf(rs);
    if (!owner) return [];
    const ns = rs.metadata?.namespace;
    const seen = new Set<string>();
    const related: Pod[] = [];
    for (const other of this.rss.store.list()) {
      if (other.metadata?.namespace !== ns || controllerOf(other)?.uid !== owner.uid) continue;
      let sel: LabelsSelector;
      try {
        sel = this.kind.selector(other);
      } catch {
        continue;
      }
      for (const p of this.pods.store.list()) {
        const uid = p.metadata?.uid ?? '';
        if (p.metadata?.namespace !== ns || seen.has(uid) || !sel.matches(p.metadata?.labels ?? {})) continue;
        seen.add(uid);
        related.push(p);
      }
    }
    return related;
  }

  async sync(k: string): Promise<void> {
    const rs = this.rss.store.get(k);
    if (!rs) {
      this.expectations.delete(k);
      return;
    }
    const needsSync = this.expectations.satisfied(k);
    let selector: LabelsSelector;
    try {
      selector = this.kind.selector(rs);
    } catch (e) {
      // Validation forbids it; retrying would not help.
      this.log.error({ replicaSet: k, err: (e as Error).message }, 'error converting pod selector to selector');
      return;
    }
    const ns = rs.metadata?.namespace ?? '';
    const all = this.pods.store.list().filter((p) => p.metadata?.namespace === ns);
    const manager = new ControllerRefManager<Pod>({
      owner: rs,
      kind: this.kind.ref,
      selector,
      dependents: this.client.resource<Pod>({ ...RESOURCES.pods, namespace: ns }),
      fetchOwner: () => this.client.resource<T>({ ...this.kind.resource, namespace: ns }).get(rs.metadata?.name ?? ''),
    });
    const active = await manager.claim(filterActivePods(all));

    let manageError: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await manageReplicas(
          {
            ownerKind: this.kind.ref,
            podControl: this.#podControl,
            expectations: this.expectations,
            log: this.log,
            relatedPods: (r) => this.#relatedPods(r),
          },
          k,
          active,
          rs,
        );
      } catch (e) {
        manageError = e;
      }
    }
    const now = new Date();
    const updated = await updateReplicaSetStatus(
      this.client,
      this.kind,
      rs,
      calculateStatus(rs, active, manageError, now),
    );
    // Pods Ready but not yet available: sync again once minReadySeconds have passed.
    const minReady = updated.spec?.minReadySeconds ?? 0;
    const s = updated.status;
    if (
      manageError === undefined &&
      minReady > 0 &&
      (updated.spec?.replicas ?? 1) === (s?.readyReplicas ?? 0) &&
      (s?.availableReplicas ?? 0) !== (s?.readyReplicas ?? 0)
    )
      this.queue.addAfter(k, minReady * 1000);
    if (manageError !== undefined) throw manageError;
  }
}
