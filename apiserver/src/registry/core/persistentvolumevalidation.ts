// PersistentVolume validation (pkg/apis/core/validation ValidatePersistentVolume*, and
// pkg/volume/validation's mount-option check), with upstream's field paths and messages. The
// VolumeAttributesClass gate is off in 1.33, so volumeAttributesClassName never reaches these checks
// (the strategy drops it) unless an object stored it before.
import type { PersistentVolume, PersistentVolumeAccessMode, ResourceList } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { goQuantity } from '@mkube/shared/quantity';
import { isDNS1123Subdomain } from '@mkube/shared/selectors';
import { jsonEqual } from '../../util/json.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';
import { hasInvalidLabelValueInAffinity, validateVolumeNodeAffinity } from './persistentvolumenodeaffinity.js';
import { goSpecDiff, validatePositiveQuantity } from './persistentvolumeshared.js';
import {
  PV_SOURCES,
  sourcesOf,
  validateMountOptionAnnotation,
  validatePersistentVolumeSource,
} from './persistentvolumesource.js';
import { quantityString } from './resourcenames.js';

export const ACCESS_MODES: readonly PersistentVolumeAccessMode[] = [
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOnce',
  'ReadWriteOncePod',
];
export const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

/** The access-mode rules PVs and PVCs share: known modes, ReadWriteOncePod alone. */
export function validateAccessModeValues(modes: readonly string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const m of modes) {
    const known = ACCESS_MODES.includes(m as PersistentVolumeAccessMode);
    if (!known) errs.push(fieldErrors.notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (known) other = true;
  }
  if (rwop && other) errs.push(fieldErrors.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

/** ValidateClassName: a DNS subdomain. */
export function validateClassName(name: string, path: string): FieldError[] {
  return isDNS1123Subdomain(name).map((m) => fieldErrors.invalid(path, name, m));
}

function validateCapacity(capacity: ResourceList | undefined, path: string): FieldError[] {
  const entries = Object.entries(capacity ?? {});
  const errs: FieldError[] = [];
  if (entries.length === 0) errs.push(fieldErrors.required(path, ''));
  if (!capacity || !('storage' in capacity) || entries.length > 1) {
    // Go prints the map it was given (%#v of a core.ResourceList).
    errs.push(fieldErrors.notSupported(path, goResourceList(capacity), ['storage']));
  }
  for (const [name, q] of entries) errs.push(...validatePositiveQuantity(q, `${path}[${name}]`));
  return errs;
}

/** %#v of a core.ResourceList: keys sorted, each Quantity as Go prints one (nothing cached yet). */
function goResourceList(list: ResourceList | undefined): GoSyntax {
  if (!list) return new GoSyntax('core.ResourceList(nil)');
  const keys = Object.keys(list).sort();
  return new GoSyntax(
    `core.ResourceList{${keys.map((k) => `"${k}":${goQuantity(quantityString(list[k]), false)}`).join(', ')}}`,
  );
}

export interface PersistentVolumeValidationOptions {
  /** The stored volume's affinity already held an invalid label value: keep tolerating it. */
  readonly allowInvalidLabelValueInRequiredNodeAffinity: boolean;
}

export function validationOptionsForPersistentVolume(
  old: PersistentVolume | undefined,
): PersistentVolumeValidationOptions {
  return { allowInvalidLabelValueInRequiredNodeAffinity: hasInvalidLabelValueInAffinity(old?.spec?.nodeAffinity) };
}

export function validatePersistentVolumeSpec(
  pv: PersistentVolume,
  opts: PersistentVolumeValidationOptions,
  at = 'spec',
): FieldError[] {
  const spec = pv.spec ?? {};
  const errs: FieldError[] = [];
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) errs.push(fieldErrors.required(`${at}.accessModes`, ''));
  errs.push(...validateAccessModeValues(modes, `${at}.accessModes`));
  errs.push(...validateCapacity(spec.capacity, `${at}.capacity`));
  const reclaim = spec.persistentVolumeReclaimPolicy;
  if (reclaim && !RECLAIM_POLICIES.includes(reclaim)) {
    errs.push(fieldErrors.notSupported(`${at}.persistentVolumeReclaimPolicy`, reclaim, RECLAIM_POLICIES));
  }
  const [affinitySet, affinityErrs] = validateVolumeNodeAffinity(
    spec.nodeAffinity,
    opts.allowInvalidLabelValueInRequiredNodeAffinity,
    `${at}.nodeAffinity`,
  );
  errs.push(...affinityErrs);
  errs.push(...validatePersistentVolumeSource(spec, at));
  // Upstream asks for the affinity inside the local source's branch: only when local is the one counted.
  if (sourcesOf(spec)[0] === 'local' && !affinitySet) {
    errs.push(fieldErrors.required(`${at}.nodeAffinity`, 'Local volume requires node affinity'));
  }
  const hostPath = spec.hostPath?.path;
  if (hostPath !== undefined && cleanPath(hostPath) === '/' && reclaim === 'Recycle') {
    errs.push(
      fieldErrors.forbidden(`${at}.persistentVolumeReclaimPolicy`, "may not be 'recycle' for a hostPath mount of '/'"),
    );
  }
  if (spec.storageClassName) errs.push(...validateClassName(spec.storageClassName, `${at}.storageClassName`));
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) {
    errs.push(fieldErrors.notSupported(`${at}.volumeMode`, spec.volumeMode, VOLUME_MODES));
  }
  if (spec.volumeAttributesClassName !== undefined && spec.volumeAttributesClassName !== null) {
    if (spec.volumeAttributesClassName === '') {
      errs.push(fieldErrors.required(`${at}.volumeAttributesClassName`, 'an empty string is disallowed'));
    } else errs.push(...validateClassName(spec.volumeAttributesClassName, `${at}.volumeAttributesClassName`));
    if (!spec.csi) {
      errs.push(fieldErrors.required(`${at}.csi`, 'has to be specified when using volumeAttributesClassName'));
    }
  }
  return errs;
}

