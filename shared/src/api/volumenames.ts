// The annotations, finalizers and provisioner names through which the apiserver, the PV controllers,
// the scheduler and the kubelet hand claims and volumes to one another
// (k8s.io/component-helpers/storage/volume, pkg/volume/util). Spelled once so they cannot drift apart.

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

/** StorageObjectInUseProtection: a claim or volume in use outlives its deletion until released. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';
/** HonorPVReclaimPolicy (GA in 1.33): an in-tree provisioned Delete volume keeps its object until its storage is gone. */
export const PV_DELETION_IN_TREE_PROTECTION_FINALIZER = 'kubernetes.io/pv-controller';

/** A class with this provisioner never provisions (NotSupportedProvisioner). */
export const NOT_SUPPORTED_PROVISIONER = 'kubernetes.io/no-provisioner';
/** The in-tree host-path plugin, the one provisioner mkube runs itself. */
export const HOST_PATH_PROVISIONER = 'kubernetes.io/host-path';
