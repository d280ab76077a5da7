// Which StorageClass a claim or volume is in (component-helpers storage/volume helpers.go): the
// beta annotation predates spec.storageClassName and still wins over it.
import { ANN_BETA_STORAGE_CLASS, type PersistentVolume, type PersistentVolumeClaim } from '../api/index.js';

/** GetPersistentVolumeClaimClass: "" for none. */
export const claimClass = (c: PersistentVolumeClaim): string =>
  c.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ?? c.spec?.storageClassName ?? '';

/**
 * PersistentVolumeClaimHasClass: whether the claim names a class at all ("" included). A JSON null
 * field is Go's nil pointer: no class.
 */
export const claimHasClass = (c: PersistentVolumeClaim): boolean =>
  c.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] !== undefined || (c.spec?.storageClassName ?? null) !== null;

/** GetPersistentVolumeClass: "" for none. */
export const volumeClass = (v: PersistentVolume): string =>
  v.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ?? v.spec?.storageClassName ?? '';
