// core/v1 PersistentVolume (pkg/registry/core/persistentvolume/strategy.go): cluster-scoped; clients
// own the spec, the persistentvolume-binder controller the status (through /status). A new volume
// starts Pending with its phase transition time, as upstream's PrepareForCreate sets it.
import type { PersistentVolume } from '@mkube/shared/api';
import { metaTime as formatTime } from '@mkube/shared/api';
import type { RESTStrategy, StrategyContext, SubresourceStrategy } from '../strategy.js';
import {
  validatePersistentVolume,
  validatePersistentVolumeStatusUpdate,
  validatePersistentVolumeUpdate,
} from './persistentvolumevalidation.js';
import { decodeResourceList } from './resourcenames.js';

const KIND = 'PersistentVolume';

/** SetDefaults_PersistentVolume (Retain, Filesystem) and SetDefaults_HostPathVolumeSource (type ""). */
export function defaultPersistentVolume(pv: PersistentVolume): void {
  pv.spec ??= {};
  pv.spec.persistentVolumeReclaimPolicy ||= 'Retain';
  pv.spec.volumeMode ??= 'Filesystem';
  if (pv.spec.hostPath) pv.spec.hostPath.type ??= '';
  if (pv.spec.capacity) pv.spec.capacity = decodeResourceList(KIND, pv.spec.capacity);
}

/**
 * DropDisabledSpecFields: volumeAttributesClassName waits for the VolumeAttributesClass gate (off in
 * 1.33), unless the stored volume already has one.
 */
function dropDisabledFields(pv: PersistentVolume, old: PersistentVolume | undefined): void {
  if (pv.spec && old?.spec?.volumeAttributesClassName == null) delete pv.spec.volumeAttributesClassName;
}

/** The deprecation upstream warns of (GetWarningsForPersistentVolume). */
function warn(pv: PersistentVolume, ctx: StrategyContext): void {
  if (pv.spec?.persistentVolumeReclaimPolicy === 'Recycle') {
    ctx.addWarning?.(
      'spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the recommended approach is to use dynamic provisioning.',
    );
  }
}

export const persistentVolumeStrategy: RESTStrategy<PersistentVolume> = {
  prepareForCreate(pv, ctx) {
    dropDisabledFields(pv, undefined);
    defaultPersistentVolume(pv);
    pv.status = { phase: 'Pending', lastPhaseTransitionTime: formatTime(ctx.now) };
    warn(pv, ctx);
  },
  prepareForUpdate(pv, old, ctx) {
    dropDisabledFields(pv, old);
    defaultPersistentVolume(pv);
    pv.status = old.status ?? {};
    warn(pv, ctx);
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
