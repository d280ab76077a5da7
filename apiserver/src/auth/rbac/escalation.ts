// Escalation prevention (pkg/registry/rbac/escalation_check.go, validation/rule.go): a user may
// create or update a Role/ClusterRole only with rules it already holds (or with verb `escalate` on
// it), and a binding only to a role whose rules it holds (or with verb `bind` on it). system:masters
// is exempt, as upstream. Using a ClusterRole aggregationRule (without `escalate`) takes full
// authority (clusterrole/policybased/storage.go).
import type { ClusterRole, KubeObject, PolicyRule, Role, RoleBinding } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { Authorizer, UserInfo } from '@mkube/shared/auth';
import type { AdmissionAttributes, AdmissionPlugin } from '../../admission/types.js';
import type { RbacAuthorizer } from './index.js';

const GROUP = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/** One verb on one resource (and name) or one URL: the unit rules are compared in. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const name of names)
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
      }
    }
  }
  return out;
}

const hasOrAll = (list: readonly string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

/** Whether `owner` grants everything the single-permission rule `sub` does (validation.ruleCovers). */
function covers(owner: PolicyRule, sub: PolicyRule): boolean {
  if (!hasOrAll(owner.verbs, sub.verbs[0]!)) return false;
  const url = sub.nonResourceURLs?.[0];
  if (url !== undefined) {
    return (owner.nonResourceURLs ?? []).some(
      (u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))),
    );
  }
  if (!hasOrAll(owner.apiGroups, sub.apiGroups![0]!)) return false;
  const resource = sub.resources![0]!;
  const ownsResource =
    hasOrAll(owner.resources, resource) ||
    (resource.includes('/') && (owner.resources ?? []).includes(`*/${resource.split('/')[1]}`));
  if (!ownsResource) return false;
  const ownerNames = owner.resourceNames ?? [];
  if (ownerNames.length === 0) return true;
  const name = sub.resourceNames?.[0];
  return name !== undefined && ownerNames.includes(name);
}

function quoteList(xs: readonly string[]): string {
  return `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
}

/** Go's compact rule string, e.g. {APIGroups:[""], Resources:["secrets"], Verbs:["get"]}. */
function compact(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${quoteList(r.apiGroups).replace(/" "/g, '", "')}`);
  if (r.resources?.length) parts.push(`Resources:${quoteList(r.resources).replace(/" "/g, '", "')}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${quoteList(r.resourceNames).replace(/" "/g, '", "')}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoteList(r.nonResourceURLs).replace(/" "/g, '", "')}`);
  parts.push(`Verbs:${quoteList(r.verbs).replace(/" "/g, '", "')}`);
  return `{${parts.join(', ')}}`;
}

export function missingRules(held: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdown).filter((sub) => !held.some((h) => covers(h, sub)));
}

export function rbacEscalation(rbac: RbacAuthorizer, authorizer: Authorizer): AdmissionPlugin {
  async function may(
    user: UserInfo,
    verb: 'escalate' | 'bind',
    resource: string,
    namespace: string,
    name: string,
  ): Promise<boolean> {
    const r = await authorizer.authorize({
      user,
      verb,
      isResourceRequest: true,
      path: '',
      namespace,
      apiGroup: GROUP,
      apiVersion: 'v1',
      resource,
      subresource: '',
      name,
    });
    return r.decision === 'Allow';
  }
  function refuse(a: AdmissionAttributes, missing: PolicyRule[]): never {
    const msg = `user ${JSON.stringify(a.user.username)} (groups=${quoteList(a.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compact).join('\n')}`;
    throw newForbidden({ group: GROUP, resource: a.resource }, a.name, msg);
  }
  return {
    name: 'RBACEscalation',
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async validate(a) {
      if (a.group !== GROUP || a.subresource || a.user.groups.includes('system:masters')) return;
      const ns = a.namespace;
      if (a.resource === 'roles' || a.resource === 'clusterroles') {
        if (await may(a.user, 'escalate', a.resource, ns, a.name)) return;
        const role = a.object as Role | ClusterRole;
        const held = rbac.heldRules(a.user, ns);
        const missing = missingRules(held, role.rules ?? []);
        if (missing.length) refuse(a, missing);
        // An aggregationRule can gather anything: setting, changing or dropping one takes * on *.*.
        const aggregates = (r: KubeObject | undefined) =>
          ((r as ClusterRole | undefined)?.aggregationRule?.clusterRoleSelectors?.length ?? 0) > 0;
        if (a.resource === 'clusterroles' && (aggregates(role) || aggregates(a.oldObject))) {
          if (missingRules(held, FULL_AUTHORITY).length) {
            throw newForbidden(
              { group: GROUP, resource: a.resource },
              a.name,
              'must have cluster-admin privileges to use the aggregationRule',
            );
          }
        }
        return;
      }
      if (a.resource === 'rolebindings' || a.resource === 'clusterrolebindings') {
        const ref = (a.object as RoleBinding).roleRef;
        const refResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
        // Asked in the binding's namespace (empty for a ClusterRoleBinding), as BindingAuthorized does.
        if (await may(a.user, 'bind', refResource, ns, ref.name)) return;
        const granted = ref.kind === 'ClusterRole' ? rbac.clusterRoleRules(ref.name) : rbac.roleRules(ns, ref.name);
        const missing = missingRules(rbac.heldRules(a.user, ns), granted);
        if (missing.length) refuse(a, missing);
      }
    },
  };
}
