// PodTopologySpread's PreScore, Score and NormalizeScore (scoring.go): per ScheduleAnyway
// constraint (or default constraint), a node scores the matching pods of its domain, weighted by
// log(domains + 2) so that small topologies are not drowned by big ones, plus maxSkew - 1; fewer is
// better, so normalising reverses the scale. Nodes missing a topology key score 0, except that
// the system defaults spread over whichever keys a node has.
import type { Pod } from '../../api/index.js';
import { type CycleState, MAX_NODE_SCORE } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { type Status, status } from '../../framework/status.js';
import {
  constraintsOf,
  countMatching,
  nodeHasAllKeys,
  nodeIncluded,
  type PodTopologySpreadArgs,
  type SpreadConstraint,
} from './constraints.js';
import type { SpreadSources } from './defaultselector.js';

const STATE_KEY = 'PreScorePodTopologySpread';
const HOSTNAME = 'kubernetes.io/hostname';

interface PreScoreState {
  readonly constraints: readonly SpreadConstraint[];
  /** Feasible nodes that lack some topology key: they score 0. */
  readonly ignored: ReadonlySet<string>;
  /** Per constraint: domain value → matching pods (hostname is counted per node at Score). */
  readonly counts: readonly Map<string, number>[];
  readonly weights: readonly number[];
}

export function preScore(
  state: CycleState,
  pod: Pod,
  feasible: readonly NodeInfo[],
  all: readonly NodeInfo[],
  args: PodTopologySpreadArgs,
  sources: SpreadSources,
): Status | undefined {
  if (feasible.length === 0 || all.length === 0) return undefined;
  const constraints = constraintsOf(pod, 'ScheduleAnyway', args, sources);
  if (constraints.length === 0) return status('Skip');
  // The system defaults also spread over nodes that lack a zone label.
  const requireAll = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || args.defaultingType !== 'System';
  const ignored = new Set<string>();
  const counts = constraints.map(() => new Map<string, number>());
  for (const n of feasible) {
    if (requireAll && !nodeHasAllKeys(n.node, constraints)) {
      ignored.add(n.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey !== HOSTNAME) counts[i]!.set(n.node.metadata?.labels?.[c.topologyKey] ?? '', 0);
    });
  }
  const weights = constraints.map((c, i) =>
    Math.log((c.topologyKey === HOSTNAME ? feasible.length - ignored.size : counts[i]!.size) + 2),
  );
  const ns = pod.metadata?.namespace ?? '';
  // Pods on every node count, but only in the domains some feasible node is in.
  for (const n of all) {
    if (requireAll && !nodeHasAllKeys(n.node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!nodeIncluded(c, pod, n.node)) return;
      const value = n.node.metadata?.labels?.[c.topologyKey] ?? '';
      const m = counts[i]!;
      const cur = m.get(value);
      if (cur !== undefined) m.set(value, cur + countMatching(n.pods, c.selector, ns));
    });
  }
  state.set(STATE_KEY, { constraints, ignored, counts, weights } satisfies PreScoreState);
  return undefined;
}

export function score(state: CycleState, pod: Pod, node: NodeInfo): number {
  const s = state.get(STATE_KEY) as PreScoreState | undefined;
  if (!s || s.ignored.has(node.name)) return 0;
  const labels = node.node.metadata?.labels ?? {};
  let sum = 0;
  s.constraints.forEach((c, i) => {
    const value = labels[c.topologyKey];
    if (value === undefined) return;
    const n =
      c.topologyKey === HOSTNAME
        ? countMatching(node.pods, c.selector, pod.metadata?.namespace ?? '')
        : (s.counts[i]!.get(value) ?? 0);
    // maxSkew - 1 waters differences down: the larger maxSkew, the more skew the score tolerates.
    sum += n * s.weights[i]! + (c.maxSkew - 1);
  });
  return Math.round(sum);
}

/** Fewer matching pods is better: the lowest score maps to 100; ignored nodes get 0. */
export function normalize(scores: number[], state: CycleState, nodes: readonly NodeInfo[]): void {
  const s = state.get(STATE_KEY) as PreScoreState | undefined;
  if (!s) return;
  let min = Number.MAX_SAFE_INTEGER;
  let max = 0;
  nodes.forEach((n, i) => {
    if (s.ignored.has(n.name)) return;
    min = Math.min(min, scores[i]!);
    max = Math.max(max, scores[i]!);
  });
  nodes.forEach((n, i) => {
    if (s.ignored.has(n.name)) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
  });
}
