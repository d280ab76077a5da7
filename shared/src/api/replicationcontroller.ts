// core/v1 ReplicationController (k8s.io/api/core/v1/types.go): the ReplicaSet's predecessor, still
// served. Its selector is a plain label map (no expressions) and its template a pointer; the
// controller-manager's replicationcontroller controller reconciles it as a ReplicaSet.
import type { PodTemplateSpec } from './core.js';
import type { KubeObject } from './meta.js';

export interface ReplicationControllerSpec {
  /** Defaults to 1. */
  replicas?: number;
  minReadySeconds?: number;
  /** Defaulted from the template's labels when empty. */
  selector?: Record<string, string>;
  template?: PodTemplateSpec;
}

/** ReplicationControllerCondition: no lastUpdateTime, unlike apps/v1's. */
export interface ReplicationControllerCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicationControllerStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicationControllerCondition[];
}

export interface ReplicationController extends KubeObject {
  spec?: ReplicationControllerSpec;
  status?: ReplicationControllerStatus;
}
