// The volume controllers' own helpers (pv_controller.go, the protection controllers): claim keys and
// references, whether a volume a claim names can be its volume, and when a finalizer is due. What
// the scheduler shares with them is in @mkube/shared/volume.
import type { KubeObject, ObjectReference, PersistentVolume, PersistentVolumeClaim } from '@mkube/shared/api';
import {
  checkAccessModes,
  claimClass,
  requestedStorage,
  volumeCapacity,
  volumeClass,
  volumeModeMismatch,
} from '@mkube/shared/volume';

export const hasAnnotation = (o: KubeObject, key: string): boolean => o.metadata?.annotations?.[key] !== undefined;

export const claimKey = (c: KubeObject): string => `${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;
export const claimRefKey = (r: ObjectReference): string => `${r.namespace ?? ''}/${r.name ?? ''}`;

/** reference.GetReference of a claim, as the binder and the provisioners write it into claimRef. */
export function claimReference(c: PersistentVolumeClaim): ObjectReference {
  return {
    kind: 'PersistentVolumeClaim',
    namespace: c.metadata?.namespace,
    name: c.metadata?.name,
    uid: c.metadata?.uid,
    apiVersion: 'v1',
    resourceVersion: c.metadata?.resourceVersion,
  };
}

/** checkVolumeSatisfyClaim: why a volume the claim names cannot be its volume, or undefined. */
export function checkVolumeSatisfyClaim(v: PersistentVolume, c: PersistentVolumeClaim): string | undefined {
  if (v.metadata?.deletionTimestamp) return `the volume is marked for deletion "${v.metadata.name}"`;
  if (volumeCapacity(v).compare(requestedStorage(c)) < 0) return 'requested PV is too small';
  if (volumeClass(v) !== claimClass(c)) return 'storageClassName does not match';
  // VolumeAttributesClass (beta, off by default in 1.33): neither side may name one.
  if (c.spec?.volumeAttributesClassName || v.spec?.volumeAttributesClassName)
    return 'volumeAttributesClassName is not supported when the feature-gate VolumeAttributesClass is disabled';
  if (volumeModeMismatch(c, v)) return 'incompatible volumeMode';
  if (!checkAccessModes(c, v)) return 'incompatible accessMode';
  return undefined;
}

/** IsDeletionCandidate / NeedToAddFinalizer of the protection controllers. */
export const isDeletionCandidate = (o: KubeObject, finalizer: string): boolean =>
  !!o.metadata?.deletionTimestamp && (o.metadata.finalizers ?? []).includes(finalizer);
export const needToAddFinalizer = (o: KubeObject, finalizer: string): boolean =>
  !o.metadata?.deletionTimestamp && !(o.metadata?.finalizers ?? []).includes(finalizer);
