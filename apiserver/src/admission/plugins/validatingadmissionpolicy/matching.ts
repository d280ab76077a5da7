// Whether a policy's matchConstraints or a binding's matchResources select a request (k8s.io/apiserver
// pkg/admission/plugin/policy/matching): namespace and object selectors, then excludeResourceRules
// (a match there wins), then resourceRules with their resourceNames (none means every request).
// A selector error counts only when the rules select the request. matchPolicy Equivalent adds
// nothing: mkube serves each resource in one version, so a resource's only equivalent is itself.
import type { MatchResources, NamedRuleWithOperations } from '@mkube/shared/api';
import type { StatusError } from '@mkube/shared/apierrors';
import { type Labels, type LabelsSelector, labelSelectorFromObject } from '@mkube/shared/selectors';
import type { AdmissionAttributes } from '../../types.js';
import { matchNamespace, matchObject, ruleMatches } from '../../webhook/matching.js';

export interface ParsedMatchResources {
  readonly spec: MatchResources;
  readonly namespaceSelector: LabelsSelector | Error;
  readonly objectSelector: LabelsSelector | Error;
}

function parseSelector(s: MatchResources['namespaceSelector']): LabelsSelector | Error {
  try {
    return labelSelectorFromObject(s ?? {});
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export function parseMatchResources(spec: MatchResources): ParsedMatchResources {
  return {
    spec,
    namespaceSelector: parseSelector(spec.namespaceSelector),
    objectSelector: parseSelector(spec.objectSelector),
  };
}

function matchesRules(rules: readonly NamedRuleWithOperations[] | undefined, a: AdmissionAttributes): boolean {
  return (rules ?? []).some((r) => {
    if (!ruleMatches(r ?? {}, a)) return false;
    const names = r.resourceNames ?? [];
    return names.length === 0 || names.includes(a.name);
  });
}

export async function matchesResources(
  m: ParsedMatchResources,
  a: AdmissionAttributes,
  namespaceLabels: (name: string) => Promise<Labels>,
): Promise<{ matches: boolean; error?: StatusError }> {
  const ns = await matchNamespace(m.namespaceSelector, a, namespaceLabels);
  if (!ns.matches && !ns.error) return { matches: false };
  const obj = matchObject(m.objectSelector, a);
  if (!obj.matches && !obj.error) return { matches: false };
  if (matchesRules(m.spec.excludeResourceRules, a)) return { matches: false };
  const rules = m.spec.resourceRules ?? [];
  if (rules.length > 0 && !matchesRules(rules, a)) return { matches: false };
  const error = ns.error ?? obj.error;
  return error ? { matches: false, error } : { matches: true };
}
