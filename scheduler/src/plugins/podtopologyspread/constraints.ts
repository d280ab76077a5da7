// A pod's topology spread constraints as the plugin evaluates them (common.go): its own of one kind
// (DoNotSchedule for Filter, ScheduleAnyway for Score) with matchLabelKeys merged and the inclusion
// policies defaulted, or — for a pod with none — the cluster's default constraints counting the
// pods its Services and controller select.
import type { Node, NodeInclusionPolicy, TopologySpreadConstraint } from '@mkube/shared/api';
import { findUntoleratedTaint } from '@mkube/shared/api';
import { type LabelsSelector, labelSelectorFromObject } from '@mkube/shared/selectors';
import type { Pod } from '../../api/index.js';
import type { PodInfo } from '../../framework/nodeinfo.js';
import { requiredNodeAffinityMatches } from '../nodeselector.js';
import { doNotSchedule } from '../tolerations.js';
import { defaultSelector, type SpreadSources } from './defaultselector.js';

export type Action = TopologySpreadConstraint['whenUnsatisfiable'];

export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: LabelsSelector;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: NodeInclusionPolicy;
  readonly nodeTaintsPolicy: NodeInclusionPolicy;
}

/** PodTopologySpreadArgs: the constraints for pods that have none, and where they came from. */
export interface PodTopologySpreadArgs {
  readonly defaultConstraints: readonly TopologySpreadConstraint[];
  /** System: the built-in defaults, which also spread over nodes lacking some topology label. */
  readonly defaultingType: 'System' | 'List';
}

/** systemDefaultConstraints. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = [
  { topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

export const DEFAULT_POD_TOPOLOGY_SPREAD_ARGS: PodTopologySpreadArgs = {
  defaultConstraints: SYSTEM_DEFAULT_CONSTRAINTS,
  defaultingType: 'System',
};

/** The pod's values for matchLabelKeys, as `key In (v)` in the constraint's selector (a null one stays null). */
function selectorOf(c: TopologySpreadConstraint, podLabels: Readonly<Record<string, string>>): LabelsSelector {
  const sel = c.labelSelector;
  const extra = (c.matchLabelKeys ?? [])
    .filter((k) => k in podLabels)
    .map((k) => ({ key: k, operator: 'In' as const, values: [podLabels[k]!] }));
  if (!sel || extra.length === 0) return labelSelectorFromObject(sel);
  return labelSelectorFromObject({ ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] });
}

function ofAction(cs: readonly TopologySpreadConstraint[], pod: Pod, action: Action): SpreadConstraint[] {
  const labels = pod.metadata?.labels ?? {};
  return cs
    .filter((c) => c.whenUnsatisfiable === action)
    .map((c) => ({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: selectorOf(c, labels),
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
    }));
}

/** getConstraints / the constraints PreScore builds. */
export function constraintsOf(
  pod: Pod,
  action: Action,
  args: PodTopologySpreadArgs,
  sources: SpreadSources,
): SpreadConstraint[] {
  const own = pod.spec?.topologySpreadConstraints ?? [];
  if (own.length > 0) return ofAction(own, pod, action);
  const defaults = ofAction(args.defaultConstraints, pod, action);
  if (defaults.length === 0) return [];
  const selector = defaultSelector(pod, sources);
  if (selector.empty()) return [];
  return defaults.map((c) => ({ ...c, selector }));
}

export function nodeHasAllKeys(node: Node, cs: readonly SpreadConstraint[]): boolean {
  const labels = node.metadata?.labels ?? {};
  return cs.every((c) => c.topologyKey in labels);
}

/** matchNodeInclusionPolicies: whether `node` is one of the constraint's domains for `pod`. */
export function nodeIncluded(c: SpreadConstraint, pod: Pod, node: Node): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !requiredNodeAffinityMatches(pod, node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, doNotSchedule))
    return false;
  return true;
}

/** countPodsMatchSelector: pods of `namespace`, not terminating, that the selector matches (an empty one: none). */
export function countMatching(pods: readonly PodInfo[], selector: LabelsSelector, namespace: string): number {
  if (selector.empty()) return 0;
  let n = 0;
  for (const p of pods) {
    const m = p.pod.metadata;
    if (m?.deletionTimestamp || m?.namespace !== namespace) continue;
    if (selector.matches(m.labels ?? {})) n++;
  }
  return n;
}
