// PodTopologySpread's PreFilter and Filter (filtering.go): per DoNotSchedule constraint, the
// matching pods in each domain (a value of its topology key on the nodes that count); a node fits
// if placing the pod there keeps its domain within maxSkew of the smallest one — taken as 0 while
// fewer than minDomains domains exist.
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../../api/index.js';
import type { CycleState } from '../../framework/interface.js';
import type { NodeInfo, PodInfo } from '../../framework/nodeinfo.js';
import { type Status, status, unresolvable, unschedulable } from '../../framework/status.js';
import {
  constraintsOf,
  countMatching,
  nodeHasAllKeys,
  nodeIncluded,
  type PodTopologySpreadArgs,
  type SpreadConstraint,
} from './constraints.js';
import type { SpreadSources } from './defaultselector.js';

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const STATE_KEY = 'PreFilterPodTopologySpread';

interface PreFilterState {
  readonly constraints: readonly SpreadConstraint[];
  /** Per constraint: topology value → matching pods. Every domain that counts has an entry. */
  readonly matchNum: readonly Map<string, number>[];
}

export function preFilter(
  state: CycleState,
  pod: Pod,
  nodes: readonly NodeInfo[],
  args: PodTopologySpreadArgs,
  sources: SpreadSources,
): Status | undefined {
  const constraints = constraintsOf(pod, 'DoNotSchedule', args, sources);
  if (constraints.length === 0) return status('Skip');
  const matchNum = constraints.map(() => new Map<string, number>());
  const ns = pod.metadata?.namespace ?? '';
  for (const n of nodes) {
    // Only nodes with every topology key are domains at all.
    if (!nodeHasAllKeys(n.node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!nodeIncluded(c, pod, n.node)) return;
      const value = n.node.metadata?.labels?.[c.topologyKey] ?? '';
      const m = matchNum[i]!;
      m.set(value, (m.get(value) ?? 0) + countMatching(n.pods, c.selector, ns));
    });
  }
  state.set(STATE_KEY, { constraints, matchNum } satisfies PreFilterState);
  return undefined;
}

/** updateWithPod(-1): preemption's victim no longer counts in its domain. */
export function removePod(state: CycleState, pod: Pod, victim: PodInfo, node: Node): void {
  const s = state.get(STATE_KEY) as PreFilterState | undefined;
  if (!s || victim.pod.metadata?.namespace !== pod.metadata?.namespace) return;
  if (!nodeHasAllKeys(node, s.constraints)) return;
  const matchNum = s.matchNum.map((m) => new Map(m));
  s.constraints.forEach((c, i) => {
    if (!c.selector.matches(victim.pod.metadata?.labels ?? {}) || !nodeIncluded(c, pod, node)) return;
    const v = node.metadata?.labels?.[c.topologyKey] ?? '';
    matchNum[i]!.set(v, (matchNum[i]!.get(v) ?? 0) - 1);
  });
  state.set(STATE_KEY, { ...s, matchNum } satisfies PreFilterState);
}

/** The global minimum a domain's skew is measured from. */
function minMatch(m: ReadonlyMap<string, number>, minDomains: number): number {
  if (m.size < minDomains) return 0;
  return Math.min(...m.values());
}

export function filter(state: CycleState, pod: Pod, node: NodeInfo): Status | undefined {
  const s = state.get(STATE_KEY) as PreFilterState | undefined;
  if (!s) return undefined;
  const labels = node.node.metadata?.labels ?? {};
  const podLabels = pod.metadata?.labels ?? {};
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    const value = labels[c.topologyKey];
    if (value === undefined) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
    const m = s.matchNum[i]!;
    const self = c.selector.matches(podLabels) ? 1 : 0;
    const skew = (m.get(value) ?? 0) + self - minMatch(m, c.minDomains);
    if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
  }
  return undefined;
}
