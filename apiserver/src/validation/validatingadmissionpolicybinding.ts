// Validation of ValidatingAdmissionPolicyBinding (k/k pkg/apis/admissionregistration/validation):
// paths, messages and order are Kubernetes', down to upstream's `spec.matchResouces` spelling.
import type { ParamRef, ValidatingAdmissionPolicyBinding } from '@mkube/shared/api';
import { type FieldError, fieldErrors, goStringSlice } from '@mkube/shared/apierrors';
import { validateLabelSelector } from '../registry/rbac/selector.js';
import { isValidPathSegmentName, nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta } from './objectmeta.js';
import { validateMatchResources } from './validatingadmissionpolicy.js';

const ACTIONS = ['Audit', 'Deny', 'Warn'];

function validateParamRef(p: ParamRef | undefined, path: string): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  const exclusive = 'name and selector are mutually exclusive';
  if (p.name) {
    for (const msg of isValidPathSegmentName(p.name)) errs.push(fieldErrors.invalid(`${path}.name`, p.name, msg));
    if (p.selector != null) errs.push(fieldErrors.forbidden(`${path}.name`, exclusive));
  }
  if (p.selector != null) {
    errs.push(...validateLabelSelector(p.selector, { allowInvalidLabelValueInSelector: false }, `${path}.selector`));
    if (p.name) errs.push(fieldErrors.forbidden(`${path}.selector`, exclusive));
  }
  if (!p.name && p.selector == null) errs.push(fieldErrors.required(path, 'one of name or selector must be specified'));
  if (!p.parameterNotFoundAction) {
    errs.push(fieldErrors.required(`${path}.parameterNotFoundAction`, ''));
  } else if (p.parameterNotFoundAction !== 'Deny' && p.parameterNotFoundAction !== 'Allow') {
    errs.push(
      fieldErrors.notSupported(`${path}.parameterNotFoundAction`, p.parameterNotFoundAction, ['Deny', 'Allow']),
    );
  }
  return errs;
}

function validateValidationActions(actions: readonly string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    if (!ACTIONS.includes(a)) errs.push(fieldErrors.notSupported(`${path}[${i}]`, a, ACTIONS));
    if (seen.has(a)) errs.push(fieldErrors.duplicate(`${path}[${i}]`, a));
    seen.add(a);
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    errs.push(
      fieldErrors.invalid(
        path,
        goStringSlice(actions, 'admissionregistration.ValidationAction'),
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    );
  }
  if (seen.size === 0) errs.push(fieldErrors.required(path, 'at least one validation action is required'));
  return errs;
}

export function validateValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): FieldError[] {
  const errs = validateObjectMeta(b.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain });
  const spec = b.spec ?? {};
  if (!spec.policyName) errs.push(fieldErrors.required('spec.policyName', ''));
  else {
    for (const msg of nameIsDNSSubdomain(spec.policyName, false)) {
      errs.push(fieldErrors.invalid('spec.policyName', spec.policyName, msg));
    }
  }
  errs.push(...validateParamRef(spec.paramRef, 'spec.paramRef'));
  errs.push(...validateMatchResources(spec.matchResources, 'spec.matchResouces'));
  errs.push(...validateValidationActions(spec.validationActions ?? [], 'spec.validationActions'));
  return errs;
}
