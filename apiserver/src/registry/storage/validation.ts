// StorageClass validation (pkg/apis/storage/validation ValidateStorageClass/Update), with upstream's
// field paths and messages. The name is checked by the generic registry (a DNS subdomain).
import type { StorageClass, TopologySelectorTerm } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isQualifiedName } from '@mkube/shared/selectors';
import { jsonEqual } from '../../util/json.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
/** maxProvisionerParameterSize (256 KiB over keys and values) and maxProvisionerParameterLen. */
const MAX_PARAMETERS_SIZE = 256 * 1024;
const MAX_PARAMETERS = 512;

function validateProvisioner(provisioner: string | undefined): FieldError[] {
  if (!provisioner) return [fieldErrors.required('provisioner', '')];
  return isQualifiedName(provisioner.toLowerCase()).map((m) => fieldErrors.invalid('provisioner', provisioner, m));
}

function validateParameters(params: Readonly<Record<string, string>> | undefined): FieldError[] {
  const entries = Object.entries(params ?? {});
  if (entries.length > MAX_PARAMETERS) return [fieldErrors.tooLong('parameters', MAX_PARAMETERS)];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of entries) {
    if (k.length < 1) errs.push(fieldErrors.invalid('parameters', k, 'field can not be empty.'));
    size += k.length + String(v ?? '').length;
  }
  if (size > MAX_PARAMETERS_SIZE) errs.push(fieldErrors.tooLong('parameters', MAX_PARAMETERS_SIZE));
  return errs;
}

/** ValidateTopologySelectorTerm per term, and no two terms alike. */
function validateAllowedTopologies(terms: readonly TopologySelectorTerm[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const seen: Record<string, string[]>[] = [];
  (terms ?? []).forEach((term, i) => {
    const at = `allowedTopologies[${i}].matchLabelExpressions`;
    const exprs: Record<string, string[]> = {};
    (term?.matchLabelExpressions ?? []).forEach((rq, j) => {
      const values = rq.values ?? [];
      if (values.length === 0) errs.push(fieldErrors.required(`${at}[${j}].values`, ''));
      const set = new Set<string>();
      values.forEach((v, k) => {
        if (set.has(v)) errs.push(fieldErrors.duplicate(`${at}[${j}].values[${k}]`, v));
        set.add(v);
      });
      for (const m of isQualifiedName(rq.key ?? '')) errs.push(fieldErrors.invalid(`${at}[${j}].key`, rq.key ?? '', m));
      if (rq.key in exprs) errs.push(fieldErrors.duplicate(`${at}[${j}].key`, rq.key));
      exprs[rq.key] = [...set].sort();
    });
    if (seen.some((t) => jsonEqual(t, exprs))) errs.push(fieldErrors.duplicate(at, ''));
    seen.push(exprs);
  });
  return errs;
}

export function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs = [...validateProvisioner(sc.provisioner), ...validateParameters(sc.parameters)];
  if (sc.reclaimPolicy && !RECLAIM_POLICIES.includes(sc.reclaimPolicy)) {
    errs.push(fieldErrors.notSupported('reclaimPolicy', sc.reclaimPolicy, RECLAIM_POLICIES));
  }
  if (!sc.volumeBindingMode) errs.push(fieldErrors.required('volumeBindingMode', ''));
  else if (!BINDING_MODES.includes(sc.volumeBindingMode)) {
    errs.push(fieldErrors.notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  }
  errs.push(...validateAllowedTopologies(sc.allowedTopologies));
  return errs;
}

export function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs = validateStorageClass(sc);
  if (!jsonEqual(sc.parameters ?? null, old.parameters ?? null)) {
    errs.push(fieldErrors.forbidden('parameters', 'updates to parameters are forbidden.'));
  }
  if (sc.provisioner !== old.provisioner) {
    errs.push(fieldErrors.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  }
  if (sc.reclaimPolicy !== old.reclaimPolicy) {
    errs.push(fieldErrors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  }
  if (sc.volumeBindingMode !== old.volumeBindingMode) {
    errs.push(fieldErrors.invalid('volumeBindingMode', sc.volumeBindingMode ?? null, FIELD_IMMUTABLE_ERROR_MSG));
  }
  return errs;
}
