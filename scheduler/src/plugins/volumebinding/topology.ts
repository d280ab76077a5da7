// Whether a node can reach a volume (component-helpers storage/volume CheckNodeAffinity) or a class
// provision onto it (v1helper.MatchTopologySelectorTerms).
import type { Node, PersistentVolume, TopologySelectorTerm } from '@mkube/shared/api';
import { LabelsSelector, newLabelRequirement } from '@mkube/shared/selectors';
import { termMatches } from '../nodeselector.js';

/**
 * CheckNodeAffinity: a PV's required node affinity against the node's labels only (upstream builds
 * a Node with nothing but the labels, so metadata.name fields never match).
 */
export function volumeNodeAffinityMatches(pv: PersistentVolume, labels: Readonly<Record<string, string>>): boolean {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return true;
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: '', labels: { ...labels } } };
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, node));
}

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
