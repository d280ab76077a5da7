// rbac.authorization.k8s.io/v1 validation (k8s pkg/apis/rbac/validation): rules, subjects and
// role references. Object names are checked by the generic registry with the path-segment rule.
import type { ClusterRole, PolicyRule, RoleRef, Subject } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1123Subdomain } from '@mkube/shared/selectors';
import { isValidPathSegmentName } from './names.js';
import { type LabelSelectorValidationOptions, validateLabelSelector } from './selector.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group'];

/** `isNamespaced`: a Role's rule, which cannot grant non-resource URLs. */
export function validatePolicyRule(rule: PolicyRule, isNamespaced: boolean, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(fieldErrors.required(`${at}.verbs`, 'verbs must contain at least one value'));
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (isNamespaced) {
      errs.push(
        fieldErrors.invalid(`${at}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'),
      );
    }
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(
        fieldErrors.invalid(
          `${at}.nonResourceURLs`,
          urls,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if (!rule.apiGroups?.length) {
    errs.push(fieldErrors.required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
  }
  if (!rule.resources?.length) {
    errs.push(fieldErrors.required(`${at}.resources`, 'resource rules must supply at least one resource'));
  }
  return errs;
}

export function validateRules(rules: readonly PolicyRule[] | undefined, isNamespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(r, isNamespaced, `rules[${i}]`));
}

export function validateAggregationRule(role: ClusterRole, opts: LabelSelectorValidationOptions): FieldError[] {
  const rule = role.aggregationRule;
  if (rule === undefined || rule === null) return [];
  const selectors = rule.clusterRoleSelectors ?? [];
  const errs: FieldError[] = [];
  if (selectors.length === 0) {
    errs.push(
      fieldErrors.required(
        'aggregationRule.clusterRoleSelectors',
        'at least one clusterRoleSelector required if aggregationRule is non-nil',
      ),
    );
  }
  selectors.forEach((s, i) => {
    errs.push(...validateLabelSelector(s, opts, `aggregationRule.clusterRoleSelectors[${i}]`));
  });
  return errs;
}

/** `isNamespaced`: a RoleBinding's subject, whose ServiceAccount namespace defaults to the binding's. */
export function validateSubject(subject: Subject, isNamespaced: boolean, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = subject.name ?? '';
  const apiGroup = subject.apiGroup ?? '';
  if (!name) errs.push(fieldErrors.required(`${at}.name`));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name) for (const msg of isDNS1123Subdomain(name)) errs.push(fieldErrors.invalid(`${at}.name`, name, msg));
      if (apiGroup) errs.push(fieldErrors.notSupported(`${at}.apiGroup`, apiGroup, ['']));
      if (!isNamespaced && !subject.namespace) errs.push(fieldErrors.required(`${at}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported(`${at}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldErrors.notSupported(`${at}.kind`, subject.kind ?? '', SUBJECT_KINDS));
  }
  return errs;
}

export function validateRoleRef(ref: RoleRef | undefined, kinds: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  const apiGroup = ref?.apiGroup ?? '';
  const kind = ref?.kind ?? '';
  const name = ref?.name ?? '';
  if (apiGroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  if (!kinds.includes(kind)) errs.push(fieldErrors.notSupported('roleRef.kind', kind, kinds));
  if (!name) errs.push(fieldErrors.required('roleRef.name'));
  else for (const msg of isValidPathSegmentName(name)) errs.push(fieldErrors.invalid('roleRef.name', name, msg));
  return errs;
}

export function validateSubjects(subjects: readonly Subject[] | undefined, isNamespaced: boolean): FieldError[] {
  return (subjects ?? []).flatMap((s, i) => validateSubject(s, isNamespaced, `subjects[${i}]`));
}

/** A binding's grant is fixed at creation: rebinding means delete and create (and re-authorize). */
export function validateRoleRefUpdate(ref: RoleRef | undefined, old: RoleRef | undefined): FieldError[] {
  const same = ref?.apiGroup === old?.apiGroup && ref?.kind === old?.kind && ref?.name === old?.name;
  return same ? [] : [fieldErrors.invalid('roleRef', ref ?? null, 'cannot change roleRef')];
}
