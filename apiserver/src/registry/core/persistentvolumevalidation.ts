// PersistentVolume and PersistentVolumeClaim validation (pkg/apis/core/validation: ValidatePersistentVolume*,
// ValidatePersistentVolumeClaim*), with upstream's field paths and messages for the rules mkube checks.
import type {
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { tryParseQuantity } from '@mkube/shared/quantity';
import { jsonEqual } from '../../util/json.js';

export const ACCESS_MODES: readonly PersistentVolumeAccessMode[] = [
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOnce',
  'ReadWriteOncePod',
];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
/** The PV sources upstream knows; exactly one must be set. */
export const PV_SOURCES = [
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'hostPath',
  'glusterfs',
  'nfs',
  'rbd',
  'quobyte',
  'cephfs',
  'iscsi',
  'cinder',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
] as const;

function validateAccessModes(modes: readonly string[] | undefined, path: string, errs: FieldError[]): void {
  if (!modes?.length) {
    errs.push(fieldErrors.required(path, ''));
    return;
  }
  for (const m of modes) {
    if (!ACCESS_MODES.includes(m as PersistentVolumeAccessMode))
      errs.push(fieldErrors.notSupported(path, m, ACCESS_MODES));
  }
  // ReadWriteOncePod may not be combined with another mode.
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    errs.push(fieldErrors.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  }
}

function validateStorage(list: Record<string, string> | undefined, path: string, errs: FieldError[]): void {
  const storage = list?.storage;
  if (storage === undefined) {
    errs.push(fieldErrors.required(`${path}[storage]`, ''));
    return;
  }
  const q = tryParseQuantity(storage);
  if (!q) errs.push(fieldErrors.invalid(`${path}[storage]`, storage, 'must be a valid quantity'));
  else if (q.num <= 0n) errs.push(fieldErrors.invalid(`${path}[storage]`, storage, 'must be greater than zero'));
}

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const errs: FieldError[] = [];
  const spec = pv.spec ?? {};
  validateAccessModes(spec.accessModes, 'spec.accessModes', errs);
  const capacity = spec.capacity ?? {};
  if (Object.keys(capacity).length !== 1 || capacity.storage === undefined) {
    errs.push(fieldErrors.invalid('spec.capacity', capacity, 'must have exactly one entry for storage'));
  } else validateStorage(capacity, 'spec.capacity', errs);
  const reclaim = spec.persistentVolumeReclaimPolicy;
  if (reclaim && !RECLAIM_POLICIES.includes(reclaim)) {
    errs.push(fieldErrors.notSupported('spec.persistentVolumeReclaimPolicy', reclaim, RECLAIM_POLICIES));
  }
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) {
    errs.push(fieldErrors.notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  }
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.push(fieldErrors.required('spec', 'must specify a volume type'));
  else if (sources.length > 1)
    errs.push(fieldErrors.forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath && !spec.hostPath.path) errs.push(fieldErrors.required('spec.hostPath.path', ''));
  if (spec.local && !spec.local.path) errs.push(fieldErrors.required('spec.local.path', ''));
  if (spec.local && !spec.nodeAffinity) {
    errs.push(fieldErrors.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  return errs;
}

export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = validatePersistentVolume(pv);
  // The volume source is immutable once created (ValidatePersistentVolumeSpec on update).
  for (const s of PV_SOURCES) {
    if (!jsonEqual(pv.spec?.[s], old.spec?.[s])) {
      errs.push(
        fieldErrors.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'),
      );
      break;
    }
  }
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (old.spec?.volumeMode ?? 'Filesystem')) {
    errs.push(fieldErrors.invalid('spec.volumeMode', pv.spec?.volumeMode, 'field is immutable'));
  }
  return errs;
}

export function validatePersistentVolumeStatusUpdate(_pv: PersistentVolume, _old: PersistentVolume): FieldError[] {
  return [];
}

export function validatePersistentVolumeClaimSpec(
  spec: PersistentVolumeClaimSpec | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  validateAccessModes(spec?.accessModes, `${path}.accessModes`, errs);
  validateStorage(spec?.resources?.requests, `${path}.resources.requests`, errs);
  if (spec?.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) {
    errs.push(fieldErrors.notSupported(`${path}.volumeMode`, spec.volumeMode, VOLUME_MODES));
  }
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  return validatePersistentVolumeClaimSpec(pvc.spec, 'spec');
}

export function validatePersistentVolumeClaimUpdate(
  pvc: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
): FieldError[] {
  const errs = validatePersistentVolumeClaim(pvc);
  // Only resources.requests (and volumeAttributesClassName) may change; volumeName may be set once.
  const strip = (s: PersistentVolumeClaimSpec | undefined, keepVolumeName: boolean) => {
    const { resources, volumeAttributesClassName, volumeName, ...rest } = s ?? {};
    return { ...rest, ...(keepVolumeName && volumeName ? { volumeName } : {}) };
  };
  const settingVolumeName = !old.spec?.volumeName && !!pvc.spec?.volumeName;
  if (!jsonEqual(strip(pvc.spec, !settingVolumeName), strip(old.spec, !settingVolumeName))) {
    errs.push(
      fieldErrors.forbidden(
        'spec',
        'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
      ),
    );
  }
  return errs;
}

export function validatePersistentVolumeClaimStatusUpdate(
  _pvc: PersistentVolumeClaim,
  _old: PersistentVolumeClaim,
): FieldError[] {
  return [];
}
