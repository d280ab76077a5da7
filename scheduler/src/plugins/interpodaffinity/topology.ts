// Counts per topology pair (a node label key and its value), as both inter-pod affinity's filter
// and its score keep them. Pairs whose count drops to zero are removed, so an empty map means "no
// pod counted anywhere" (the self-affinity special case depends on that).
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../../api/index.js';
import { type AffinityTerm, termMatches } from '../../framework/affinityterms.js';

export type PairCounts = Map<string, number>;

export const pairKey = (key: string, value: string): string => `${key}\u0000${value}`;

/** Adds `delta` to the pair `node` has for `key`; a node without the label counts nowhere. */
export function addToPair(counts: PairCounts, node: Node, key: string, delta: number): void {
  const value = node.metadata?.labels?.[key];
  if (value === undefined) return;
  const k = pairKey(key, value);
  const n = (counts.get(k) ?? 0) + delta;
  if (n === 0) counts.delete(k);
  else counts.set(k, n);
}

/** updateWithAffinityTerms: `pod` counts once per term's pair only if it matches every term. */
export function countAffinity(counts: PairCounts, pod: Pod, node: Node, terms: readonly AffinityTerm[], delta: number) {
  if (terms.length === 0 || !terms.every((t) => termMatches(t, pod))) return;
  for (const t of terms) addToPair(counts, node, t.topologyKey, delta);
}

/** updateWithAntiAffinityTerms: each term `pod` matches counts on its own. */
export function countAntiAffinity(
  counts: PairCounts,
  pod: Pod,
  nsLabels: Readonly<Record<string, string>> | undefined,
  node: Node,
  terms: readonly AffinityTerm[],
  delta: number,
): void {
  for (const t of terms) if (termMatches(t, pod, nsLabels)) addToPair(counts, node, t.topologyKey, delta);
}
