// PersistentVolumeClaim validation (pkg/apis/core/validation ValidatePersistentVolumeClaim*), with
// upstream's field paths and messages. 1.33's gates: RecoverVolumeExpansionFailure on (a request may
// shrink back down to, not below, status.capacity), VolumeAttributesClass off.
import {
  ANN_BETA_STORAGE_CLASS,
  type PersistentVolumeClaim,
  type PersistentVolumeClaimSpec,
  type TypedLocalObjectReference,
  type TypedObjectReference,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { tryParseQuantity } from '@mkube/shared/quantity';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '@mkube/shared/selectors';
import { jsonClone } from '../../util/json.js';
import { deepEqual, FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';
import { hasInvalidLabelValue, validateLabelSelector } from '../rbac/selector.js';
import { goSpecDiff, validatePositiveQuantity } from './persistentvolumeshared.js';
import { VOLUME_MODES, validateAccessModeValues, validateClassName } from './persistentvolumevalidation.js';
import { quantityString, validateResourceQuantityValue } from './resourcenames.js';

const RESIZE_STATUSES = [
  'ControllerResizeInProgress',
  'ControllerResizeInfeasible',
  'NodeResizeInProgress',
  'NodeResizeInfeasible',
  'NodeResizePending',
];

export interface ClaimValidationOptions {
  readonly allowInvalidLabelValueInSelector: boolean;
  readonly allowInvalidAPIGroupInDataSourceOrRef: boolean;
}

export function validationOptionsForClaim(old: PersistentVolumeClaim | undefined): ClaimValidationOptions {
  const spec = old?.spec;
  return {
    allowInvalidLabelValueInSelector: !!spec?.selector && hasInvalidLabelValue(spec.selector),
    allowInvalidAPIGroupInDataSourceOrRef: !!(spec?.dataSource?.apiGroup || spec?.dataSourceRef?.apiGroup),
  };
}

function validateDataSource(
  ds: TypedLocalObjectReference | TypedObjectReference,
  allowInvalidGroup: boolean,
  at: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!ds.name) errs.push(fieldErrors.required(`${at}.name`, ''));
  if (!ds.kind) errs.push(fieldErrors.required(`${at}.kind`, ''));
  const group = ds.apiGroup ?? '';
  if (!group && ds.kind !== 'PersistentVolumeClaim') {
    errs.push(
      fieldErrors.invalid(at, ds.kind ?? '', "must be 'PersistentVolumeClaim' when referencing the default apiGroup"),
    );
  }
  if (group && !allowInvalidGroup) {
    for (const m of isDNS1123Subdomain(group)) errs.push(fieldErrors.invalid(`${at}.apiGroup`, group, m));
  }
  const ns = (ds as TypedObjectReference).namespace;
  if (ns) for (const m of isDNS1123Label(ns)) errs.push(fieldErrors.invalid(`${at}.namespace`, ns, m));
  return errs;
}

/** field.Invalid(fldPath, fldPath.Child("dataSource"), …): Go prints the *field.Path struct. */
const dataSourcePathValue = () => new GoSyntax('field.Path{name:"dataSource", index:"", parent:(*field.Path)(…)}');

export function validatePersistentVolumeClaimSpec(
  spec: PersistentVolumeClaimSpec | undefined,
  at: string,
  opts: ClaimValidationOptions,
): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  const modes = s.accessModes ?? [];
  if (modes.length === 0) errs.push(fieldErrors.required(`${at}.accessModes`, 'at least 1 access mode is required'));
  if (s.selector) {
    errs.push(
      ...validateLabelSelector(
        s.selector,
        { allowInvalidLabelValueInSelector: opts.allowInvalidLabelValueInSelector },
        `${at}.selector`,
      ),
    );
  }
  errs.push(...validateAccessModeValues(modes, `${at}.accessModes`));
  const requests = s.resources?.requests;
  const storagePath = `${at}.resources[storage]`;
  if (!requests || !('storage' in requests)) errs.push(fieldErrors.required(storagePath, ''));
  else {
    const positive = validatePositiveQuantity(requests.storage, storagePath).filter(
      (e) => e.detail === 'must be greater than zero',
    );
    errs.push(
      ...(positive.length ? positive : validateResourceQuantityValue('storage', requests.storage, storagePath)),
    );
  }
  if (s.storageClassName) errs.push(...validateClassName(s.storageClassName, `${at}.storageClassName`));
  if (s.volumeMode && !VOLUME_MODES.includes(s.volumeMode)) {
    errs.push(fieldErrors.notSupported(`${at}.volumeMode`, s.volumeMode, VOLUME_MODES));
  }
  const allowGroup = opts.allowInvalidAPIGroupInDataSourceOrRef;
  if (s.dataSource) errs.push(...validateDataSource(s.dataSource, allowGroup, `${at}.dataSource`));
  if (s.dataSourceRef) errs.push(...validateDataSource(s.dataSourceRef, allowGroup, `${at}.dataSourceRef`));
  if (s.dataSourceRef?.namespace) {
    if (s.dataSource) {
      errs.push(
        fieldErrors.invalid(
          at,
          dataSourcePathValue(),
          'may not be specified when dataSourceRef.namespace is specified',
        ),
      );
    }
  } else if (s.dataSource && s.dataSourceRef) {
    const a = s.dataSource;
    const b = s.dataSourceRef;
    if ((a.apiGroup ?? null) !== (b.apiGroup ?? null) || a.kind !== b.kind || a.name !== b.name) {
      errs.push(fieldErrors.invalid(at, dataSourcePathValue(), 'must match dataSourceRef'));
    }
  }
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim, opts?: ClaimValidationOptions): FieldError[] {
  return validatePersistentVolumeClaimSpec(pvc.spec, 'spec', opts ?? validationOptionsForClaim(undefined));
}

