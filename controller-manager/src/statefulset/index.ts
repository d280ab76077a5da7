// statefulset-controller (k8s pkg/controller/statefulset): pods with a stable identity,
// `<set>-<ordinal>` from spec.ordinals.start, created in order and each only once the one before is
// Running and Ready (OrderedReady) or all at once (Parallel), removed highest ordinal first, and
// updated from the highest ordinal down to the partition through ControllerRevisions (RollingUpdate)
// or when deleted by hand (OnDelete). Each pod's volumeClaimTemplates claims are made before it and
// mounted in it, and owned by the set or the pod as persistentVolumeClaimRetentionPolicy asks.
import type {
  ControllerRevision,
  KubeObject,
  OwnerReference,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
} from '@mkube/shared/api';
import type { KubeClient, ResourceRef } from '@mkube/shared/client';
import { ControllerRefManager, controllerOf, resolveControllerRef } from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type LabelsSelector, labelSelectorFromObject } from '@mkube/shared/selectors';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { sortControllerRevisions } from '../history/revision.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import { updateStatefulSet } from './control.js';
import { StatefulPodControl } from './podcontrol.js';
import {
  completeRollingUpdate,
  inconsistentStatus,
  statefulSetRevisions,
  truncateHistory,
  writeStatus,
} from './revisions.js';
import { isMemberOf, STATEFULSET_KIND } from './utils.js';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';
/** The ServiceAccount upstream's controller runs as. */
export const STATEFULSET_CONTROLLER_SA = 'statefulset-controller';

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export class StatefulSetController implements Controller {
  readonly name = STATEFULSET_CONTROLLER;
  readonly queue = new WorkQueue('statefulset');
  readonly podControl: StatefulPodControl;

  constructor(
    readonly client: KubeClient,
    readonly sets: SharedInformer<StatefulSet>,
    readonly pods: SharedInformer<Pod>,
    readonly revisions: SharedInformer<ControllerRevision>,
    readonly claims: SharedInformer<PersistentVolumeClaim>,
    readonly log: Logger,
    readonly recorder: EventRecorder,
    readonly workers = 5,
  ) {
    this.podControl = new StatefulPodControl(client, recorder, claims.store);
    sets.addEventHandler({
      onAdd: (s) => this.enqueue(s),
      onUpdate: (_old, s) => this.enqueue(s),
      onDelete: (s) => this.enqueue(s),
    });
    // A pod waiting for its stale claim to go (PodClaimIsStale) is made once it has.
    claims.addEventHandler({ onDelete: (c) => this.#onSelected(c.metadata.namespace, c.metadata.labels) });
    pods.addEventHandler({
      onAdd: (p) => this.#onPod(p),
      onUpdate: (old, p) => {
        if (old.metadata.resourceVersion === p.metadata.resourceVersion) return;
        const oldRef = controllerOf(old);
        if (oldRef && JSON.stringify(oldRef) !== JSON.stringify(controllerOf(p))) this.#onPod(old);
        this.#onPod(p, JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(p.metadata.labels ?? {}));
      },
      onDelete: (p) => this.#onPod(p, false),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  enqueue(s: StatefulSet, afterMs = 0): void {
    if (afterMs > 0) this.queue.addAfter(key(s), afterMs);
    else this.queue.add(key(s));
  }

  #resolve(namespace: string | undefined, ref: OwnerReference | undefined): StatefulSet | undefined {
    return ref && resolveControllerRef(namespace ?? '', ref, STATEFULSET_KIND.kind, (k) => this.sets.store.get(k));
  }

  /** The pod's controller, or for an orphan (when `orphanMayMatter`) the sets that may adopt it. */
  #onPod(p: Pod, orphanMayMatter = true): void {
    const ref = controllerOf(p);
    if (ref) {
      const s = this.#resolve(p.metadata.namespace, ref);
      if (s) this.enqueue(s);
      return;
    }
    if (!orphanMayMatter) return;
    this.#onSelected(p.metadata.namespace, p.metadata.labels);
  }

  /** Enqueues the sets in `namespace` whose selector matches `labels`. */
  #onSelected(namespace: string | undefined, labels: Record<string, string> | undefined): void {
    for (const s of this.sets.store.list()) {
      if (s.metadata.namespace !== namespace) continue;
      try {
        const sel = labelSelectorFromObject(s.spec?.selector);
        if (!sel.empty() && sel.matches(labels ?? {})) this.enqueue(s);
      } catch {
        // A selector that does not parse selects nothing.
      }
    }
  }

  #refManager<T extends KubeObject>(
    set: StatefulSet,
    selector: LabelsSelector,
    dependents: ResourceRef,
  ): ControllerRefManager<T> {
    const namespace = set.metadata.namespace ?? '';
    return new ControllerRefManager<T>({
      owner: set,
      kind: STATEFULSET_KIND,
      selector,
      dependents: this.client.resource<T>({ ...dependents, namespace }),
      // Uncached, as upstream's quorum read.
      fetchOwner: () =>
        this.client.resource<StatefulSet>({ ...RESOURCES.statefulsets, namespace }).get(set.metadata.name ?? ''),
    });
  }

  async sync(k: string): Promise<void> {
    const set = this.sets.store.get(k);
    if (!set) return;
    const ns = set.metadata.namespace;
    const selector = labelSelectorFromObject(set.spec?.selector);
    // ListRevisions after adoptOrphanRevisions: the selector's revisions that are ours or orphans.
    const candidates = this.revisions.store
      .list()
      .filter((r) => r.metadata.namespace === ns && selector.matches(r.metadata.labels ?? {}));
    const revisions = sortControllerRevisions(
      await this.#refManager<ControllerRevision>(set, selector, RESOURCES.controllerrevisions).claim(candidates),
    );
    const members = this.pods.store.list().filter((p) => p.metadata.namespace === ns && isMemberOf(set, p));
    const pods = await this.#refManager<Pod>(set, selector, RESOURCES.pods).claim(members);

    const { current, update, collisionCount } = await statefulSetRevisions(this.client, set, revisions);
    const ctx = { podControl: this.podControl, recorder: this.recorder, log: this.log };
    const { status, error } = await updateStatefulSet(ctx, set, current, update, collisionCount, pods);
    let statusError: unknown;
    try {
      completeRollingUpdate(set, status);
      if (inconsistentStatus(set, status)) await writeStatus(this.client, set, status);
    } catch (e) {
      statusError = e;
    }
    await truncateHistory(this.client, set, pods, revisions, current, update);
    if (error !== undefined) throw error;
    if (statusError !== undefined) throw statusError;
    // Once more after minReadySeconds, against clock skew and for pods turning available.
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.availableReplicas !== (set.spec?.replicas ?? 1)) this.enqueue(set, minReady * 1000);
  }
}
