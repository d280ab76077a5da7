// InterPodAffinity's PreScore, Score and NormalizeScore (scoring.go). For each existing pod, the
// weights of the terms that relate it and the incoming pod are summed per topology pair of its
// node: the incoming pod's preferred terms (+/-), the existing pod's required affinity terms
// (hardPodAffinityWeight) and its preferred terms (+/-). A node scores the sum over its pairs;
// the sums are then scaled min..max onto 0..100.
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../../api/index.js';
import {
  type AffinityTerm,
  affinityTermsOf,
  type NamespaceLister,
  termMatches,
  type WeightedAffinityTerm,
  withSelectedNamespaces,
} from '../../framework/affinityterms.js';
import { type CycleState, MAX_NODE_SCORE } from '../../framework/interface.js';
import type { NodeInfo, PodInfo } from '../../framework/nodeinfo.js';
import { type Status, status } from '../../framework/status.js';
import { nsLabelsOf } from './filtering.js';

/** InterPodAffinityArgs, with v1's defaults. */
export interface InterPodAffinityArgs {
  /** Weight of an existing pod's required affinity term the incoming pod matches (0 ignores them). */
  readonly hardPodAffinityWeight: number;
  /** Score only the incoming pod's own preferred terms. */
  readonly ignorePreferredTermsOfExistingPods: boolean;
}

export const DEFAULT_INTER_POD_AFFINITY_ARGS: InterPodAffinityArgs = {
  hardPodAffinityWeight: 1,
  ignorePreferredTermsOfExistingPods: false,
};

const STATE_KEY = 'PreScoreInterPodAffinity';

/** topologyKey → value → summed weight. */
type TopologyScore = Map<string, Map<string, number>>;

interface PreScoreState {
  readonly topologyScore: TopologyScore;
}

function add(score: TopologyScore, term: AffinityTerm, weight: number, node: Node): void {
  const value = node.metadata?.labels?.[term.topologyKey];
  if (value === undefined) return;
  const byValue = score.get(term.topologyKey) ?? new Map<string, number>();
  score.set(term.topologyKey, byValue);
  byValue.set(value, (byValue.get(value) ?? 0) + weight);
}

const hasAffinity = (p: Pod): boolean => !!(p.spec?.affinity?.podAffinity || p.spec?.affinity?.podAntiAffinity);

export function preScore(
  state: CycleState,
  pod: Pod,
  all: readonly NodeInfo[],
  namespaces: NamespaceLister,
  args: InterPodAffinityArgs,
): Status | undefined {
  const a = pod.spec?.affinity;
  const hasConstraints =
    (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ||
    (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
  if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return status('Skip');
  const terms = affinityTermsOf(pod);
  const preferredAffinity = terms.preferredAffinity.map((t) => withSelectedNamespaces(t, namespaces));
  const preferredAnti = terms.preferredAntiAffinity.map((t) => withSelectedNamespaces(t, namespaces));
  const nsLabels = nsLabelsOf(pod, namespaces);
  const score: TopologyScore = new Map();

  const sumTerms = (
    ts: readonly WeightedAffinityTerm[],
    p: Pod,
    labels: typeof nsLabels | undefined,
    sign: number,
    n: Node,
  ) => {
    for (const t of ts) if (termMatches(t, p, labels)) add(score, t, t.weight * sign, n);
  };
  const processExisting = (existing: PodInfo, n: Node) => {
    if (Object.keys(n.metadata?.labels ?? {}).length === 0) return;
    // The incoming pod's terms have their namespaces unrolled: no labels needed for the existing pod's.
    sumTerms(preferredAffinity, existing.pod, undefined, 1, n);
    sumTerms(preferredAnti, existing.pod, undefined, -1, n);
    if (args.hardPodAffinityWeight > 0)
      for (const t of existing.terms.requiredAffinity)
        if (termMatches(t, pod, nsLabels)) add(score, t, args.hardPodAffinityWeight, n);
    if (args.ignorePreferredTermsOfExistingPods) return;
    sumTerms(existing.terms.preferredAffinity, pod, nsLabels, 1, n);
    sumTerms(existing.terms.preferredAntiAffinity, pod, nsLabels, -1, n);
  };
  // Without preferred terms of its own, only existing pods with some affinity can add anything.
  for (const n of all) for (const p of n.pods) if (hasConstraints || hasAffinity(p.pod)) processExisting(p, n.node);
  if (score.size === 0) return status('Skip');
  state.set(STATE_KEY, { topologyScore: score } satisfies PreScoreState);
  return undefined;
}

export function score(state: CycleState, node: NodeInfo): number {
  const s = state.get(STATE_KEY) as PreScoreState | undefined;
  if (!s) return 0;
  const labels = node.node.metadata?.labels ?? {};
  let sum = 0;
  for (const [key, byValue] of s.topologyScore) {
    const v = labels[key];
    if (v !== undefined) sum += byValue.get(v) ?? 0;
  }
  return sum;
}

/** Scores may be negative: the lowest becomes 0, the highest MAX_NODE_SCORE. */
export function normalize(scores: number[], state: CycleState): void {
  if (!state.get(STATE_KEY)) return;
  const min = Math.min(...scores);
  const max = Math.max(...scores);
  const diff = max - min;
  for (let i = 0; i < scores.length; i++)
    // In Go's order of operations: a ratio first, then scaled and truncated.
    scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / diff)) : 0;
}
