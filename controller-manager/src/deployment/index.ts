// deployment-controller (k8s pkg/controller/deployment): rolls each Deployment's pod template out
// through ReplicaSets — one per template, named and selected by its pod-template-hash — under the
// RollingUpdate or Recreate strategy, keeps old ReplicaSets for rollback up to revisionHistoryLimit,
// and reports progress in the Deployment's status and conditions, which `kubectl rollout status`
// reads. Only ReplicaSets are written here; the replicaset controller makes their pods.
import type { Deployment, Pod, ReplicaSet } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { ControllerRefManager, controllerOf, resolveControllerRef } from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type LabelsSelector, labelSelectorFromObject } from '@mkube/shared/selectors';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';
import { DEPLOYMENT_KIND, deploymentClient, rsClient, type SyncContext, updateDeploymentStatus } from './context.js';
import { type PodMap, rolloutRecreate } from './recreate.js';
import { rolloutRolling } from './rolling.js';
import {
  checkPausedConditions,
  getAllReplicaSetsAndSyncRevision,
  isScalingEvent,
  syncDeploymentStatus,
  syncScaling,
} from './sync.js';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';
/** --concurrent-deployment-syncs' default. */
export const DEFAULT_DEPLOYMENT_WORKERS = 5;

const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

const emptySelector = (d: Deployment) =>
  Object.keys(d.spec?.selector?.matchLabels ?? {}).length + (d.spec?.selector?.matchExpressions?.length ?? 0) === 0;

const sameLabels = (a: ReplicaSet, b: ReplicaSet) =>
  JSON.stringify(Object.entries(a.metadata?.labels ?? {}).sort()) ===
  JSON.stringify(Object.entries(b.metadata?.labels ?? {}).sort());

export class DeploymentController implements Controller {
  readonly name = DEPLOYMENT_CONTROLLER;
  readonly queue = new WorkQueue('deployment');
  readonly #ctx: SyncContext;

  constructor(
    readonly client: KubeClient,
    readonly deployments: SharedInformer<Deployment>,
    readonly rss: SharedInformer<ReplicaSet>,
    readonly pods: SharedInformer<Pod>,
    readonly log: Logger,
    readonly recorder: EventRecorder,
    readonly workers = DEFAULT_DEPLOYMENT_WORKERS,
  ) {
    this.#ctx = {
      client,
      recorder,
      log,
      rsStore: rss.store,
      enqueueAfter: (d, ms) => this.queue.addAfter(key(d), ms),
      enqueueRateLimited: (d) => this.queue.addRateLimited(key(d)),
      now: Date.now,
    };
    const enqueue = (d: Deployment) => this.queue.add(key(d));
    deployments.addEventHandler({ onAdd: enqueue, onUpdate: (_o, d) => enqueue(d), onDelete: enqueue });
    rss.addEventHandler({
      onAdd: (rs) => this.#addReplicaSet(rs),
      onUpdate: (old, cur) => this.#updateReplicaSet(old, cur),
      onDelete: (rs) => this.#ownerOf(rs, enqueue),
    });
    pods.addEventHandler({ onDelete: (p) => this.#deletePod(p) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  #ownerOf(rs: ReplicaSet, then: (d: Deployment) => void): void {
    const ref = controllerOf(rs);
    if (!ref) return;
    const d = resolveControllerRef(rs.metadata?.namespace ?? '', ref, DEPLOYMENT_KIND.kind, (k) =>
      this.deployments.store.get(k),
    );
    if (d) then(d);
  }

  /** getDeploymentsForReplicaSet: the Deployments that would adopt an orphan. */
  #selecting(rs: ReplicaSet): Deployment[] {
    const labels = rs.metadata?.labels ?? {};
    if (Object.keys(labels).length === 0) return [];
    return this.deployments.store.list().filter((d) => {
      if (d.metadata?.namespace !== rs.metadata?.namespace || emptySelector(d)) return false;
      try {
        return labelSelectorFromObject(d.spec?.selector).matches(labels);
      } catch {
        return false;
      }
    });
  }

