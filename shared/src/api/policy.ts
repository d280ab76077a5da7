// policy/v1: Eviction, the pods/eviction subresource's body (a request to delete a pod politely), and
// PodDisruptionBudget, which limits how many of a set of pods evictions may take down at once.
import type { IntOrString } from './core.js';
import type { Condition, DeleteOptions, KubeObject, LabelSelector } from './meta.js';

export interface Eviction extends KubeObject {
  deleteOptions?: DeleteOptions;
}

export type UnhealthyPodEvictionPolicyType = 'IfHealthyBudget' | 'AlwaysAllow';

export interface PodDisruptionBudgetSpec {
  /** How many selected pods must stay available (a count or a percentage); exclusive with maxUnavailable. */
  minAvailable?: IntOrString;
  /** Which pods: in policy/v1 an empty selector selects every pod of the namespace. */
  selector?: LabelSelector;
  maxUnavailable?: IntOrString;
  unhealthyPodEvictionPolicy?: UnhealthyPodEvictionPolicyType;
}

export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  /** Pods evicted but not yet seen deleted by the disruption controller, with the eviction time. */
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Condition[];
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: PodDisruptionBudgetSpec;
  status?: PodDisruptionBudgetStatus;
}
