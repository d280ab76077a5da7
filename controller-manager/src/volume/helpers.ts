// The storage helpers the binder, the scheduler and the provisioners agree on
// (k8s.io/component-helpers/storage/volume pv_helpers.go, helpers.go): which class a claim or volume
// is in, whether a volume is bound to a claim, and whether it can satisfy it.
import type {
  KubeObject,
  ObjectReference,
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
} from '@mkube/shared/api';
import { Quantity } from '@mkube/shared/quantity';
import { ANN_BETA_STORAGE_CLASS } from './resources.js';

export const hasAnnotation = (o: KubeObject, key: string): boolean => o.metadata?.annotations?.[key] !== undefined;

/** GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName; "" for none. */
export function claimClass(c: PersistentVolumeClaim): string {
  const ann = c.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (ann !== undefined) return ann;
  return c.spec?.storageClassName ?? '';
}

/** PersistentVolumeClaimHasClass: whether the claim names a class at all ("" included). */
export const claimHasClass = (c: PersistentVolumeClaim): boolean =>
  hasAnnotation(c, ANN_BETA_STORAGE_CLASS) || c.spec?.storageClassName !== undefined;

/** GetPersistentVolumeClass. */
export function volumeClass(v: PersistentVolume): string {
  const ann = v.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (ann !== undefined) return ann;
  return v.spec?.storageClassName ?? '';
}

export const claimKey = (c: KubeObject): string => `${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;
export const claimRefKey = (r: ObjectReference): string => `${r.namespace ?? ''}/${r.name ?? ''}`;

/** IsVolumeBoundToClaim: the claimRef names the claim, and its UID (when set) is the claim's. */
export function isVolumeBoundToClaim(v: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const ref = v.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== c.metadata?.name || ref.namespace !== c.metadata?.namespace) return false;
  return !ref.uid || ref.uid === c.metadata?.uid;
}

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

/** A storage quantity; a missing or malformed one counts as zero, as an empty resource.Quantity. */
export function storageOf(list: Record<string, unknown> | undefined): Quantity {
  const raw = list?.storage;
  if (typeof raw !== 'string' && typeof raw !== 'number') return new Quantity(0n);
  try {
    return Quantity.parse(String(raw));
  } catch {
    return new Quantity(0n);
  }
}

export const requestedStorage = (c: PersistentVolumeClaim): Quantity =>
  storageOf(c.spec?.resources?.requests as Record<string, unknown> | undefined);
export const volumeCapacity = (v: PersistentVolume): Quantity =>
  storageOf(v.spec?.capacity as Record<string, unknown> | undefined);

/** CheckVolumeModeMismatches: both default to Filesystem. */
export const volumeModeMismatch = (c: PersistentVolumeClaim, v: PersistentVolume): boolean =>
  (c.spec?.volumeMode ?? 'Filesystem') !== (v.spec?.volumeMode ?? 'Filesystem');

/** CheckAccessModes: the volume offers every mode the claim asks for. */
export function checkAccessModes(c: PersistentVolumeClaim, v: PersistentVolume): boolean {
  const offered = new Set<PersistentVolumeAccessMode>(v.spec?.accessModes ?? []);
  return (c.spec?.accessModes ?? []).every((m) => offered.has(m));
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
