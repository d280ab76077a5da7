// The storage API resources the volume controllers read and write, and the well-known annotations
// and finalizers they share with the scheduler, the kubelet and the admission plugins
// (k8s.io/component-helpers/storage/volume and pkg/volume/util).
import type { ResourceRef } from '@mkube/shared/client';

export const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' } as const satisfies ResourceRef;
export const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' } as const satisfies ResourceRef;
export const STORAGE_CLASSES = {
  group: 'storage.k8s.io',
  version: 'v1',
  resource: 'storageclasses',
} as const satisfies ResourceRef;

/** The claim's binding is complete: the claim is managed by syncBoundClaim from now on. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** The controller (or the scheduler) made the binding, so it may undo it. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** Which provisioner made a volume, so the same one deletes it. */
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** Which provisioner a claim waits on; external provisioners watch for their own name here. */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** Set by the scheduler on a WaitForFirstConsumer claim: provision for this node. */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** The deprecated spelling of storageClassName, still honoured first. */
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
/** A migrated in-tree volume is left to its CSI driver. */
export const ANN_MIGRATED_TO = 'pv.kubernetes.io/migrated-to';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';
/** HonorPVReclaimPolicy (GA in 1.33): an in-tree provisioned Delete volume keeps its object until its storage is gone. */
export const PV_DELETION_IN_TREE_PROTECTION_FINALIZER = 'kubernetes.io/pv-controller';

export const HOST_PATH_PLUGIN = 'kubernetes.io/host-path';
