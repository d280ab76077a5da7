// InterPodAffinity's PreFilter and Filter (filtering.go). PreFilter counts, per topology pair, the
// existing pods whose required anti-affinity the incoming pod would violate, and the existing pods
// that match the incoming pod's required affinity (all terms) and anti-affinity (each term). Filter
// then only looks up the node's pairs.

import type { Pod } from '../../api/index.js';
import {
  type AffinityTerm,
  affinityTermsOf,
  matchesAllTerms,
  type NamespaceLister,
  withSelectedNamespaces,
} from '../../framework/affinityterms.js';
import type { CycleState, PreFilterResult } from '../../framework/interface.js';
import type { NodeInfo, PodInfo } from '../../framework/nodeinfo.js';
import { type Status, status, unresolvable, unschedulable } from '../../framework/status.js';
import { countAffinity, countAntiAffinity, type PairCounts, pairKey } from './topology.js';

export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const STATE_KEY = 'PreFilterInterPodAffinity';

interface PreFilterState {
  readonly pod: Pod;
  /** The incoming pod's required terms, namespaceSelector unrolled into names. */
  readonly affinity: readonly AffinityTerm[];
  readonly antiAffinity: readonly AffinityTerm[];
  readonly nsLabels: Readonly<Record<string, string>>;
  /** Pairs where an existing pod's required anti-affinity matches the incoming pod. */
  readonly existingAntiAffinityCounts: PairCounts;
  /** Pairs holding pods that match all of the incoming pod's required affinity terms. */
  readonly affinityCounts: PairCounts;
  /** Pairs holding pods that match one of the incoming pod's required anti-affinity terms. */
  readonly antiAffinityCounts: PairCounts;
}

export function nsLabelsOf(pod: Pod, namespaces: NamespaceLister): Readonly<Record<string, string>> {
  return { ...namespaces.get(pod.metadata?.namespace ?? '')?.metadata?.labels };
}

export function preFilter(
  state: CycleState,
  pod: Pod,
  nodes: readonly NodeInfo[],
  namespaces: NamespaceLister,
): PreFilterResult | Status | undefined {
  const terms = affinityTermsOf(pod);
  const affinity = terms.requiredAffinity.map((t) => withSelectedNamespaces(t, namespaces));
  const antiAffinity = terms.requiredAntiAffinity.map((t) => withSelectedNamespaces(t, namespaces));
  const nsLabels = nsLabelsOf(pod, namespaces);
  const s: PreFilterState = {
    pod,
    affinity,
    antiAffinity,
    nsLabels,
    existingAntiAffinityCounts: new Map(),
    affinityCounts: new Map(),
    antiAffinityCounts: new Map(),
  };
  for (const n of nodes) for (const p of n.pods) count(s, p, n, 1);
  if (s.existingAntiAffinityCounts.size === 0 && affinity.length === 0 && antiAffinity.length === 0)
    return status('Skip');
  state.set(STATE_KEY, s);
  return undefined;
}

/** updateWithPod: `p` on `n` counted (+1) or forgotten (-1) in every map. */
function count(s: PreFilterState, p: PodInfo, n: NodeInfo, delta: number): void {
  countAntiAffinity(s.existingAntiAffinityCounts, s.pod, s.nsLabels, n.node, p.terms.requiredAntiAffinity, delta);
  countAffinity(s.affinityCounts, p.pod, n.node, s.affinity, delta);
  // The incoming pod's namespaces are unrolled: the existing pod's namespace labels are not needed.
  countAntiAffinity(s.antiAffinityCounts, p.pod, undefined, n.node, s.antiAffinity, delta);
}

export function removePod(state: CycleState, victim: PodInfo, node: NodeInfo): void {
  const s = state.get(STATE_KEY) as PreFilterState | undefined;
  if (!s) return;
  const copy: PreFilterState = {
    ...s,
    existingAntiAffinityCounts: new Map(s.existingAntiAffinityCounts),
    affinityCounts: new Map(s.affinityCounts),
    antiAffinityCounts: new Map(s.antiAffinityCounts),
  };
  count(copy, victim, node, -1);
  state.set(STATE_KEY, copy);
}

/**
 * Every affinity term's pair on the node must hold a matching pod; the first pod of a group whose
 * affinity matches itself may go anywhere the topology keys exist while no pod matches yet.
 */
function satisfiesAffinity(s: PreFilterState, labels: Readonly<Record<string, string>>): boolean {
  let podsExist = true;
  for (const t of s.affinity) {
    const v = labels[t.topologyKey];
    if (v === undefined) return false;
    if ((s.affinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinityCounts.size === 0 && matchesAllTerms(s.affinity, s.pod);
}

function satisfiesAntiAffinity(s: PreFilterState, labels: Readonly<Record<string, string>>): boolean {
  for (const t of s.antiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && (s.antiAffinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0) return false;
  }
  return true;
}

/** No existing pod's anti-affinity term covers any of the node's label pairs. */
function satisfiesExistingAntiAffinity(s: PreFilterState, labels: Readonly<Record<string, string>>): boolean {
  if (s.existingAntiAffinityCounts.size === 0) return true;
  for (const [k, v] of Object.entries(labels))
    if ((s.existingAntiAffinityCounts.get(pairKey(k, v)) ?? 0) > 0) return false;
  return true;
}

export function filter(state: CycleState, node: NodeInfo): Status | undefined {
  const s = state.get(STATE_KEY) as PreFilterState | undefined;
  if (!s) return undefined;
  const labels = node.node.metadata?.labels ?? {};
  // Affinity is unresolvable (removing pods adds none); the anti-affinities may be undone by preemption.
  if (!satisfiesAffinity(s, labels)) return unresolvable(ERR_REASON_AFFINITY);
  if (!satisfiesAntiAffinity(s, labels)) return unschedulable(ERR_REASON_ANTI_AFFINITY);
  if (!satisfiesExistingAntiAffinity(s, labels)) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
  return undefined;
}
