// autoscaling/v1 Scale: the body of the /scale subresource of Deployments, ReplicaSets and
// StatefulSets (what `kubectl scale` and the HorizontalPodAutoscaler read and write).
import type { KubeObject } from './meta.js';

export interface ScaleSpec {
  replicas?: number;
}

export interface ScaleStatus {
  replicas: number;
  /** The label selector of the pods, in its string form. */
  selector?: string;
}

export interface Scale extends KubeObject {
  spec?: ScaleSpec;
  status?: ScaleStatus;
}