type Annotations = Readonly<Record<string, string>> | undefined;
const has = (a: Annotations, k: string) => !!a && k in a;
const isNil = (v: unknown) => v === undefined || v === null;

/** The beta annotation's class moving into spec.storageClassName (validateStorageClassUpgradeFromAnnotation). */
function upgradeFromAnnotation(oldA: Annotations, newA: Annotations, oldSc?: string, newSc?: string): boolean {
  const oldClass = oldA?.[ANN_BETA_STORAGE_CLASS];
  return (
    has(oldA, ANN_BETA_STORAGE_CLASS) &&
    isNil(oldSc) &&
    !isNil(newSc) &&
    newSc === oldClass &&
    (!has(newA, ANN_BETA_STORAGE_CLASS) || newA?.[ANN_BETA_STORAGE_CLASS] === oldClass)
  );
}

const storageOf = (spec: PersistentVolumeClaimSpec | undefined) =>
  tryParseQuantity(quantityString(spec?.resources?.requests?.storage ?? '0'));

export function validatePersistentVolumeClaimUpdate(
  pvc: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
): FieldError[] {
  const errs = validatePersistentVolumeClaim(pvc, validationOptionsForClaim(old));
  const newSpec = jsonClone(pvc.spec ?? {});
  const oldSpec = jsonClone(old.spec ?? {});
  // The binder sets volumeName once.
  if (!old.spec?.volumeName) {
    if (pvc.spec?.volumeName === undefined) delete oldSpec.volumeName;
    else oldSpec.volumeName = pvc.spec.volumeName;
  }
  const oldA = old.metadata?.annotations;
  const newA = pvc.metadata?.annotations;
  if (upgradeFromAnnotation(oldA, newA, old.spec?.storageClassName, pvc.spec?.storageClassName)) {
    delete newSpec.storageClassName;
  } else {
    const newBeta = newA?.[ANN_BETA_STORAGE_CLASS] ?? '';
    if (newBeta !== (oldA?.[ANN_BETA_STORAGE_CLASS] ?? '')) {
      errs.push(
        fieldErrors.invalid(`metadata.annotations.${ANN_BETA_STORAGE_CLASS}`, newBeta, FIELD_IMMUTABLE_ERROR_MSG),
      );
    }
    // A claim that named no class may be given one (DefaultStorageClass's retroactive assignment).
    const newSc = pvc.spec?.storageClassName;
    if (
      !isNil(newSc) &&
      isNil(old.spec?.storageClassName) &&
      (!has(oldA, ANN_BETA_STORAGE_CLASS) || newSc === oldA?.[ANN_BETA_STORAGE_CLASS])
    ) {
      delete newSpec.storageClassName;
    }
  }
  const bound = pvc.status?.phase === 'Bound';
  if (bound && newSpec.resources?.requests) {
    const oldStorage = old.spec?.resources?.requests?.storage;
    if (oldStorage === undefined) delete newSpec.resources.requests.storage;
    else newSpec.resources.requests.storage = oldStorage;
  }
  if (bound && !isNil(newSpec.volumeAttributesClassName)) {
    if (isNil(oldSpec.volumeAttributesClassName)) delete newSpec.volumeAttributesClassName;
    else newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!deepEqual(newSpec, oldSpec)) {
    errs.push(
      fieldErrors.forbidden(
        'spec',
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${goSpecDiff(
          'core.PersistentVolumeClaimSpec',
          oldSpec as Record<string, unknown>,
          newSpec as Record<string, unknown>,
        )}`,
      ),
    );
  }
  const newSize = storageOf(pvc.spec);
  const oldSize = storageOf(old.spec);
  const statusSize = tryParseQuantity(quantityString(old.status?.capacity?.storage ?? '0'));
  // Shrinking is how a user backs out of an expansion that failed: down to what the volume has, not below.
  if (newSize && oldSize && statusSize && newSize.compare(oldSize) < 0 && newSize.compare(statusSize) <= 0) {
    errs.push(fieldErrors.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
  }
  if ((pvc.spec?.volumeMode ?? null) !== (old.spec?.volumeMode ?? null)) {
    errs.push(fieldErrors.invalid('volumeMode', pvc.spec?.volumeMode ?? null, FIELD_IMMUTABLE_ERROR_MSG));
  }
  if ((pvc.spec?.volumeAttributesClassName ?? null) !== (old.spec?.volumeAttributesClassName ?? null)) {
    errs.push(
      fieldErrors.forbidden(
        'spec.volumeAttributesClassName',
        'update is forbidden when the VolumeAttributesClass feature gate is disabled',
      ),
    );
  }
  return errs;
}

/** validatePersistentVolumeClaimResourceKey: a qualified name; of the native names only storage. */
function validateResourceKey(key: string, at: string): FieldError[] {
  const errs = isQualifiedName(key).map((m) => fieldErrors.invalid(at, key, m));
  if (errs.length) return errs;
  const native = !key.includes('/') || key.includes('kubernetes.io/');
  return native && key !== 'storage' ? [fieldErrors.notSupported(at, key, ['storage'])] : [];
}

function validateBasicResource(raw: unknown, at: string): FieldError[] {
  const q = tryParseQuantity(quantityString(raw));
  return q && q.num < 0n ? [fieldErrors.invalid(at, Math.ceil(q.value()), 'must be a valid resource quantity')] : [];
}

export function validatePersistentVolumeClaimStatusUpdate(
  pvc: PersistentVolumeClaim,
  _old: PersistentVolumeClaim,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!pvc.metadata?.resourceVersion) errs.push(fieldErrors.required('resourceVersion', ''));
  if (!pvc.spec?.accessModes?.length) errs.push(fieldErrors.required('Spec.accessModes', ''));
  for (const [name, q] of Object.entries(pvc.status?.capacity ?? {})) {
    errs.push(...validateBasicResource(q, `status.capacity[${name}]`));
  }
  const statusesAt = 'status.allocatedResourceStatus';
  for (const [k, v] of Object.entries(pvc.status?.allocatedResourceStatuses ?? {})) {
    errs.push(...validateResourceKey(k, statusesAt));
    // Upstream reports the key, not the value, as the unsupported one.
    if (!RESIZE_STATUSES.includes(v)) errs.push(fieldErrors.notSupported(statusesAt, k, RESIZE_STATUSES));
  }
  const allocAt = 'status.allocatedResources';
  for (const [k, q] of Object.entries(pvc.status?.allocatedResources ?? {})) {
    const keyErrs = validateResourceKey(k, allocAt);
    if (keyErrs.length) {
      errs.push(...keyErrs);
      continue;
    }
    const basic = validateBasicResource(q, `${allocAt}[${k}]`);
    errs.push(...(basic.length ? basic : validateResourceQuantityValue('storage', q, `${allocAt}[${k}]`)));
  }
  return errs;
}
