// Quota scopes: spec.scopes are Exists requirements on a scope, spec.scopeSelector adds operators;
// a quota applies to an object only if every requirement matches it (GetScopeSelectorsFromQuota).
import type { ResourceQuota, ResourceQuotaSpec, ScopedResourceSelectorRequirement } from '../api/index.js';

export function scopeSelectorsOf(spec: ResourceQuotaSpec | undefined): ScopedResourceSelectorRequirement[] {
  return [
    ...(spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' as const })),
    ...(spec?.scopeSelector?.matchExpressions ?? []),
  ];
}

export const quotaScopeSelectors = (q: ResourceQuota) => scopeSelectorsOf(q.spec);

/**
 * A requirement over one label-like key, as a label selector evaluates it against a set that has the
 * key only when `value` is defined (ScopedResourceSelectorRequirementsAsSelector).
 */
export function requirementMatches(r: ScopedResourceSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    default:
      return false;
  }
}

/** Go's %v of a []ScopedResourceSelectorRequirement: `[{PriorityClass In [a b]}]`. */
export function formatScopes(rs: readonly ScopedResourceSelectorRequirement[]): string {
  return `[${rs.map((r) => `{${r.scopeName} ${r.operator} [${(r.values ?? []).join(' ')}]}`).join(' ')}]`;
}
