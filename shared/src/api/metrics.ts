// metrics.k8s.io/v1beta1 (k8s.io/metrics pkg/apis/metrics/v1beta1/types.go): what metrics-server
// serves through the aggregation layer and `kubectl top` and the HorizontalPodAutoscaler read.
import type { KubeObject, Quantity, Time } from './meta.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';

/** A ResourceList of the two resources metrics-server measures. */
export interface MetricsUsage {
  cpu: Quantity;
  memory: Quantity;
  [resource: string]: Quantity;
}

/** NodeMetrics: a node's usage over `window` ending at `timestamp`. */
export interface NodeMetrics extends KubeObject {
  timestamp: Time;
  /** A metav1.Duration in Go's form (`20.044s`). */
  window: string;
  usage: MetricsUsage;
}

export interface ContainerMetrics {
  name: string;
  usage: MetricsUsage;
}

/** PodMetrics: each container's usage over `window` ending at `timestamp`. */
export interface PodMetrics extends KubeObject {
  timestamp: Time;
  window: string;
  containers: ContainerMetrics[];
}
