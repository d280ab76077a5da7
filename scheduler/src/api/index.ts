// The parts of core/v1 the scheduler reads that shared/src/api/core.ts does not spell out
// (k8s.io/api/core/v1/types.go): affinity, scheduling gates, overhead, preemption policy. Extended
// here rather than there so the shared shapes stay what the other daemons read.
import type {
  Container,
  Pod as CorePod,
  PodSpec as CorePodSpec,
  ObjectReference,
  ResourceList,
} from '@mkube/shared/api';

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator | (string & {});
  values?: string[];
}

/** Requirements ANDed; an empty term matches no node. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  /** Only `metadata.name` is a field a node can be selected by. */
  matchFields?: NodeSelectorRequirement[];
}

/** Terms ORed. */
export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

/** Pod (anti-)affinity is carried but not evaluated: mkube's scheduler runs no InterPodAffinity plugin. */
export interface Affinity {
  nodeAffinity?: NodeAffinity;
  podAffinity?: unknown;
  podAntiAffinity?: unknown;
}

export interface PodSchedulingGate {
  name: string;
}

export type PreemptionPolicy = 'PreemptLowerPriority' | 'Never';

export interface PodSpec extends CorePodSpec {
  affinity?: Affinity;
  schedulingGates?: PodSchedulingGate[];
  /** RuntimeClass overhead, added to the containers' requests. */
  overhead?: ResourceList;
  preemptionPolicy?: PreemptionPolicy | (string & {});
  priorityClassName?: string;
}

export interface Pod extends CorePod {
  spec?: PodSpec;
  status?: CorePod['status'] & { nominatedNodeName?: string };
}

/** core/v1 Binding: POSTed to pods/{name}/binding to assign a pod to a node. */
export interface Binding {
  apiVersion: 'v1';
  kind: 'Binding';
  metadata: { name: string; namespace: string; uid?: string };
  target: ObjectReference;
}

export type { Container, ResourceList };

/** The scheduler name a pod without one is defaulted to (v1.DefaultSchedulerName). */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** `namespace/name`, the key pods are queued and cached under. */
export function podKey(pod: Pick<Pod, 'metadata'>): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
