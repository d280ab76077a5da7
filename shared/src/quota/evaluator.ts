// quota.Evaluator (k8s.io/apiserver/pkg/quota/v1): what one kind of object costs, which quota
// resource names and scopes it answers to, and what it must state for a quota to take it.
import type { KubeObject, ResourceQuota, ScopedResourceSelectorRequirement } from '../api/index.js';
import type { Usage } from './resources.js';
import { resourceNames } from './resources.js';
import { quotaScopeSelectors } from './scopes.js';

export interface Evaluator {
  readonly group: string;
  readonly resource: string;
  /** Whether an admission request (operation, subresource) may change usage. */
  handles(operation: string, subresource: string): boolean;
  /** The names among `names` this evaluator accounts for. */
  matchingResources(names: readonly string[]): string[];
  /** Whether the object matches one scope requirement. */
  matchesScope(r: ScopedResourceSelectorRequirement, obj: KubeObject): boolean;
  /** The requirements among `selectors` the object matches (only pods answer to scopes). */
  matchingScopes(
    obj: KubeObject,
    selectors: readonly ScopedResourceSelectorRequirement[],
  ): ScopedResourceSelectorRequirement[];
  /** The limited scopes no matched quota scope covers. */
  uncoveredQuotaScopes(
    limited: readonly ScopedResourceSelectorRequirement[],
    matched: readonly ScopedResourceSelectorRequirement[],
  ): ScopedResourceSelectorRequirement[];
  /** A refusal reason when the object does not state what the `required` resources need. */
  constraints(required: readonly string[], obj: KubeObject): string | undefined;
  /** What the object costs. */
  usage(obj: KubeObject, now: number): Usage;
}

/**
 * generic.Matches: the quota constrains at least one resource this evaluator tracks (by status.hard,
 * what the controller has observed), and the object matches every scope requirement.
 */
export function matches(e: Evaluator, q: ResourceQuota, obj: KubeObject, hard: Usage): boolean {
  if (e.matchingResources(resourceNames(hard)).length === 0) return false;
  return quotaScopeSelectors(q).every((r) => e.matchesScope(r, obj));
}

/** The behaviour of every evaluator but the pods': no scopes apply to it. */
export const NO_SCOPES = {
  matchesScope: () => false,
  matchingScopes: () => [],
  uncoveredQuotaScopes: () => [],
} satisfies Pick<Evaluator, 'matchesScope' | 'matchingScopes' | 'uncoveredQuotaScopes'>;
