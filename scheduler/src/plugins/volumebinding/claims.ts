// What a pod's volumes say about claims (ephemeral.VolumeClaimName, storage/volume helpers): which
// claims it uses, a claim's or volume's class, and when a claim counts as bound.
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import type { Pod } from '../../api/index.js';

/** The beta annotation that named a class before spec.storageClassName; upstream still reads it first. */
export const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
/** Set by the PV controller once it finished binding a claim (AnnBindCompleted). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** Set on a PV whose claimRef a controller (or the scheduler) wrote (AnnBoundByController). */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** The node the scheduler picked for a claim to be provisioned on (AnnSelectedNode). */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** A class with this provisioner never provisions (NotSupportedProvisioner). */
export const NOT_SUPPORTED_PROVISIONER = 'kubernetes.io/no-provisioner';

export interface PodClaim {
  readonly name: string;
  /** A generic ephemeral volume's claim: made by the ephemeral volume controller, owned by the pod. */
  readonly ephemeral: boolean;
}

/** The claims `pod` mounts, in spec.volumes order. */
export function podClaims(pod: Pod): PodClaim[] {
  const out: PodClaim[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim) out.push({ name: v.persistentVolumeClaim.claimName, ephemeral: false });
    else if (v.ephemeral) out.push({ name: `${pod.metadata?.name ?? ''}-${v.name}`, ephemeral: true });
  }
  return out;
}

export const claimKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** GetPersistentVolumeClaimClass: the beta annotation wins over spec.storageClassName. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] ?? pvc.spec?.storageClassName ?? '';
}

/** GetPersistentVolumeClass. */
export function volumeClass(pv: PersistentVolume): string {
  return pv.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] ?? pv.spec?.storageClassName ?? '';
}

/**
 * isPVCFullyBound: a volume named and the binding finished. Upstream waits for bind-completed; a
 * claim whose phase is already Bound counts too, as the PV controller sets both in one pass.
 */
export function isClaimFullyBound(pvc: PersistentVolumeClaim): boolean {
  if (!pvc.spec?.volumeName) return false;
  return pvc.metadata?.annotations?.[ANN_BIND_COMPLETED] !== undefined || pvc.status?.phase === 'Bound';
}

/**
 * IsDelayBindingMode: whether the claim's class waits for a consumer. A claim without a class, or
 * naming a class that does not exist, binds immediately; a class without a mode is an error.
 */
export function isDelayBinding(
  pvc: PersistentVolumeClaim,
  getClass: (name: string) => StorageClass | undefined,
): boolean {
  const name = claimClass(pvc);
  if (!name) return false;
  const sc = getClass(name);
  if (!sc) return false;
  if (!sc.volumeBindingMode) throw new Error(`VolumeBindingMode not set for StorageClass ${JSON.stringify(name)}`);
  return sc.volumeBindingMode === 'WaitForFirstConsumer';
}

/** IsVolumeBoundToClaim: the PV's claimRef names this claim (and its uid, when the ref has one). */
export function isVolumeBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}
