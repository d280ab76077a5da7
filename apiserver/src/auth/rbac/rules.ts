// RBAC rule evaluation (k8s pkg/apis/rbac/v1/evaluation_helpers.go): pure functions over a rule
// and the request's attributes.
import type { PolicyRule, Subject } from '@mkube/shared/api';
import type { Attributes, UserInfo } from '@mkube/shared/auth';

const ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.includes(ALL) || rule.verbs.includes(verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  const groups = rule.apiGroups ?? [];
  return groups.includes(ALL) || groups.includes(group);
}

/** `*`, the exact `resource[/subresource]`, or `*\/subresource`. */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

/** No resourceNames: any name; otherwise the request must name one of them. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (name !== '' && names.includes(name));
}

/** Exact path, or a prefix given by a trailing `*`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith(ALL) && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (a.isResourceRequest) {
    return (
      apiGroupMatches(rule, a.apiGroup) &&
      resourceMatches(rule, a.resource, a.subresource) &&
      resourceNameMatches(rule, a.name)
    );
  }
  return nonResourceURLMatches(rule, a.path);
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Whether a binding subject names this user (ServiceAccounts default to the binding's namespace). */
export function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.username;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount':
      return serviceAccountUsername(s.namespace || bindingNamespace, s.name) === user.username;
    default:
      return false;
  }
}

/** Kubernetes' spelling of a subject in an allow reason. */
export function describeSubject(s: Subject, bindingNamespace: string): string {
  return s.kind === 'ServiceAccount'
    ? `ServiceAccount "${s.name}/${s.namespace || bindingNamespace}"`
    : `${s.kind} "${s.name}"`;
}
