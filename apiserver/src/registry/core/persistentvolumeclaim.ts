// core/v1 PersistentVolumeClaim (pkg/registry/core/persistentvolumeclaim/strategy.go): clients own
// the spec (which is immutable but for a bound claim's requests), the persistentvolume-binder
// controller the status. A new claim starts Pending.
import type { PersistentVolumeClaim } from '@mkube/shared/api';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import {
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimStatusUpdate,
  validatePersistentVolumeClaimUpdate,
} from './persistentvolumevalidation.js';

/** SetDefaults_PersistentVolumeClaim(Spec): Filesystem. */
export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  pvc.spec ??= {};
  pvc.spec.volumeMode ??= 'Filesystem';
}

export const persistentVolumeClaimStrategy: RESTStrategy<PersistentVolumeClaim> = {
  prepareForCreate(pvc) {
    defaultPersistentVolumeClaim(pvc);
    pvc.status = { phase: 'Pending' };
  },
  prepareForUpdate(pvc, old) {
    defaultPersistentVolumeClaim(pvc);
    pvc.status = old.status ?? {};
  },
  validate: (pvc) => validatePersistentVolumeClaim(pvc),
  validateUpdate: (pvc, old) => validatePersistentVolumeClaimUpdate(pvc, old),
};

export const persistentVolumeClaimStatusStrategy: SubresourceStrategy<PersistentVolumeClaim> = {
  prepareForUpdate(pvc, old) {
    pvc.spec = old.spec;
    pvc.status ??= {};
  },
  validateUpdate: (pvc, old) => validatePersistentVolumeClaimStatusUpdate(pvc, old),
};
