// storage.k8s.io/v1 CSIStorageCapacity (k8s.io/api/storage/v1/types.go): what a CSI driver's
// GetCapacity answered for one storage class and one topology segment, published by the driver's
// external-provisioner so the scheduler can skip nodes without room for a volume.

import type { KubeObject, LabelSelector } from './meta.js';

export interface CSIStorageCapacity extends KubeObject {
  /** Nodes that reach the storage: unset, none does; empty, all do. Fixed once set. */
  nodeTopology?: LabelSelector | null;
  /** A StorageClass name (a DNS subdomain); fixed once set. */
  storageClassName: string;
  /** A quantity; unset when the driver does not know. */
  capacity?: string;
  /** The largest volume one CreateVolume may ask for (CSI 1.4). */
  maximumVolumeSize?: string;
}
