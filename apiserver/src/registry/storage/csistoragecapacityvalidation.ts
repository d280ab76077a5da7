// CSIStorageCapacity validation (pkg/apis/storage/validation ValidateCSIStorageCapacity/Update), with
// upstream's paths and messages: the class name is a DNS subdomain, the topology a valid selector (an
// update tolerates label values the stored one already had wrong), capacity not negative, and the
// inputs of the CSI GetCapacity call (class and topology) fixed once written. The object's name is a
// DNS subdomain, which the generic registry checks.
import type { CSIStorageCapacity, LabelSelector, LabelSelectorRequirement } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { canonicalQuantity, tryParseQuantity } from '@mkube/shared/quantity';
import { semanticEqual } from '../../util/json.js';
import { FIELD_IMMUTABLE_ERROR_MSG, IS_NEGATIVE_ERROR_MSG } from '../../validation/objectmeta.js';
import { validateClassName } from '../core/persistentvolumevalidation.js';
import { quantityString } from '../core/resourcenames.js';
import { hasInvalidLabelValue, validateLabelSelector } from '../rbac/selector.js';

/** ValidateNonnegativeQuantity. */
function validateNonnegative(raw: unknown, path: string): FieldError[] {
  const s = quantityString(raw);
  const q = tryParseQuantity(s);
  return q && q.num < 0n ? [fieldErrors.invalid(path, canonicalQuantity(s), IS_NEGATIVE_ERROR_MSG)] : [];
}

export function validateCSIStorageCapacity(c: CSIStorageCapacity, allowInvalidLabelValue = false): FieldError[] {
  const errs = validateLabelSelector(
    c.nodeTopology,
    { allowInvalidLabelValueInSelector: allowInvalidLabelValue },
    'nodeTopology',
  );
  errs.push(...validateClassName(c.storageClassName ?? '', 'storageClassName'));
  // Upstream checks capacity only; maximumVolumeSize is taken as given.
  if (c.capacity != null) errs.push(...validateNonnegative(c.capacity, 'capacity'));
  return errs;
}

export function validateCSIStorageCapacityUpdate(c: CSIStorageCapacity, old: CSIStorageCapacity): FieldError[] {
  const errs = validateCSIStorageCapacity(c, !!old.nodeTopology && hasInvalidLabelValue(old.nodeTopology));
  if (!semanticEqual(c.nodeTopology ?? null, old.nodeTopology ?? null)) {
    errs.push(fieldErrors.invalid('nodeTopology', selectorSyntax(c.nodeTopology), FIELD_IMMUTABLE_ERROR_MSG));
  }
  if ((c.storageClassName ?? '') !== (old.storageClassName ?? '')) {
    errs.push(fieldErrors.invalid('storageClassName', c.storageClassName ?? '', FIELD_IMMUTABLE_ERROR_MSG));
  }
  return errs;
}

const goStrings = (v: readonly string[] | undefined) =>
  v ? `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}` : '[]string(nil)';

const requirementSyntax = (r: LabelSelectorRequirement) =>
  `v1.LabelSelectorRequirement{Key:${JSON.stringify(r.key ?? '')}, Operator:${JSON.stringify(r.operator ?? '')}, Values:${goStrings(r.values)}}`;

/** `%#v` of the dereferenced *metav1.LabelSelector, as the field error prints the new topology. */
function selectorSyntax(sel: LabelSelector | null | undefined): GoSyntax | null {
  if (!sel) return null;
  const labels = sel.matchLabels
    ? `map[string]string{${Object.keys(sel.matchLabels)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(sel.matchLabels![k])}`)
        .join(', ')}}`
    : 'map[string]string(nil)';
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions.map(requirementSyntax).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoSyntax(`v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${exprs}}`);
}
