// One pod's placement (schedule_one.go's schedulePod): PreFilter, every node through the filters,
// the feasible ones scored, and the best picked at random among equals (selectHost's reservoir
// sample). A pod that fits nowhere gets a FitError with each node's reason.
import type { Pod } from '../api/index.js';
import { type Diagnosis, FitError, NO_NODES_AVAILABLE, newDiagnosis } from './fiterror.js';
import type { Framework } from './framework.js';
import type { CycleState } from './interface.js';
import type { NodeInfo } from './nodeinfo.js';
import { isRejected, messageOf, SchedulingError } from './status.js';

export interface ScheduleResult {
  readonly suggestedHost: string;
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
}

export type ScheduleOutcome =
  | { readonly kind: 'scheduled'; readonly result: ScheduleResult; readonly state: CycleState }
  /** No node at all: ErrNoNodesAvailable. */
  | { readonly kind: 'noNodes'; readonly message: typeof NO_NODES_AVAILABLE }
  | { readonly kind: 'unfit'; readonly error: FitError; readonly state: CycleState };

function findNodesThatFit(
  fwk: Framework,
  state: CycleState,
  pod: Pod,
  all: readonly NodeInfo[],
): { feasible: NodeInfo[]; diagnosis: Diagnosis } {
  const diagnosis = newDiagnosis();
  const pre = fwk.runPreFilter(state, pod, all);
  if (pre.status) {
    if (!isRejected(pre.status)) throw new SchedulingError(messageOf(pre.status));
    diagnosis.nodeToStatus.setAbsent(pre.status);
    diagnosis.preFilterMsg = messageOf(pre.status);
    for (const p of pre.plugins) diagnosis.unschedulablePlugins.add(p);
    return { feasible: [], diagnosis };
  }
  let nodes = all;
  if (pre.nodeNames) {
    const names = pre.nodeNames;
    nodes = all.filter((n) => names.has(n.name));
    const plugins = [...pre.plugins].sort();
    diagnosis.nodeToStatus.setAbsent({
      code: 'UnschedulableAndUnresolvable',
      reasons: [`node(s) didn't satisfy plugin(s) [${plugins.join(' ')}]`],
    });
    for (const p of plugins) diagnosis.unschedulablePlugins.add(p);
  }
  const feasible: NodeInfo[] = [];
  for (const n of nodes) {
    const s = fwk.runFilter(state, pod, n, pre.skip);
    if (!s) {
      feasible.push(n);
      continue;
    }
    if (!isRejected(s)) throw new SchedulingError(`running Filter plugin ${s.plugin}: ${messageOf(s)}`);
    diagnosis.nodeToStatus.set(n.name, s);
    if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
  }
  return { feasible, diagnosis };
}

/** selectHost: the highest total, each of several equals picked with equal chance. */
export function selectHost(names: readonly string[], scores: readonly number[], random: () => number): string {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < names.length; i++) {
    if (scores[i]! > scores[best]!) {
      best = i;
      ties = 1;
    } else if (scores[i] === scores[best]) {
      ties++;
      if (Math.floor(random() * ties) === 0) best = i;
    }
  }
  return names[best]!;
}

export function schedulePod(
  fwk: Framework,
  pod: Pod,
  nodes: readonly NodeInfo[],
  random: () => number = Math.random,
): ScheduleOutcome {
  if (nodes.length === 0) return { kind: 'noNodes', message: NO_NODES_AVAILABLE };
  const state: CycleState = new Map();
  const { feasible, diagnosis } = findNodesThatFit(fwk, state, pod, nodes);
  if (feasible.length === 0) return { kind: 'unfit', error: new FitError(nodes.length, diagnosis), state };
  const evaluatedNodes = feasible.length + diagnosis.nodeToStatus.size;
  if (feasible.length === 1) {
    return {
      kind: 'scheduled',
      result: { suggestedHost: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 },
      state,
    };
  }
  const scores = fwk.runScore(state, pod, feasible, nodes);
  const host = selectHost(
    feasible.map((n) => n.name),
    scores,
    random,
  );
  return {
    kind: 'scheduled',
    result: { suggestedHost: host, evaluatedNodes, feasibleNodes: feasible.length },
    state,
  };
}
