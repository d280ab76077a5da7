// Informer events into the queue and the cache (eventhandlers.go): unassigned pods of our profiles
// are queued; assigned pods and nodes fill the cache, and the changes that can make a parked pod
// fit (a node added or changed in what the filters read, an assigned pod added, relabelled or
// gone) send parked pods back to be tried. Claims, volumes and classes feed the volume binder's caches, and their adds and
// updates retry the pods the volume plugins parked. Handlers do no work beyond that.
import type { Node, NodeCondition, PersistentVolume, PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import type { ResourceEventHandlers } from '@mkube/shared/client';
import type { Pod } from './api/index.js';
import type { SchedulerCache } from './cache/cache.js';
import type { NodeChange } from './framework/interface.js';
import type { AssumeCache } from './plugins/volumebinding/assumecache.js';
import type { SchedulingQueue } from './queue/queue.js';

export interface HandlerTargets {
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  /** Whether a pod's spec.schedulerName is one of our profiles'. */
  readonly responsible: (pod: Pod) => boolean;
}

export function unassignedPodHandlers(t: HandlerTargets): ResourceEventHandlers<Pod> {
  return {
    onAdd(pod) {
      if (!t.responsible(pod)) return;
      t.queue.add(pod);
    },
    onUpdate(old, pod) {
      if (!t.responsible(pod)) return;
      t.queue.update(old, pod);
    },
    onDelete(pod) {
      if (t.responsible(pod)) t.queue.delete(pod);
    },
  };
}

export function assignedPodHandlers(t: HandlerTargets): ResourceEventHandlers<Pod> {
  return {
    onAdd(pod) {
      t.cache.setPod(pod);
      t.queue.moveAllToActiveOrBackoff({ kind: 'AssignedPodAdd', pod });
    },
    onUpdate(old, pod) {
      t.cache.setPod(pod);
      // Only labels matter to the plugins that take pod updates (inter-pod affinity, spreading).
      if (!same(old.metadata?.labels, pod.metadata?.labels))
        t.queue.moveAllToActiveOrBackoff({ kind: 'AssignedPodUpdate', old, pod });
    },
    onDelete(pod) {
      t.cache.removePod(pod);
      t.queue.moveAllToActiveOrBackoff({ kind: 'AssignedPodDelete', pod });
    },
  };
}

export function nodeHandlers(t: HandlerTargets): ResourceEventHandlers<Node> {
  return {
    onAdd(node) {
      t.cache.setNode(node);
      t.queue.moveAllToActiveOrBackoff({ kind: 'NodeAdd', node });
    },
    onUpdate(old, node) {
      t.cache.setNode(node);
      const changes = nodeChanges(old, node);
      if (changes.size > 0) t.queue.moveAllToActiveOrBackoff({ kind: 'NodeUpdate', old, node, changes });
    },
    onDelete: (node) => t.cache.removeNode(node),
  };
}

export interface VolumeHandlerTargets {
  readonly queue: SchedulingQueue;
  readonly pvcs: AssumeCache<PersistentVolumeClaim>;
  readonly pvs: AssumeCache<PersistentVolume>;
}

// The caches first: a pod the event retries must see the new object in its next cycle.
export function pvcHandlers(t: VolumeHandlerTargets): ResourceEventHandlers<PersistentVolumeClaim> {
  return {
    onAdd(pvc) {
      t.pvcs.onAddOrUpdate(pvc);
      t.queue.moveAllToActiveOrBackoff({ kind: 'PvcChange', pvc });
    },
    onUpdate(old, pvc) {
      t.pvcs.onAddOrUpdate(pvc);
      t.queue.moveAllToActiveOrBackoff({ kind: 'PvcChange', old, pvc });
    },
    onDelete: (pvc) => t.pvcs.onDelete(pvc),
  };
}

export function pvHandlers(t: VolumeHandlerTargets): ResourceEventHandlers<PersistentVolume> {
  return {
    onAdd(pv) {
      t.pvs.onAddOrUpdate(pv);
      t.queue.moveAllToActiveOrBackoff({ kind: 'PvChange', pv });
    },
    onUpdate(old, pv) {
      t.pvs.onAddOrUpdate(pv);
      t.queue.moveAllToActiveOrBackoff({ kind: 'PvChange', old, pv });
    },
    onDelete: (pv) => t.pvs.onDelete(pv),
  };
}

export function storageClassHandlers(t: Pick<VolumeHandlerTargets, 'queue'>): ResourceEventHandlers<StorageClass> {
  return {
    onAdd: (sc) => t.queue.moveAllToActiveOrBackoff({ kind: 'StorageClassChange', sc }),
    onUpdate: (old, sc) => t.queue.moveAllToActiveOrBackoff({ kind: 'StorageClassChange', old, sc }),
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Conditions by type and status only: heartbeats change every few seconds and mean nothing here. */
const conditionStates = (c: readonly NodeCondition[] | undefined) =>
  Object.fromEntries((c ?? []).map((x) => [x.type, x.status]));

/** nodeSchedulingPropertiesChange: what an update changed that a filter could care about. */
export function nodeChanges(old: Node, cur: Node): Set<NodeChange> {
  const out = new Set<NodeChange>();
  // spec.unschedulable counts as a taint change (it is one: node.kubernetes.io/unschedulable).
  if (Boolean(old.spec?.unschedulable) !== Boolean(cur.spec?.unschedulable)) out.add('UpdateNodeTaint');
  if (!same(old.status?.allocatable, cur.status?.allocatable)) out.add('UpdateNodeAllocatable');
  if (!same(old.metadata?.labels, cur.metadata?.labels)) out.add('UpdateNodeLabel');
  if (!same(old.spec?.taints, cur.spec?.taints)) out.add('UpdateNodeTaint');
  if (!same(conditionStates(old.status?.conditions), conditionStates(cur.status?.conditions)))
    out.add('UpdateNodeCondition');
  return out;
}
