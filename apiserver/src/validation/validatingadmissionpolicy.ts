// Validation of ValidatingAdmissionPolicy (k/k pkg/apis/admissionregistration/validation): paths,
// messages and order are Kubernetes'. Every CEL expression is compiled at write time with the
// variables it may see; a compile error is an Invalid on its field.

import type {
  AuditAnnotation,
  MatchResources,
  NamedRuleWithOperations,
  ParamKind,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicySpec,
  Validation,
  Variable,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1035Label, isDNS1123Subdomain, isQualifiedName } from '@mkube/shared/selectors';
import { type CompileOptions, compileExpression, type VariableDecl } from '../admission/cel/environment.js';
import {
  BOOL,
  compileVariables,
  STRING,
  STRING_OR_NULL,
} from '../admission/plugins/validatingadmissionpolicy/compile.js';
import { validateLabelSelector } from '../registry/rbac/selector.js';
import { validateRuleWithOperations } from './admissionregistration.js';
import { validateConditions } from './conditions.js';
import { compileAt, validateMatchConditions } from './matchconditions.js';
import { isValidPathSegmentName, nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta } from './objectmeta.js';

const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];
const MAX_AUDIT_ANNOTATIONS = 20;
const MAX_VALUE_EXPRESSION_BYTES = 5 * 1024;
const CEL_IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const CEL_RESERVED = new Set(
  'true false null in as break const continue else for function if import let loop package namespace return var void while'.split(
    ' ',
  ),
);

const blank = (s: string | undefined): boolean => !s || s.trim() === '';

function validateParamKind(p: ParamKind, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = p.apiVersion ?? '';
  if (!apiVersion) {
    errs.push(fieldErrors.required(`${path}.apiVersion`, ''));
  } else if (apiVersion !== '/') {
    const parts = apiVersion.split('/');
    if (parts.length > 2) {
      errs.push(fieldErrors.invalid(`${path}.apiVersion`, apiVersion, `unexpected GroupVersion string: ${apiVersion}`));
    } else {
      const [group, version] = parts.length === 1 ? ['', parts[0]!] : [parts[0]!, parts[1]!];
      const groupErrs = group ? isDNS1123Subdomain(group) : [];
      if (groupErrs.length) errs.push(fieldErrors.invalid(`${path}.apiVersion`, group, groupErrs.join(',')));
      if (!version) {
        errs.push(fieldErrors.invalid(`${path}.apiVersion`, apiVersion, 'version must be specified'));
      } else {
        const vErrs = isDNS1035Label(version);
        if (vErrs.length) errs.push(fieldErrors.invalid(`${path}.apiVersion`, version, vErrs.join(',')));
      }
    }
  }
  if (!p.kind) {
    errs.push(fieldErrors.required(`${path}.kind`, ''));
  } else {
    const kErrs = isDNS1035Label(p.kind.toLowerCase());
    if (kErrs.length) {
      errs.push(
        fieldErrors.invalid(
          `${path}.kind`,
          p.kind,
          `may have mixed case, but should otherwise match: ${kErrs.join(',')}`,
        ),
      );
    }
  }
  return errs;
}

function validateNamedRule(rule: NamedRuleWithOperations, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (rule.resourceNames ?? []).forEach((name, i) => {
    for (const msg of isValidPathSegmentName(name)) {
      errs.push(fieldErrors.invalid(`${path}.resourceNames[${i}]`, name, msg));
    }
    if (seen.has(name)) errs.push(fieldErrors.duplicate(`${path}.resourceNames[${i}]`, name));
    else seen.add(name);
  });
  return [...errs, ...validateRuleWithOperations(rule, path)];
}

