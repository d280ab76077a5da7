// The plugin interfaces the scheduling cycle runs (framework/interface.go), reduced to the extension
// points mkube's default plugins use: PreFilter, Filter, PreScore, Score, Reserve/Unreserve and
// PreBind, plus the cluster events each Filter plugin's rejection can be undone by
// (EventsToRegister with their queueing hints).
import type { Node, PersistentVolume, PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import type { Pod } from '../api/index.js';
import type { NodeInfo, PodInfo } from './nodeinfo.js';
import type { Status } from './status.js';

/** framework.MaxNodeScore: every Score plugin answers in [0, 100]. */
export const MAX_NODE_SCORE = 100;

/** Per-cycle data plugins compute once per pod (framework.CycleState). */
export type CycleState = Map<string, unknown>;

/** PreFilter's answer: the only nodes worth filtering (undefined: all of them). */
export interface PreFilterResult {
  readonly nodeNames?: ReadonlySet<string>;
}

/** What changed in the cluster (framework.ClusterEvent), as the queue matches it against rejections. */
export type ClusterEvent =
  | { readonly kind: 'NodeAdd'; readonly node: Node }
  | {
      readonly kind: 'NodeUpdate';
      readonly old: Node;
      readonly node: Node;
      /** ActionTypes the update carries (nodeSchedulingPropertiesChange). */
      readonly changes: ReadonlySet<NodeChange>;
    }
  | { readonly kind: 'AssignedPodAdd'; readonly pod: Pod }
  | { readonly kind: 'AssignedPodUpdate'; readonly old: Pod; readonly pod: Pod }
  | { readonly kind: 'AssignedPodDelete'; readonly pod: Pod }
  /** A PersistentVolumeClaim added (no `old`) or updated. */
  | { readonly kind: 'PvcChange'; readonly old?: PersistentVolumeClaim; readonly pvc: PersistentVolumeClaim }
  /** A PersistentVolume added (no `old`) or updated. */
  | { readonly kind: 'PvChange'; readonly old?: PersistentVolume; readonly pv: PersistentVolume }
  /** A StorageClass added (no `old`) or updated. */
  | { readonly kind: 'StorageClassChange'; readonly old?: StorageClass; readonly sc: StorageClass }
  /** Pods parked longer than --pod-max-in-unschedulable-pods-duration: every plugin retries. */
  | { readonly kind: 'UnschedulableTimeout' };

export type NodeChange = 'UpdateNodeAllocatable' | 'UpdateNodeLabel' | 'UpdateNodeTaint' | 'UpdateNodeCondition';

/** QueueingHint: whether an event may make a pod this plugin rejected schedulable. */
export type QueueingHint = 'Queue' | 'QueueSkip';

export interface FilterPlugin {
  readonly name: string;
  /**
   * Returns Skip when Filter has nothing to check for this pod; a rejection fails the pod on every
   * node. `nodes` is the cycle's snapshot (upstream's SnapshotSharedLister).
   */
  preFilter?(state: CycleState, pod: Pod, nodes?: readonly NodeInfo[]): PreFilterResult | Status | undefined;
  /** undefined: the node passes. */
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status | undefined;
  /**
   * PreFilterExtensions.RemovePod, for preemption's dry run: `victim` has left `node`, so what
   * preFilter counted must forget it. `state` is the dry run's own copy: replace entries, never
   * mutate the objects they hold (the cycle's state shares them).
   */
  removePod?(state: CycleState, pod: Pod, victim: PodInfo, node: NodeInfo): void;
  /** For a pod this plugin rejected: does `event` call for another attempt? Absent events never do. */
  queueingHint(pod: Pod, event: ClusterEvent): QueueingHint;
}

export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  /**
   * Skip: the plugin scores nothing for this pod (every node gets 0 from it). `nodes` are the
   * feasible ones, `all` the cycle's whole snapshot (pods anywhere can count).
   */
  preScore?(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], all: readonly NodeInfo[]): Status | undefined;
  score(state: CycleState, pod: Pod, node: NodeInfo): number;
  /** NormalizeScore: rescales the scores of all nodes (`nodes`, in the same order) in place. */
  normalize?(scores: number[], state: CycleState, nodes: readonly NodeInfo[]): void;
}

/** Reserve/Unreserve: claims made for the chosen node before binding, undone if the pod is not bound. */
export interface ReservePlugin {
  readonly name: string;
  reserve(state: CycleState, pod: Pod, nodeName: string): Status | undefined;
  /** Idempotent: runs after any failure from Reserve on, for every Reserve plugin. */
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

/** PreBind: API work that must be done (and may be waited for) before the Binding is created. */
export interface PreBindPlugin {
  readonly name: string;
  /** PreBindPreFlight: Skip when preBind has nothing to do for this pod on this node. */
  preBindPreFlight(state: CycleState, pod: Pod, nodeName: string): Status | undefined;
  preBind(state: CycleState, pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status | undefined>;
}
