// storage.k8s.io/v1 StorageClass (pkg/registry/storage/storageclass/strategy.go): no status;
// parameters, provisioner, reclaimPolicy and volumeBindingMode are fixed at creation.
import type { StorageClass } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { jsonEqual } from '../../util/json.js';
import type { RESTStrategy } from '../strategy.js';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

/** SetDefaults_StorageClass: Delete, Immediate. */
export function defaultStorageClass(sc: StorageClass): void {
  sc.reclaimPolicy ??= 'Delete';
  sc.volumeBindingMode ??= 'Immediate';
}

function validate(sc: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (!sc.provisioner) errs.push(fieldErrors.required('provisioner', ''));
  if (sc.reclaimPolicy && !RECLAIM_POLICIES.includes(sc.reclaimPolicy)) {
    errs.push(fieldErrors.notSupported('reclaimPolicy', sc.reclaimPolicy, RECLAIM_POLICIES));
  }
  if (sc.volumeBindingMode && !BINDING_MODES.includes(sc.volumeBindingMode)) {
    errs.push(fieldErrors.notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  }
  return errs;
}

function validateUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs = validate(sc);
  if (!jsonEqual(sc.parameters ?? {}, old.parameters ?? {})) {
    errs.push(fieldErrors.forbidden('parameters', 'updates to parameters are forbidden.'));
  }
  if (sc.provisioner !== old.provisioner) {
    errs.push(fieldErrors.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  }
  if (sc.reclaimPolicy !== old.reclaimPolicy) {
    errs.push(fieldErrors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  }
  if (sc.volumeBindingMode !== old.volumeBindingMode) {
    errs.push(fieldErrors.forbidden('volumeBindingMode', 'field is immutable'));
  }
  return errs;
}

export const storageClassStrategy: RESTStrategy<StorageClass> = {
  prepareForCreate: defaultStorageClass,
  prepareForUpdate: defaultStorageClass,
  validate,
  validateUpdate,
};
