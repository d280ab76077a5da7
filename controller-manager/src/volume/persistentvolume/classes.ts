// What a claim's StorageClass says to the binder (storagehelpers.IsDelayBindingMode,
// util.GetDefaultClass): whether binding waits for the scheduler, and which class is the default.
import type { PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import { BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION, IS_DEFAULT_STORAGE_CLASS_ANNOTATION } from '@mkube/shared/api';
import type { ReadonlyStore } from '@mkube/shared/client';
import { claimClass } from '../helpers.js';
import { ANN_SELECTED_NODE } from '../resources.js';

/** IsDelayBindingMode: the claim's class exists and binds WaitForFirstConsumer; a missing class does not delay. */
export function isDelayBindingMode(claim: PersistentVolumeClaim, classes: ReadonlyStore<StorageClass>): boolean {
  const name = claimClass(claim);
  if (name === '') return false;
  const cls = classes.get(name);
  if (!cls) return false;
  if (cls.volumeBindingMode === undefined) throw new Error(`VolumeBindingMode not set for StorageClass "${name}"`);
  return cls.volumeBindingMode === 'WaitForFirstConsumer';
}

/** IsDelayBindingProvisioning: the scheduler has chosen a node for the claim. */
export const isDelayBindingProvisioning = (claim: PersistentVolumeClaim): boolean =>
  claim.metadata?.annotations?.[ANN_SELECTED_NODE] !== undefined;

const isDefault = (c: StorageClass) =>
  c.metadata?.annotations?.[IS_DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true' ||
  c.metadata?.annotations?.[BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true';

/** GetDefaultClass: of several defaults the newest, then the first by name, as the admission plugin picks. */
export function defaultClass(classes: ReadonlyStore<StorageClass>): StorageClass | undefined {
  const defaults = classes.list().filter(isDefault);
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    if (ta !== tb) return tb - ta;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
  return defaults[0];
}
