// What DefaultPreemption's PostFilter would say (preemption.Evaluator.Preempt), without preempting:
// mkube's scheduler evicts nobody, but its FailedScheduling text ends as kube-scheduler's does.
// Nodes rejected as unresolvable are "not helpful"; the others are dry-run without the pods of
// lower priority. When some node would fit that way upstream preempts and adds no text; mkube
// then adds none either (and says so in its log).
import type { Pod } from '../api/index.js';
import { type Diagnosis, fitErrorMessage, NodeToStatus } from './fiterror.js';
import type { Framework } from './framework.js';
import type { CycleState } from './interface.js';
import type { NodeInfo } from './nodeinfo.js';
import { unresolvable } from './status.js';

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_ELIGIBLE_NEVER = 'not eligible due to preemptionPolicy=Never.';

const priorityOf = (p: Pod): number => p.spec?.priority ?? 0;

export interface PostFilterResult {
  /** The "preemption: …" text ('' when upstream would have preempted). */
  readonly message: string;
  /** Nodes where evicting lower-priority pods would make room (upstream's candidates). */
  readonly candidates: readonly string[];
}

export function preemptionDiagnosis(
  fwk: Framework,
  state: CycleState,
  pod: Pod,
  nodes: readonly NodeInfo[],
  diagnosis: Diagnosis,
): PostFilterResult {
  if (pod.spec?.preemptionPolicy === 'Never') return { message: `preemption: ${NOT_ELIGIBLE_NEVER}`, candidates: [] };
  const statuses = new NodeToStatus();
  statuses.setAbsent(unresolvable(PREEMPTION_NOT_HELPFUL));
  const candidates: string[] = [];
  const mine = priorityOf(pod);
  const pre = fwk.runPreFilter(state, pod, nodes);
  for (const n of nodes) {
    if (diagnosis.nodeToStatus.get(n.name).code !== 'Unschedulable') continue;
    const victims = n.pods.filter((p) => priorityOf(p.pod) < mine);
    if (victims.length === 0) {
      statuses.set(n.name, unresolvable(NO_PREEMPTION_VICTIMS));
      continue;
    }
    const without = n.without((p) => priorityOf(p.pod) < mine);
    // Plugins that counted pods cluster-wide at PreFilter (pod affinity, topology spread) forget the victims.
    const dryRun = fwk.stateWithout(state, pod, victims, without, pre.skip);
    const s = fwk.runFilter(dryRun, pod, without, pre.skip);
    if (s) statuses.set(n.name, s);
    else candidates.push(n.name);
  }
  if (candidates.length > 0) return { message: '', candidates };
  const text = fitErrorMessage(nodes.length, {
    nodeToStatus: statuses,
    unschedulablePlugins: new Set(),
    preFilterMsg: '',
    postFilterMsg: '',
  });
  return { message: `preemption: ${text}`, candidates: [] };
}
