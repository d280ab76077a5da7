// AuthorizeWithSelectors (on by default since 1.32): the field and label selectors of a list, watch
// or deletecollection reach the authorizers as requirements (k8s.io/apiserver endpoints/filters
// GetAuthorizerAttributes), a SubjectAccessReview's as its resourceAttributes give them
// (pkg/registry/authorization/util ResourceAttributesFrom), and a webhook authorizer is sent them
// back in the review's shape (plugin/pkg/authorizer/webhook resourceAttributesFrom). Requirements
// only narrow a request: one that cannot be read is dropped and the error kept beside the rest.

import type { FieldSelectorRequirement } from '../api/authorization.js';
import type { LabelSelectorRequirement } from '../api/meta.js';
import { aggregateMessages } from '../apierrors/field.js';
import {
  type FieldRequirement,
  type LabelOperator,
  type LabelRequirement,
  newLabelRequirement,
  parseFieldSelector,
  parseLabelSelector,
} from '../selectors/index.js';
import type { Attributes, SelectorAttributes } from './types.js';

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** utilerrors.NewAggregate(errs).Error(): one distinct message as it is, more as `[a, b]`. */
function aggregate(errs: readonly string[]): string | undefined {
  const distinct = [...new Set(errs)];
  if (distinct.length === 0) return undefined;
  return aggregateMessages(distinct);
}

function attributes<R>(requirements: R[], errs: readonly string[]): SelectorAttributes<R> | undefined {
  const error = aggregate(errs);
  if (!requirements.length && error === undefined) return undefined;
  return error === undefined ? { requirements } : { requirements, error };
}

function parsed<R>(raw: string, parse: (s: string) => { readonly requirements: readonly R[] }) {
  // Only text: the lexer walks a string (a decoded body's number must have been refused before).
  if (!raw || typeof raw !== 'string') return undefined;
  try {
    return attributes([...parse(raw).requirements], []);
  } catch (e) {
    return attributes<R>([], [messageOf(e)]);
  }
}

/** A field selector string (a request's query, a review's rawSelector); absent when it selects all. */
export const fieldSelectorAttributes = (raw: string): SelectorAttributes<FieldRequirement> | undefined =>
  parsed(raw, parseFieldSelector);

/** A label selector string, likewise. */
export const labelSelectorAttributes = (raw: string): SelectorAttributes<LabelRequirement> | undefined =>
  parsed(raw, parseLabelSelector);

/** A review's field requirements (fieldSelectorAsSelector): one value each, In or NotIn only. */
export function fieldRequirementAttributes(
  reqs: readonly FieldSelectorRequirement[],
): SelectorAttributes<FieldRequirement> | undefined {
  const out: FieldRequirement[] = [];
  const errs: string[] = [];
  for (const r of reqs) {
    const values = r.values ?? [];
    const operator = String(r.operator ?? '');
    if (values.length > 1) errs.push('fieldSelectors do not yet support multiple values');
    else if (operator === 'In' || operator === 'NotIn') {
      if (values.length !== 1) errs.push(`fieldSelectors ${operator === 'In' ? 'in' : 'not in'} must have one value`);
      else out.push({ field: r.key ?? '', operator: operator === 'In' ? '=' : '!=', value: values[0]! });
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      errs.push(`fieldSelectors do not yet support ${operator}`);
    } else errs.push(`${JSON.stringify(operator)} is not a valid field selector operator`);
  }
  return attributes(out, errs);
}

const LABEL_OPERATORS: Readonly<Record<string, LabelOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/** A review's label requirements (labelSelectorAsSelector): each built as labels.NewRequirement would. */
export function labelRequirementAttributes(
  reqs: readonly LabelSelectorRequirement[],
): SelectorAttributes<LabelRequirement> | undefined {
  const out: LabelRequirement[] = [];
  const errs: string[] = [];
  for (const r of reqs) {
    const operator = Object.hasOwn(LABEL_OPERATORS, r.operator) ? LABEL_OPERATORS[r.operator] : undefined;
    if (!operator) {
      errs.push(`${JSON.stringify(String(r.operator ?? ''))} is not a valid label selector operator`);
      continue;
    }
    try {
      out.push(newLabelRequirement(r.key ?? '', operator, r.values ?? []));
    } catch (e) {
      errs.push(messageOf(e));
    }
  }
  return attributes(out, errs);
}

/** The field requirements a webhook is sent (fieldSelectorToAuthorizationAPI); absent when none. */
export function fieldSelectorRequirements(a: Attributes['fieldSelector']): FieldSelectorRequirement[] | undefined {
  const out = (a?.requirements ?? []).map(
    (r): FieldSelectorRequirement => ({
      key: r.field,
      operator: r.operator === '=' ? 'In' : 'NotIn',
      values: [r.value],
    }),
  );
  return out.length ? out : undefined;
}

const REVIEW_OPERATORS: Readonly<Partial<Record<LabelOperator, LabelSelectorRequirement['operator']>>> = {
  '=': 'In',
  '==': 'In',
  in: 'In',
  '!=': 'NotIn',
  notin: 'NotIn',
  exists: 'Exists',
  '!': 'DoesNotExist',
};

/** The label requirements a webhook is sent; `>` and `<` have no review form and are left out. */
export function labelSelectorRequirements(a: Attributes['labelSelector']): LabelSelectorRequirement[] | undefined {
  const out: LabelSelectorRequirement[] = [];
  for (const r of a?.requirements ?? []) {
    const operator = REVIEW_OPERATORS[r.operator];
    if (operator) out.push({ key: r.key, operator, ...(r.values.length ? { values: [...r.values] } : {}) });
  }
  return out.length ? out : undefined;
}
