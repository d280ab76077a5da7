// Who may point a policy at parameters (pkg/registry/admissionregistration/
// validatingadmissionpolicy{,binding}/authz.go): a policy's paramKind needs "get" on every object of
// that kind, a binding's paramRef "get" on the object it names — else a user could read, through a
// policy's messages, ConfigMaps or Secrets RBAC keeps from them. Checked on create, and on update
// when the paramKind (or the paramRef or policyName) changes; system:masters is exempt. The refusal
// is upstream's: a Forbidden field error on spec.paramKind / spec.paramRef (422 Invalid).
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '@mkube/shared/api';
import { fieldErrors, newInvalid } from '@mkube/shared/apierrors';
import type { Authorizer, UserInfo } from '@mkube/shared/auth';
import { findByKind } from '../../../registry/catalog.js';
import { jsonEqual } from '../../../util/json.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../types.js';

const GROUP = 'admissionregistration.k8s.io';

/** How Go's %v prints a *user.DefaultInfo: `&{name uid [groups] map[key:[values]]}`. */
export function goUserString(u: UserInfo): string {
  const extra = Object.keys(u.extra ?? {})
    .sort()
    .map((k) => `${k}:[${(u.extra?.[k] ?? []).join(' ')}]`)
    .join(' ');
  return `&{${u.username} ${u.uid ?? ''} [${u.groups.join(' ')}] map[${extra}]}`;
}

/** The group, version and resource a paramKind names; `*` for what cannot be resolved, as upstream. */
function paramResource(paramKind: { apiVersion?: string; kind?: string } | undefined) {
  const out = { apiGroup: '*', apiVersion: '*', resource: '*' };
  if (!paramKind) return out;
  const apiVersion = paramKind.apiVersion ?? '';
  const parts = apiVersion.split('/');
  if (parts.length > 2 || parts.some((p) => p === '') || apiVersion === '') return out;
  out.apiGroup = parts.length === 2 ? parts[0]! : '';
  out.apiVersion = parts.at(-1)!;
  const def = findByKind(apiVersion, paramKind.kind ?? '');
  if (def) out.resource = def.resource;
  return out;
}

export interface ParamAuthorizationDeps {
  readonly authorizer: Authorizer;
  /** The stored policy a binding names (undefined when there is none). */
  readonly getPolicy: (name: string) => Promise<ValidatingAdmissionPolicy | undefined>;
}

export function validatingAdmissionPolicyParamAuthorization(deps: ParamAuthorizationDeps): AdmissionPlugin {
  const mayGet = async (
    user: UserInfo,
    target: { apiGroup: string; apiVersion: string; resource: string },
    namespace: string,
    name: string,
  ): Promise<boolean> => {
    const r = await deps.authorizer.authorize({
      user,
      verb: 'get',
      isResourceRequest: true,
      path: '',
      namespace,
      apiGroup: target.apiGroup,
      apiVersion: target.apiVersion,
      resource: target.resource,
      subresource: '',
      name,
    });
    return r.decision === 'Allow';
  };

  async function policy(a: AdmissionAttributes): Promise<void> {
    const obj = a.object as ValidatingAdmissionPolicy;
    const paramKind = obj.spec?.paramKind;
    if (!paramKind) return;
    const old = a.oldObject as ValidatingAdmissionPolicy | undefined;
    if (a.operation === 'UPDATE' && old?.spec?.paramKind && jsonEqual(old.spec.paramKind, paramKind)) return;
    if (await mayGet(a.user, paramResource(paramKind), '*', '*')) return;
    const msg = `user ${goUserString(a.user)} must have "get" permission on all objects of the referenced paramKind (kind=${paramKind.kind ?? ''}, apiVersion=${paramKind.apiVersion ?? ''})`;
    throw newInvalid({ group: GROUP, kind: 'ValidatingAdmissionPolicy' }, a.name, [
      fieldErrors.forbidden('spec.paramKind', msg),
    ]);
  }

  async function binding(a: AdmissionAttributes): Promise<void> {
    const obj = a.object as ValidatingAdmissionPolicyBinding;
    const paramRef = obj.spec?.paramRef;
    if (!paramRef) return;
    const old = a.oldObject as ValidatingAdmissionPolicyBinding | undefined;
    if (
      a.operation === 'UPDATE' &&
      old?.spec?.paramRef &&
      jsonEqual(old.spec.paramRef, paramRef) &&
      old.spec.policyName === obj.spec?.policyName
    ) {
      return;
    }
    const p = obj.spec?.policyName ? await deps.getPolicy(obj.spec.policyName) : undefined;
    const target = paramResource(p?.spec?.paramKind);
    if (await mayGet(a.user, target, paramRef.namespace ?? '', paramRef.name ?? '')) return;
    const msg = `user ${goUserString(a.user)} does not have "get" permission on the object referenced by paramRef`;
    throw newInvalid({ group: GROUP, kind: 'ValidatingAdmissionPolicyBinding' }, a.name, [
      fieldErrors.forbidden('spec.paramRef', msg),
    ]);
  }

  return {
    name: 'ValidatingAdmissionPolicyParamAuthorization',
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async validate(a) {
      if (a.group !== GROUP || a.subresource || a.user.groups.includes('system:masters')) return;
      if (a.resource === 'validatingadmissionpolicies') await policy(a);
      else if (a.resource === 'validatingadmissionpolicybindings') await binding(a);
    },
  };
}
