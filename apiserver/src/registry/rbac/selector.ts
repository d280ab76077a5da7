// metav1 LabelSelector validation (apimachinery meta/v1/validation ValidateLabelSelector), used by
// ClusterRole aggregation rules.
import type { LabelSelector, LabelSelectorRequirement } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isQualifiedName, isValidLabelValue } from '@mkube/shared/selectors';

export interface LabelSelectorValidationOptions {
  /** Tolerate values stored before label-value validation applied to selectors. */
  readonly allowInvalidLabelValueInSelector: boolean;
}

function validateLabelName(name: string, field: string): FieldError[] {
  return isQualifiedName(name).map((msg) => fieldErrors.invalid(field, name, msg));
}

function validateRequirement(
  r: LabelSelectorRequirement,
  opts: LabelSelectorValidationOptions,
  at: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const values = r.values ?? [];
  switch (r.operator) {
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
    default:
      errs.push(fieldErrors.invalid(`${at}.operator`, r.operator, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(r.key ?? '', `${at}.key`));
  if (!opts.allowInvalidLabelValueInSelector) {
    values.forEach((v, i) => {
      for (const msg of isValidLabelValue(v)) errs.push(fieldErrors.invalid(`${at}.values[${i}]`, v, msg));
    });
  }
  return errs;
}

export function validateLabelSelector(
  sel: LabelSelector | null | undefined,
  opts: LabelSelectorValidationOptions,
  at: string,
): FieldError[] {
  if (!sel) return [];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    errs.push(...validateLabelName(k, `${at}.matchLabels`));
    for (const msg of isValidLabelValue(v)) errs.push(fieldErrors.invalid(`${at}.matchLabels`, v, msg));
  }
  (sel.matchExpressions ?? []).forEach((r, i) => {
    errs.push(...validateRequirement(r, opts, `${at}.matchExpressions[${i}]`));
  });
  return errs;
}

/** Whether any expression value would fail label-value validation (then updates tolerate it). */
export function hasInvalidLabelValue(sel: LabelSelector): boolean {
  return (sel.matchExpressions ?? []).some((r) => (r.values ?? []).some((v) => isValidLabelValue(v).length > 0));
}
