// scheduling.k8s.io/v1 (k8s.io/api/scheduling/v1/types.go): PriorityClass, a name for a pod priority.
// The Priority admission plugin turns a pod's spec.priorityClassName into spec.priority (and
// spec.preemptionPolicy); the scheduler orders and preempts by that number.
import type { KubeObject } from './meta.js';

/** Whether pods of a class may preempt lower-priority pods; PreemptLowerPriority when unset. */
export type PreemptionPolicy = 'PreemptLowerPriority' | 'Never';

export interface PriorityClass extends KubeObject {
  /** The priority pods of this class get; up to 1000000000 for user-defined classes. */
  value: number;
  /** The class of pods that name none; when several say so, the lowest value wins. */
  globalDefault?: boolean;
  description?: string;
  preemptionPolicy?: PreemptionPolicy;
}
