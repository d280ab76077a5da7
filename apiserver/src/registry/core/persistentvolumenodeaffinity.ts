// ValidateNodeSelector and its requirement checks (pkg/apis/core/validation), for a PersistentVolume's
// spec.nodeAffinity.required: the nodes a local (or any topology-bound) volume can be reached from.
import type { NodeSelector, NodeSelectorRequirement, VolumeNodeAffinity } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '@mkube/shared/selectors';

function validateRequirement(rq: NodeSelectorRequirement, allowInvalidValues: boolean, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const values = rq.values ?? [];
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) {
        errs.push(fieldErrors.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      }
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) {
        errs.push(
          fieldErrors.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        );
      }
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) {
        errs.push(
          fieldErrors.required(`${at}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"),
        );
      }
      break;
    default:
      errs.push(fieldErrors.invalid(`${at}.operator`, rq.operator, 'not a valid selector operator'));
  }
  for (const m of isQualifiedName(rq.key ?? '')) errs.push(fieldErrors.invalid(`${at}.key`, rq.key ?? '', m));
  if (!allowInvalidValues) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(v)) errs.push(fieldErrors.invalid(`${at}.values[${i}]`, v, m));
    });
  }
  return errs;
}

/** Nodes can be selected by one field only, their name. */
function validateFieldRequirement(rq: NodeSelectorRequirement, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if ((rq.values ?? []).length !== 1) {
      errs.push(
        fieldErrors.required(
          `${at}.values`,
          "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        ),
      );
    }
  } else {
    errs.push(fieldErrors.invalid(`${at}.operator`, rq.operator, 'not a valid selector operator'));
  }
  if (rq.key !== 'metadata.name') {
    errs.push(fieldErrors.invalid(`${at}.key`, rq.key, 'not a valid field selector key'));
  } else {
    (rq.values ?? []).forEach((v, i) => {
      for (const m of isDNS1123Subdomain(v)) errs.push(fieldErrors.invalid(`${at}.values[${i}]`, v, m));
    });
  }
  return errs;
}

export function validateNodeSelector(sel: NodeSelector, allowInvalidValues: boolean, at: string): FieldError[] {
  const terms = sel.nodeSelectorTerms ?? [];
  const termsAt = `${at}.nodeSelectorTerms`;
  if (terms.length === 0) return [fieldErrors.required(termsAt, 'must have at least one node selector term')];
  const errs: FieldError[] = [];
  terms.forEach((term, i) => {
    (term?.matchExpressions ?? []).forEach((rq, j) => {
      errs.push(...validateRequirement(rq, allowInvalidValues, `${termsAt}[${i}].matchExpressions[${j}]`));
    });
    (term?.matchFields ?? []).forEach((rq, j) => {
      errs.push(...validateFieldRequirement(rq, `${termsAt}[${i}].matchFields[${j}]`));
    });
  });
  return errs;
}

/** validateVolumeNodeAffinity: [whether it is set, its problems]. */
export function validateVolumeNodeAffinity(
  affinity: VolumeNodeAffinity | undefined | null,
  allowInvalidValues: boolean,
  at: string,
): [boolean, FieldError[]] {
  if (!affinity) return [false, []];
  if (!affinity.required)
    return [true, [fieldErrors.required(`${at}.required`, 'must specify required node constraints')]];
  return [true, validateNodeSelector(affinity.required, allowInvalidValues, `${at}.required`)];
}

/** Whether a stored selector already holds a value label-value validation refuses (updates tolerate it). */
export function hasInvalidLabelValueInAffinity(affinity: VolumeNodeAffinity | undefined | null): boolean {
  return (affinity?.required?.nodeSelectorTerms ?? []).some((t) =>
    (t?.matchExpressions ?? []).some((rq) => (rq.values ?? []).some((v) => isValidLabelValue(v).length > 0)),
  );
}
