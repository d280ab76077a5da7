// Whether a node can reach a volume (component-helpers storage/volume CheckNodeAffinity) or a class
// provision onto it (v1helper.MatchTopologySelectorTerms).
import type { TopologySelectorTerm } from '@mkube/shared/api';
import { LabelsSelector, newLabelRequirement } from '@mkube/shared/selectors';

export { volumeNodeAffinityMatches } from '@mkube/shared/volume';

/** MatchTopologySelectorTerms: no terms match everything; an empty term matches nothing. */
export function topologyMatches(
  terms: readonly TopologySelectorTerm[] | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => {
    const exprs = t.matchLabelExpressions ?? [];
    if (exprs.length === 0) return false;
    try {
      return LabelsSelector.of(exprs.map((e) => newLabelRequirement(e.key, 'in', e.values))).matches(labels);
    } catch {
      return false;
    }
  });
}
