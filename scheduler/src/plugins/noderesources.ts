// NodeResourcesFit (filter: the node's allocatable less what its pods request must cover the pod;
// score: LeastAllocated over cpu and memory) and NodeResourcesBalancedAllocation (score: cpu and
// memory used in like proportion). Messages and arithmetic as upstream's fit.go,
// least_allocated.go and balanced_allocation.go.
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../api/index.js';
import { type CycleState, type FilterPlugin, MAX_NODE_SCORE, type ScorePlugin } from '../framework/interface.js';
import { NodeInfo } from '../framework/nodeinfo.js';
import { status, unschedulable } from '../framework/status.js';
import { podRequestAmounts, podRequests } from '../resource/requests.js';
import { CPU, MEMORY, type Resource } from '../resource/resource.js';
import { NAMES } from './names.js';

/** The reasons, one per resource short on the node, in upstream's order. */
export function insufficientResources(req: Resource, node: NodeInfo): string[] {
  const out: string[] = [];
  if (node.pods.length + 1 > node.allocatable.allowedPodNumber) out.push('Too many pods');
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar.size === 0) return out;
  const a = node.allocatable;
  const r = node.requested;
  if (req.milliCPU > 0 && req.milliCPU > a.milliCPU - r.milliCPU) out.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > a.memory - r.memory) out.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > a.ephemeralStorage - r.ephemeralStorage)
    out.push('Insufficient ephemeral-storage');
  for (const [name, q] of req.scalar) {
    if (q === 0) continue;
    if (q > (a.scalar.get(name) ?? 0) - (r.scalar.get(name) ?? 0)) out.push(`Insufficient ${name}`);
  }
  return out;
}

const REQUEST = 'PreFilterNodeResourcesFit';
const requestOf = (state: CycleState, pod: Pod): Resource =>
  (state.get(REQUEST) as Resource | undefined) ?? podRequests(pod);

/** Whether the pod would fit `node` were it empty (isFit, for the queueing hint). */
function fitsEmpty(pod: Pod, node: Node): boolean {
  return insufficientResources(podRequests(pod), new NodeInfo(node)).length === 0;
}

/** Whether an update grew something the pod asks for (haveAnyRequestedResourcesIncreased). */
function requestedResourcesIncreased(pod: Pod, old: Node, cur: Node): boolean {
  const req = podRequests(pod);
  const a = new NodeInfo(old).allocatable;
  const b = new NodeInfo(cur).allocatable;
  if (b.allowedPodNumber > a.allowedPodNumber) return true;
  if (req.milliCPU > 0 && b.milliCPU > a.milliCPU) return true;
  if (req.memory > 0 && b.memory > a.memory) return true;
  if (req.ephemeralStorage > 0 && b.ephemeralStorage > a.ephemeralStorage) return true;
  for (const [name, q] of req.scalar) if (q > 0 && (b.scalar.get(name) ?? 0) > (a.scalar.get(name) ?? 0)) return true;
  return false;
}

/** leastRequestedScore: the unused share of a resource on 0–100. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** The resources both scorers weigh (ScoringStrategy.Resources' default): cpu and memory, weight 1 each. */
const SCORED = [CPU, MEMORY] as const;

/** Allocatable and requested-with-the-pod per scored resource; `nonZero` picks NonZeroRequested. */
function allocation(node: NodeInfo, podRequest: readonly number[], nonZero: boolean) {
  const used = nonZero ? node.nonZeroRequested : node.requested;
  return SCORED.map((r, i) => {
    const alloc = r === CPU ? node.allocatable.milliCPU : node.allocatable.memory;
    const req = (r === CPU ? used.milliCPU : used.memory) + podRequest[i]!;
    return { alloc, req };
  });
}

function podRequestList(pod: Pod, nonMissing: boolean): number[] {
  const a = podRequestAmounts(pod, { nonMissing });
  return SCORED.map((r) => a.get(r) ?? 0);
}

const FIT_SCORE = 'PreScoreNodeResourcesFit';

export const nodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: NAMES.NodeResourcesFit,
  weight: 1,
  preFilter(state, pod) {
    state.set(REQUEST, podRequests(pod));
    return undefined;
  },
  filter(state, pod, node) {
    const reasons = insufficientResources(requestOf(state, pod), node);
    return reasons.length > 0 ? unschedulable(...reasons) : undefined;
  },
  queueingHint(pod, e) {
    if (e.kind === 'AssignedPodDelete') return 'Queue';
    if (e.kind === 'NodeAdd') return fitsEmpty(pod, e.node) ? 'Queue' : 'QueueSkip';
    if (e.kind === 'NodeUpdate' && e.changes.has('UpdateNodeAllocatable')) {
      return fitsEmpty(pod, e.node) && requestedResourcesIncreased(pod, e.old, e.node) ? 'Queue' : 'QueueSkip';
    }
    return 'QueueSkip';
  },
  preScore(state, pod) {
    state.set(FIT_SCORE, podRequestList(pod, true));
    return undefined;
  },
  score(state, pod, node) {
    const podRequest = (state.get(FIT_SCORE) as number[] | undefined) ?? podRequestList(pod, true);
    // LeastAllocated: the weighted mean of each resource's unused share, skipping resources the node lacks.
    let sum = 0;
    let weights = 0;
    for (const { alloc, req } of allocation(node, podRequest, true)) {
      if (alloc === 0) continue;
      sum += leastRequestedScore(req, alloc);
      weights += 1;
    }
    return weights === 0 ? 0 : Math.trunc(sum / weights);
  },
};

/** balancedResourceScorer: 100 × (1 − the standard deviation of the used shares). */
export function balancedScore(fractions: readonly number[]): number {
  const f = fractions.map((x) => Math.min(x, 1));
  let std = 0;
  if (f.length === 2) std = Math.abs((f[0]! - f[1]!) / 2);
  else if (f.length > 2) {
    const mean = f.reduce((a, b) => a + b, 0) / f.length;
    std = Math.sqrt(f.reduce((a, x) => a + (x - mean) ** 2, 0) / f.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

const BALANCED_SCORE = 'PreScoreNodeResourcesBalancedAllocation';

export const nodeResourcesBalancedAllocation: ScorePlugin = {
  name: NAMES.NodeResourcesBalancedAllocation,
  weight: 1,
  preScore(state, pod) {
    // As asked (useRequested): a best-effort pod is not scored, or every one would pile onto one node.
    const req = podRequestList(pod, false);
    if (req.every((r) => r === 0)) return status('Skip');
    state.set(BALANCED_SCORE, req);
    return undefined;
  },
  score(state, pod, node) {
    const podRequest = (state.get(BALANCED_SCORE) as number[] | undefined) ?? podRequestList(pod, false);
    const fractions = allocation(node, podRequest, false)
      .filter((x) => x.alloc !== 0)
      .map((x) => x.req / x.alloc);
    return balancedScore(fractions);
  },
};
