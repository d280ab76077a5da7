// IngressClass validation (pkg/apis/networking/validation ValidateIngressClass/Update): a
// domain-prefixed controller, fixed once created, and a parameters reference whose scope decides
// whether it names a namespace. The name is a DNS subdomain, which the generic registry checks.
import type { IngressClass, IngressClassParametersReference } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1123Subdomain } from '@mkube/shared/selectors';
import { validateDomainPrefixedPath } from '../../validation/formats.js';
import { isValidPathSegmentName, validateNamespaceName } from '../../validation/names.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';

const MAX_CONTROLLER_LENGTH = 250;
/** sets.NewString(...).List(): sorted. */
const SCOPES = ['Cluster', 'Namespace'];

function validateParameters(p: IngressClassParametersReference, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.apiGroup != null) {
    for (const msg of isDNS1123Subdomain(p.apiGroup)) errs.push(fieldErrors.invalid(`${at}.apiGroup`, p.apiGroup, msg));
  }
  for (const key of ['kind', 'name'] as const) {
    const v = p[key] ?? '';
    if (!v) errs.push(fieldErrors.required(`${at}.${key}`, ''));
    else for (const msg of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${at}.${key}`, v, msg));
  }
  if (p.scope == null) {
    errs.push(fieldErrors.required(`${at}.scope`, ''));
    return errs;
  }
  if (!SCOPES.includes(p.scope)) {
    errs.push(fieldErrors.notSupported(`${at}.scope`, p.scope, SCOPES));
  } else if (p.scope === 'Namespace') {
    if (p.namespace == null) {
      errs.push(fieldErrors.required(`${at}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    } else {
      for (const msg of validateNamespaceName(p.namespace, false)) {
        errs.push(fieldErrors.invalid(`${at}.namespace`, p.namespace, msg));
      }
    }
  } else if (p.namespace != null) {
    errs.push(fieldErrors.forbidden(`${at}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

export function validateIngressClass(ic: IngressClass): FieldError[] {
  const spec = ic.spec ?? {};
  const controller = spec.controller ?? '';
  const errs: FieldError[] = [];
  if (!controller) errs.push(fieldErrors.required('spec.controller', ''));
  else {
    if (Buffer.byteLength(controller) > MAX_CONTROLLER_LENGTH) {
      errs.push(fieldErrors.tooLong('spec.controller', MAX_CONTROLLER_LENGTH));
    }
    errs.push(...validateDomainPrefixedPath('spec.controller', controller));
  }
  if (spec.parameters != null) errs.push(...validateParameters(spec.parameters, 'spec.parameters'));
  return errs;
}

/** ValidateIngressClassUpdate: the controller is fixed, then everything is checked as on create. */
export function validateIngressClassUpdate(ic: IngressClass, old: IngressClass): FieldError[] {
  const errs: FieldError[] = [];
  const controller = ic.spec?.controller ?? '';
  if (controller !== (old.spec?.controller ?? '')) {
    errs.push(fieldErrors.invalid('spec.controller', controller, FIELD_IMMUTABLE_ERROR_MSG));
  }
  return [...errs, ...validateIngressClass(ic)];
}
