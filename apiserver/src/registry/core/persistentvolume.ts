// core/v1 PersistentVolume (pkg/registry/core/persistentvolume/strategy.go): cluster-scoped; clients
// own the spec, the persistentvolume-binder controller the status (through /status). A new volume
// starts Pending with its phase transition time, as upstream's PrepareForCreate sets it.
import type { PersistentVolume } from '@mkube/shared/api';
import { metaTime as formatTime } from '@mkube/shared/api';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import {
  validatePersistentVolume,
  validatePersistentVolumeStatusUpdate,
  validatePersistentVolumeUpdate,
} from './persistentvolumevalidation.js';

/** SetDefaults_PersistentVolume: Retain, Filesystem. */
export function defaultPersistentVolume(pv: PersistentVolume): void {
  pv.spec ??= {};
  pv.spec.persistentVolumeReclaimPolicy ??= 'Retain';
  pv.spec.volumeMode ??= 'Filesystem';
}

export const persistentVolumeStrategy: RESTStrategy<PersistentVolume> = {
  prepareForCreate(pv, ctx) {
    defaultPersistentVolume(pv);
    pv.status = { phase: 'Pending', lastPhaseTransitionTime: formatTime(ctx.now) };
  },
  prepareForUpdate(pv, old) {
    defaultPersistentVolume(pv);
    pv.status = old.status ?? {};
  },
  validate: (pv) => validatePersistentVolume(pv),
  validateUpdate: (pv, old) => validatePersistentVolumeUpdate(pv, old),
};

export const persistentVolumeStatusStrategy: SubresourceStrategy<PersistentVolume> = {
  prepareForUpdate(pv, old, ctx) {
    pv.spec = old.spec;
    pv.status ??= {};
    // Upstream stamps lastPhaseTransitionTime when the phase moves and the client did not.
    if (
      pv.status.phase !== old.status?.phase &&
      pv.status.lastPhaseTransitionTime === old.status?.lastPhaseTransitionTime
    ) {
      pv.status.lastPhaseTransitionTime = formatTime(ctx.now);
    }
  },
  validateUpdate: (pv, old) => validatePersistentVolumeStatusUpdate(pv, old),
};
