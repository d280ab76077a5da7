// The selectors of an access review's resourceAttributes (AuthorizeWithSelectors, on by default
// since 1.32): validated as pkg/apis/authorization/validation does, read into the authorizer's
// attributes as pkg/registry/authorization/util ResourceAttributesFrom does, and what could not be
// read reported back in status.evaluationError (BuildEvaluationError).
import type { FieldSelectorRequirement, LabelSelectorRequirement, ResourceAttributes } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import {
  type Attributes,
  fieldRequirementAttributes,
  fieldSelectorAttributes,
  labelRequirementAttributes,
  labelSelectorAttributes,
} from '@mkube/shared/auth';
import { isQualifiedName, isValidLabelValue } from '@mkube/shared/selectors';

interface SelectorSpec {
  readonly rawSelector?: string;
  readonly requirements?: readonly (Requirement | null)[];
}

type Requirement = { key?: string; operator?: string; values?: readonly string[] };

/** A selector's requirements, a JSON null among them read as the zero value, as Go decodes it. */
const requirementsOf = (sel: SelectorSpec | undefined): Requirement[] => (sel?.requirements ?? []).map((r) => r ?? {});

/** rawSelector or requirements, never both, never neither. */
function selectorErrors(selector: SelectorSpec | undefined, at: string): FieldError[] {
  if (!selector) return [];
  const raw = selector.rawSelector ?? '';
  const count = selector.requirements?.length ?? 0;
  const errs: FieldError[] = [];
  if (raw && count)
    errs.push(fieldErrors.invalid(`${at}.rawSelector`, raw, 'may not specified at the same time as requirements'));
  if (!raw && !count) {
    errs.push(
      fieldErrors.required(`${at}.requirements`, `when ${at} is specified, requirements or rawSelector is required`),
    );
  }
  return errs;
}

/** Unknown operators pass (AllowUnknownOperatorInRequirement): a newer client's requirement is dropped, not refused. */
function operatorErrors(r: { operator?: string; values?: readonly string[] }, at: string): FieldError[] {
  const values = r.values ?? [];
  if ((r.operator === 'In' || r.operator === 'NotIn') && values.length === 0) {
    return [fieldErrors.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'")];
  }
  if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length > 0) {
    return [
      fieldErrors.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
    ];
  }
  return [];
}

/** validateResourceAttributes: the field and label selector attributes. */
export function resourceAttributesErrors(ra: ResourceAttributes, at: string): FieldError[] {
  const fs = `${at}.fieldSelector`;
  const ls = `${at}.labelSelector`;
  const errs = [...selectorErrors(ra.fieldSelector, fs)];
  // ValidateFieldSelectorRequirement: a field path is only required to be there.
  requirementsOf(ra.fieldSelector).forEach((r, i) => {
    const p = `${fs}.requirements[${i}]`;
    if (!r.key) errs.push(fieldErrors.required(`${p}.key`, 'must be specified'));
    errs.push(...operatorErrors(r, p));
  });
  errs.push(...selectorErrors(ra.labelSelector, ls));
  // ValidateLabelSelectorRequirement: the key a label name, the values label values.
  requirementsOf(ra.labelSelector).forEach((r, i) => {
    const p = `${ls}.requirements[${i}]`;
    errs.push(...operatorErrors(r, p));
    for (const msg of isQualifiedName(r.key ?? '')) errs.push(fieldErrors.invalid(`${p}.key`, r.key ?? '', msg));
    (r.values ?? []).forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(fieldErrors.invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return errs;
}

/** The review's selectors as the authorizers see them: requirements win over a raw selector. */
export function reviewSelectors(ra: ResourceAttributes): Pick<Attributes, 'fieldSelector' | 'labelSelector'> {
  const fields = requirementsOf(ra.fieldSelector) as FieldSelectorRequirement[];
  const labels = requirementsOf(ra.labelSelector) as LabelSelectorRequirement[];
  const fieldSelector = fields.length
    ? fieldRequirementAttributes(fields)
    : fieldSelectorAttributes(ra.fieldSelector?.rawSelector ?? '');
  const labelSelector = labels.length
    ? labelRequirementAttributes(labels)
    : labelSelectorAttributes(ra.labelSelector?.rawSelector ?? '');
  return { ...(fieldSelector && { fieldSelector }), ...(labelSelector && { labelSelector }) };
}

/** BuildEvaluationError's selector part: which selector was (partly) ignored. */
export function selectorEvaluationErrors(a: Attributes): string[] {
  const out: string[] = [];
  for (const [name, s] of [
    ['fieldSelector', a.fieldSelector],
    ['labelSelector', a.labelSelector],
  ] as const) {
    if (s?.error === undefined) continue;
    const how = s.requirements.length ? 'partially ignored' : 'ignored';
    out.push(`spec.resourceAttributes.${name} ${how} due to parse error`);
  }
  return out;
}