export function validateMatchResources(m: MatchResources | undefined, path: string): FieldError[] {
  if (!m) return [];
  const errs: FieldError[] = [];
  if (m.matchPolicy == null) errs.push(fieldErrors.required(`${path}.matchPolicy`, ''));
  else if (!MATCH_POLICIES.includes(m.matchPolicy)) {
    errs.push(fieldErrors.notSupported(`${path}.matchPolicy`, m.matchPolicy, MATCH_POLICIES));
  }
  const strict = { allowInvalidLabelValueInSelector: false };
  for (const f of ['namespaceSelector', 'objectSelector'] as const) {
    if (m[f] == null) errs.push(fieldErrors.required(`${path}.${f}`, ''));
    else errs.push(...validateLabelSelector(m[f], strict, `${path}.${f}`));
  }
  (m.resourceRules ?? []).forEach((r, i) => {
    errs.push(...validateNamedRule(r ?? {}, `${path}.resourceRules[${i}]`));
  });
  (m.excludeResourceRules ?? []).forEach((r, i) => {
    errs.push(...validateNamedRule(r ?? {}, `${path}.excludeResourceRules[${i}]`));
  });
  return errs;
}

function validateVariables(list: readonly Variable[], params: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const { compiled } = compileVariables(list, params);
  list.forEach((entry, i) => {
    const v = entry ?? ({} as Variable);
    const at = `${path}[${i}]`;
    if (blank(v.name)) errs.push(fieldErrors.required(`${at}.name`, 'name is not specified'));
    else if (!CEL_IDENT.test(v.name) || CEL_RESERVED.has(v.name)) {
      errs.push(fieldErrors.invalid(`${at}.name`, v.name, 'name is not a valid CEL identifier'));
    }
    if (blank(v.expression)) {
      errs.push(fieldErrors.required(`${at}.expression`, 'expression is not specified'));
    } else {
      const r = compiled[i]!.result;
      if (!r.ok) errs.push(fieldErrors.invalid(`${at}.expression`, v.expression, r.error));
    }
  });
  return errs;
}

function validateValidation(v: Validation, opts: CompileOptions, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (blank(v.expression)) errs.push(fieldErrors.required(`${path}.expression`, 'expression is not specified'));
  else errs.push(...compileAt(`${path}.expression`, v.expression, opts, BOOL));
  const messageExpression = v.messageExpression ?? '';
  if (messageExpression.length > 0 && blank(messageExpression)) {
    errs.push(fieldErrors.invalid(`${path}.messageExpression`, messageExpression, 'must be non-empty if specified'));
  } else if (messageExpression) {
    const noAuthz = { ...opts, authorizer: false };
    errs.push(...compileAt(`${path}.messageExpression`, messageExpression, noAuthz, STRING));
  }
  const message = v.message ?? '';
  if (message.length > 0 && blank(message)) {
    errs.push(fieldErrors.invalid(`${path}.message`, message, 'message must be non-empty if specified'));
  } else if (/[\n\r]/.test(message.trim())) {
    errs.push(fieldErrors.invalid(`${path}.message`, message, 'message must not contain line breaks'));
  }
  if (v.reason != null && !REASONS.includes(v.reason)) {
    errs.push(fieldErrors.notSupported(`${path}.reason`, v.reason, REASONS));
  }
  return errs;
}

function validateAuditAnnotation(
  policyName: string,
  a: AuditAnnotation,
  opts: CompileOptions,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (policyName) {
    const key = `${policyName}/${a.key ?? ''}`;
    for (const msg of isQualifiedName(key)) errs.push(fieldErrors.invalid(`${path}.key`, key, msg));
  } else {
    errs.push(fieldErrors.invalid(`${path}.key`, a.key ?? '', 'requires metadata.name be non-empty'));
  }
  const value = (a.valueExpression ?? '').trim();
  if (!value) {
    errs.push(fieldErrors.required(`${path}.valueExpression`, 'valueExpression is not specified'));
  } else if (Buffer.byteLength(value) > MAX_VALUE_EXPRESSION_BYTES) {
    errs.push(
      fieldErrors.required(`${path}.valueExpression`, `must not exceed ${MAX_VALUE_EXPRESSION_BYTES} bytes in length`),
    );
  } else {
    const r = compileExpression(value, opts, STRING_OR_NULL);
    if (!r.ok) errs.push(fieldErrors.invalid(`${path}.valueExpression`, a.valueExpression, r.error));
  }
  return errs;
}

