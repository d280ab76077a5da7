// When a claim binds (component-helpers storage/volume pv_helpers.go): a WaitForFirstConsumer class
// leaves the choice of volume to the scheduler, which signals its node choice on the claim.
import { ANN_SELECTED_NODE, type PersistentVolumeClaim, type StorageClass } from '../api/index.js';
import { claimClass } from './class.js';

/**
 * IsDelayBindingMode: a claim without a class, or naming one that does not exist (yet), binds
 * immediately; a class without a mode is an error, since defaulting should have set one.
 */
export function isDelayBindingMode(
  claim: PersistentVolumeClaim,
  getClass: (name: string) => StorageClass | undefined,
): boolean {
  const name = claimClass(claim);
  if (name === '') return false;
  const cls = getClass(name);
  if (!cls) return false;
  if (cls.volumeBindingMode === undefined) throw new Error(`VolumeBindingMode not set for StorageClass "${name}"`);
  return cls.volumeBindingMode === 'WaitForFirstConsumer';
}

/** IsDelayBindingProvisioning: the scheduler has chosen a node for the claim. */
export const isDelayBindingProvisioning = (claim: PersistentVolumeClaim): boolean =>
  claim.metadata?.annotations?.[ANN_SELECTED_NODE] !== undefined;
