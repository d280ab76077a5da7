// coordination.k8s.io/v1 Lease (k8s.io/api/coordination/v1/types.go): node heartbeats and leader election.
import type { KubeObject, MicroTime } from './meta.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: MicroTime;
  renewTime?: MicroTime;
  leaseTransitions?: number;
  /** Coordinated leader election (1.31+, alpha/beta); kept for round-tripping. */
  strategy?: string;
  preferredHolder?: string;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}
