// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (pkg/registry/admissionregistration/
// validatingadmissionpolicy{,binding}): cluster-scoped, generation 1 on create and bumped when the
// spec changes; a policy's status is written only through /status. Defaults are v1's
// SetDefaults_ValidatingAdmissionPolicySpec, SetDefaults_MatchResources and SetDefaults_Rule.
import type {
  KubeObject,
  MatchResources,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from '@mkube/shared/api';
import { jsonEqual } from '../../util/json.js';
import { decodeFailure, ShapeCheck } from '../../validation/shape.js';
import {
  validateValidatingAdmissionPolicy,
  validateValidatingAdmissionPolicyStatus,
  validateValidatingAdmissionPolicyUpdate,
} from '../../validation/validatingadmissionpolicy.js';
import { validateValidatingAdmissionPolicyBinding } from '../../validation/validatingadmissionpolicybinding.js';
import { type RESTStrategy, resetToStored, type SubresourceStrategy } from '../strategy.js';

function defaultMatchResources(m: MatchResources | undefined): void {
  if (!m || typeof m !== 'object') return;
  m.matchPolicy ??= 'Equivalent';
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  for (const rule of [...(m.resourceRules ?? []), ...(m.excludeResourceRules ?? [])]) {
    if (rule && typeof rule === 'object') rule.scope ??= '*';
  }
}

/** MatchResources, as a policy and a binding carry it. */
function checkMatchResources(c: ShapeCheck, v: unknown, struct: string, at: string): void {
  const m = c.object(v, struct, at, 'v1.MatchResources');
  for (const f of ['namespaceSelector', 'objectSelector'])
    c.object(m[f], 'MatchResources', `${at}.${f}`, 'v1.LabelSelector');
  c.string(m.matchPolicy, 'MatchResources', `${at}.matchPolicy`);
  for (const f of ['resourceRules', 'excludeResourceRules']) {
    for (const e of c.list(m[f], 'MatchResources', `${at}.${f}`, '[]v1.NamedRuleWithOperations')) {
      const r = c.object(e, 'MatchResources', `${at}.${f}`, 'v1.NamedRuleWithOperations');
      for (const s of ['resourceNames', 'operations', 'apiGroups', 'apiVersions', 'resources']) {
        c.strings(r[s], 'NamedRuleWithOperations', `${at}.${f}.${s}`);
      }
      c.string(r.scope, 'NamedRuleWithOperations', `${at}.${f}.scope`);
    }
  }
}

function checkPolicyShape(obj: ValidatingAdmissionPolicy): void {
  const c = new ShapeCheck(decodeFailure('ValidatingAdmissionPolicy'));
  const spec = c.object(obj.spec, 'ValidatingAdmissionPolicy', 'spec', 'v1.ValidatingAdmissionPolicySpec');
  const S = 'ValidatingAdmissionPolicySpec';
  const pk = c.object(spec.paramKind, S, 'spec.paramKind', 'v1.ParamKind');
  c.string(pk.apiVersion, 'ParamKind', 'spec.paramKind.apiVersion');
  c.string(pk.kind, 'ParamKind', 'spec.paramKind.kind');
  checkMatchResources(c, spec.matchConstraints, S, 'spec.matchConstraints');
  c.string(spec.failurePolicy, S, 'spec.failurePolicy');
  c.records(spec.validations, S, 'spec.validations', 'Validation', [
    'expression',
    'message',
    'reason',
    'messageExpression',
  ]);
  c.records(spec.auditAnnotations, S, 'spec.auditAnnotations', 'AuditAnnotation', ['key', 'valueExpression']);
  c.records(spec.matchConditions, S, 'spec.matchConditions', 'MatchCondition', ['name', 'expression']);
  c.records(spec.variables, S, 'spec.variables', 'Variable', ['name', 'expression']);
}

function checkBindingShape(obj: ValidatingAdmissionPolicyBinding): void {
  const c = new ShapeCheck(decodeFailure('ValidatingAdmissionPolicyBinding'));
  const S = 'ValidatingAdmissionPolicyBindingSpec';
  const spec = c.object(obj.spec, 'ValidatingAdmissionPolicyBinding', 'spec', `v1.${S}`);
  c.string(spec.policyName, S, 'spec.policyName');
  const ref = c.object(spec.paramRef, S, 'spec.paramRef', 'v1.ParamRef');
  for (const f of ['name', 'namespace', 'parameterNotFoundAction']) c.string(ref[f], 'ParamRef', `spec.paramRef.${f}`);
  c.object(ref.selector, 'ParamRef', 'spec.paramRef.selector', 'v1.LabelSelector');
  checkMatchResources(c, spec.matchResources, S, 'spec.matchResources');
  c.strings(spec.validationActions, S, 'spec.validationActions');
}

export function defaultValidatingAdmissionPolicy(obj: ValidatingAdmissionPolicy): void {
  checkPolicyShape(obj);
  obj.spec ??= {};
  obj.spec.failurePolicy ??= 'Fail';
  defaultMatchResources(obj.spec.matchConstraints);
}

export function defaultValidatingAdmissionPolicyBinding(obj: ValidatingAdmissionPolicyBinding): void {
  checkBindingShape(obj);
  obj.spec ??= {};
  defaultMatchResources(obj.spec.matchResources);
}

const specChanged = (o: KubeObject, old: KubeObject): boolean =>
  !jsonEqual((o as ValidatingAdmissionPolicy).spec ?? null, (old as ValidatingAdmissionPolicy).spec ?? null);

export const validatingAdmissionPolicyStrategy: RESTStrategy = {
  prepareForCreate(o) {
    const p = o as ValidatingAdmissionPolicy;
    defaultValidatingAdmissionPolicy(p);
    p.status = {};
  },
  prepareForUpdate(o, old) {
    const p = o as ValidatingAdmissionPolicy;
    defaultValidatingAdmissionPolicy(p);
    p.status = (old as ValidatingAdmissionPolicy).status ?? {};
  },
  validate: (o) => validateValidatingAdmissionPolicy(o as ValidatingAdmissionPolicy),
  validateUpdate: (o, old) =>
    validateValidatingAdmissionPolicyUpdate(o as ValidatingAdmissionPolicy, old as ValidatingAdmissionPolicy),
  bumpsGeneration: specChanged,
};

/** `/status`: only the status changes; the spec and metadata stay as stored. */
export const validatingAdmissionPolicyStatusStrategy: SubresourceStrategy = {
  prepareForUpdate(o, old) {
    const status = (o as ValidatingAdmissionPolicy).status;
    resetToStored(o, old);
    (o as ValidatingAdmissionPolicy).status = status ?? {};
  },
  validateUpdate: (o) => validateValidatingAdmissionPolicyStatus(o as ValidatingAdmissionPolicy),
};

export const validatingAdmissionPolicyBindingStrategy: RESTStrategy = {
  prepareForCreate: (o) => defaultValidatingAdmissionPolicyBinding(o as ValidatingAdmissionPolicyBinding),
  prepareForUpdate: (o) => defaultValidatingAdmissionPolicyBinding(o as ValidatingAdmissionPolicyBinding),
  validate: (o) => validateValidatingAdmissionPolicyBinding(o as ValidatingAdmissionPolicyBinding),
  validateUpdate: (o) => validateValidatingAdmissionPolicyBinding(o as ValidatingAdmissionPolicyBinding),
  bumpsGeneration: specChanged,
};