  #addReplicaSet(rs: ReplicaSet): void {
    if (controllerOf(rs)) {
      this.#ownerOf(rs, (d) => this.queue.add(key(d)));
      return;
    }
    for (const d of this.#selecting(rs)) this.queue.add(key(d));
  }

  #updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const [oldRef, curRef] = [controllerOf(old), controllerOf(cur)];
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(curRef);
    if (refChanged && oldRef) this.#ownerOf(old, (d) => this.queue.add(key(d)));
    if (curRef) {
      this.#ownerOf(cur, (d) => this.queue.add(key(d)));
      return;
    }
    if (!sameLabels(old, cur) || refChanged) for (const d of this.#selecting(cur)) this.queue.add(key(d));
  }

  /** A Recreate rollout waits for the old pods to be gone: the last one going wakes it. */
  #deletePod(p: Pod): void {
    const rsRef = controllerOf(p);
    if (!rsRef) return;
    const rs = resolveControllerRef(p.metadata?.namespace ?? '', rsRef, 'ReplicaSet', (k) => this.rss.store.get(k));
    if (!rs) return;
    this.#ownerOf(rs, (d) => {
      if (d.spec?.strategy?.type !== 'Recreate') return;
      const owned = new Set(
        this.rss.store
          .list()
          .filter((r) => controllerOf(r)?.uid === d.metadata?.uid)
          .map((r) => r.metadata?.uid),
      );
      const left = this.pods.store.list().some((x) => owned.has(controllerOf(x)?.uid));
      if (!left) this.queue.add(key(d));
    });
  }

  /** getReplicaSetsForDeployment: the ReplicaSets it controls, after adopting and releasing. */
  async #replicaSetsFor(d: Deployment, selector: LabelsSelector): Promise<ReplicaSet[]> {
    const ns = d.metadata?.namespace ?? '';
    const manager = new ControllerRefManager<ReplicaSet>({
      owner: d,
      kind: DEPLOYMENT_KIND,
      selector,
      dependents: rsClient(this.#ctx, ns),
      fetchOwner: () => deploymentClient(this.#ctx, ns).get(d.metadata?.name ?? ''),
    });
    return manager.claim(this.rss.store.list().filter((rs) => rs.metadata?.namespace === ns));
  }

  /** getPodMapForDeployment: its selected pods by the uid of their ReplicaSet. */
  #podMap(d: Deployment, selector: LabelsSelector, rsList: readonly ReplicaSet[]): PodMap {
    const map = new Map<string, Pod[]>(rsList.map((rs) => [rs.metadata?.uid ?? '', []]));
    for (const p of this.pods.store.list()) {
      if (p.metadata?.namespace !== d.metadata?.namespace || !selector.matches(p.metadata?.labels ?? {})) continue;
      const ref = controllerOf(p);
      if (ref) map.get(ref.uid)?.push(p);
    }
    return map;
  }

  async sync(k: string): Promise<void> {
    const cached = this.deployments.store.get(k);
    if (!cached) return;
    // Everything below writes into this copy, never into the cache.
    const d = structuredClone(cached);
    const c = this.#ctx;
    if (emptySelector(d)) {
      this.recorder.event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata?.generation ?? 0 };
        await updateDeploymentStatus(c, d);
      }
      return;
    }
    let selector: LabelsSelector;
    try {
      selector = labelSelectorFromObject(d.spec?.selector);
    } catch (e) {
      throw new Error(`deployment ${k} has invalid label selector: ${(e as Error).message}`);
    }
    const rsList = await this.#replicaSetsFor(d, selector);
    const podMap = this.#podMap(d, selector, rsList);
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, rsList, false);
      return syncDeploymentStatus(c, [...oldRSs, newRS], newRS, d);
    }
    await checkPausedConditions(c, d);
    if (d.spec?.paused) return syncScaling(c, d, rsList);
    if (await isScalingEvent(c, d, rsList)) return syncScaling(c, d, rsList);
    switch (d.spec?.strategy?.type ?? 'RollingUpdate') {
      case 'Recreate':
        return rolloutRecreate(c, d, rsList, podMap);
      case 'RollingUpdate':
        return rolloutRolling(c, d, rsList);
      default:
        throw new Error(`unexpected deployment strategy type: ${d.spec?.strategy?.type}`);
    }
  }
}