/** Go's path.Clean, as far as deciding whether a path is the root. */
function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return p.startsWith('/') ? `/${parts.join('/')}` : parts.join('/') || '.';
}

export function validatePersistentVolume(pv: PersistentVolume, opts?: PersistentVolumeValidationOptions): FieldError[] {
  return [
    ...validatePersistentVolumeSpec(pv, opts ?? validationOptionsForPersistentVolume(undefined)),
    ...validateMountOptionAnnotation(pv.spec ?? {}, pv.metadata?.annotations),
  ];
}

const sourceOf = (pv: PersistentVolume) =>
  Object.fromEntries(PV_SOURCES.filter((s) => pv.spec?.[s] !== undefined).map((s) => [s, pv.spec?.[s]]));

export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = validatePersistentVolume(pv, validationOptionsForPersistentVolume(old));
  const newSource = sourceOf(pv);
  const oldSource = sourceOf(old);
  // A CSI volume may gain a controllerExpandSecretRef it did not have (for expanding it later).
  const oldCsi = old.spec?.csi;
  const newCsi = pv.spec?.csi;
  if (oldCsi && !oldCsi.controllerExpandSecretRef && newCsi?.controllerExpandSecretRef) {
    const { controllerExpandSecretRef: _, ...rest } = newCsi;
    newSource.csi = rest;
  }
  if (!jsonEqual(newSource, oldSource)) {
    errs.push(
      fieldErrors.forbidden(
        'spec.persistentvolumesource',
        `spec.persistentvolumesource is immutable after creation\n${goSpecDiff('core.PersistentVolumeSource', oldSource, newSource)}`,
      ),
    );
  }
  if ((pv.spec?.volumeMode ?? null) !== (old.spec?.volumeMode ?? null)) {
    errs.push(fieldErrors.invalid('volumeMode', pv.spec?.volumeMode ?? null, FIELD_IMMUTABLE_ERROR_MSG));
  }
  // An affinity may be added to a volume that had none; once set it stays as it is.
  if (old.spec?.nodeAffinity && !jsonEqual(pv.spec?.nodeAffinity, old.spec.nodeAffinity)) {
    errs.push(
      fieldErrors.invalid(
        'nodeAffinity',
        new GoSyntax('core.VolumeNodeAffinity{Required:(*core.NodeSelector)(…)}'),
        FIELD_IMMUTABLE_ERROR_MSG,
      ),
    );
  }
  if ((pv.spec?.volumeAttributesClassName ?? null) !== (old.spec?.volumeAttributesClassName ?? null)) {
    errs.push(
      fieldErrors.forbidden(
        'spec.volumeAttributesClassName',
        'update is forbidden when the VolumeAttributesClass feature gate is disabled',
      ),
    );
  }
  return errs;
}

/** Only the metadata rules the generic registry already applies, and a resourceVersion. */
export function validatePersistentVolumeStatusUpdate(pv: PersistentVolume, _old: PersistentVolume): FieldError[] {
  return pv.metadata?.resourceVersion ? [] : [fieldErrors.required('resourceVersion', '')];
}