function validateSpec(
  name: string,
  spec: ValidatingAdmissionPolicySpec,
  ignoreMatchConditions: boolean,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const params = spec.paramKind != null;
  if (spec.failurePolicy == null) errs.push(fieldErrors.required(`${path}.failurePolicy`, ''));
  else if (!FAILURE_POLICIES.includes(spec.failurePolicy)) {
    errs.push(fieldErrors.notSupported(`${path}.failurePolicy`, spec.failurePolicy, FAILURE_POLICIES));
  }
  if (spec.paramKind != null) errs.push(...validateParamKind(spec.paramKind, `${path}.paramKind`));
  if (spec.matchConstraints == null) {
    errs.push(fieldErrors.required(`${path}.matchConstraints`, ''));
  } else {
    errs.push(...validateMatchResources(spec.matchConstraints, `${path}.matchConstraints`));
    // At least one rule: it is what gives the expressions their types upstream.
    if ((spec.matchConstraints.resourceRules ?? []).length === 0) {
      errs.push(fieldErrors.required(`${path}.matchConstraints.resourceRules`, ''));
    }
  }
  if (!ignoreMatchConditions) {
    errs.push(...validateMatchConditions(spec.matchConditions ?? [], params, `${path}.matchConditions`));
  }
  const variables = spec.variables ?? [];
  if (variables.length > 0) errs.push(...validateVariables(variables, params, `${path}.variables`));
  // Without variables upstream compiles without composition: `variables` is then undeclared.
  const decls: VariableDecl[] | undefined = variables.length ? compileVariables(variables, params).decls : undefined;
  const opts: CompileOptions = { params, authorizer: true, variables: decls };
  const validations = spec.validations ?? [];
  const annotations = spec.auditAnnotations ?? [];
  if (validations.length === 0 && annotations.length === 0) {
    const why = 'validations or auditAnnotations must contain at least one item';
    errs.push(fieldErrors.required(`${path}.validations`, why), fieldErrors.required(`${path}.auditAnnotations`, why));
    return errs;
  }
  validations.forEach((v, i) => {
    errs.push(...validateValidation(v ?? ({} as Validation), opts, `${path}.validations[${i}]`));
  });
  if (spec.auditAnnotations != null) {
    if (annotations.length > MAX_AUDIT_ANNOTATIONS) {
      errs.push(
        fieldErrors.invalid(
          `${path}.auditAnnotations`,
          annotations.length,
          `must not have more than ${MAX_AUDIT_ANNOTATIONS} auditAnnotations`,
        ),
      );
    }
    const keys = new Set<string>();
    annotations.forEach((entry, i) => {
      const a = entry ?? ({} as AuditAnnotation);
      errs.push(...validateAuditAnnotation(name, a, opts, `${path}.auditAnnotations[${i}]`));
      if (keys.has(a.key)) errs.push(fieldErrors.duplicate(`${path}.auditAnnotations[${i}].key`, a.key));
      keys.add(a.key);
    });
  }
  return errs;
}

function validatePolicy(p: ValidatingAdmissionPolicy, ignoreMatchConditions: boolean): FieldError[] {
  return [
    ...validateObjectMeta(p.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain }),
    ...validateSpec(p.metadata?.name ?? '', p.spec ?? {}, ignoreMatchConditions, 'spec'),
  ];
}

export function validateValidatingAdmissionPolicy(p: ValidatingAdmissionPolicy): FieldError[] {
  return validatePolicy(p, false);
}

/** Match conditions unchanged (with the same paramKind) are not compiled again, as upstream. */
export function validateValidatingAdmissionPolicyUpdate(
  p: ValidatingAdmissionPolicy,
  old: ValidatingAdmissionPolicy,
): FieldError[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const unchanged =
    same(p.spec?.paramKind, old.spec?.paramKind) && same(p.spec?.matchConditions, old.spec?.matchConditions);
  return validatePolicy(p, unchanged);
}

export function validateValidatingAdmissionPolicyStatus(p: ValidatingAdmissionPolicy): FieldError[] {
  const errs: FieldError[] = [];
  (p.status?.typeChecking?.expressionWarnings ?? []).forEach((w, i) => {
    const at = `status.typeChecking.expressionWarnings[${i}]`;
    if (!w.warning) errs.push(fieldErrors.required(`${at}.warning`, ''));
    if (blank(w.fieldRef)) errs.push(fieldErrors.required(`${at}.fieldRef`, ''));
  });
  return [...errs, ...validateConditions(p.status?.conditions ?? [], 'status.conditions')];
}
