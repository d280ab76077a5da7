// node.k8s.io/v1 (k8s.io/api/node/v1/types.go): RuntimeClass, a named container-runtime
// configuration. RuntimeClass admission copies its overhead and scheduling constraints into the pods
// that name it; the kubelet refuses to start a pod whose class is missing or whose handler it lacks.
import type { ResourceList, Toleration } from './core.js';
import type { KubeObject } from './meta.js';

/** The resources a pod of the class costs beyond its containers' (counted by scheduler and quota). */
export interface Overhead {
  podFixed?: ResourceList;
}

/** Where pods of the class may run: merged into each pod's nodeSelector and tolerations. */
export interface Scheduling {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

export interface RuntimeClass extends KubeObject {
  /** The CRI handler (a DNS-1123 label, immutable), e.g. containerd's default `runc`. */
  handler: string;
  overhead?: Overhead;
  scheduling?: Scheduling;
}
