// The core/v1 shapes the scheduler reads come from shared/src/api; here only what is the scheduler's
// own: the default profile's name and the key pods are queued and cached under.
import type { Pod } from '@mkube/shared/api';

export type {
  Affinity,
  Binding,
  Container,
  NodeAffinity,
  NodeSelector,
  NodeSelectorOperator,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PodSchedulingGate,
  PodSpec,
  PreemptionPolicy,
  PreferredSchedulingTerm,
  ResourceList,
} from '@mkube/shared/api';

/** The scheduler name a pod without one is defaulted to (v1.DefaultSchedulerName). */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** `namespace/name`, the key pods are queued and cached under. */
export function podKey(pod: Pick<Pod, 'metadata'>): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
