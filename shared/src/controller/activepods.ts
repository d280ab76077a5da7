// Which pods a workload controller counts and which it gives up first (k8s pkg/controller
// controller_utils.go: IsPodActive, IsPodTerminating, ActivePodsWithRanks; pkg/api/v1/pod:
// IsPodReady, IsPodAvailable, IsPodTerminal). The scale-down order prefers losing the pods that
// serve least: unscheduled, pending, not ready, cheap to delete, doubled up on a node, ready or made
// most recently (in logarithmic buckets, as LogarithmicScaleDown, on by default, does; ties go by
// uid), restarting most.
import type { Pod, PodCondition } from '../api/index.js';

/** The annotation (PodDeletionCost, on by default) by which users order a scale-down themselves. */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** podutil.IsPodTerminal: Succeeded or Failed. */
export function isPodTerminal(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** IsPodActive: not finished and not being deleted. */
export function isPodActive(p: Pod): boolean {
  return !isPodTerminal(p) && !p.metadata?.deletionTimestamp;
}

export function filterActivePods(pods: readonly Pod[]): Pod[] {
  return pods.filter(isPodActive);
}

/** IsPodTerminating: being deleted and not yet finished. */
export function isPodTerminating(p: Pod): boolean {
  return !isPodTerminal(p) && !!p.metadata?.deletionTimestamp;
}

/** GetPodReadyCondition: the first Ready condition, as upstream's lookup returns it. */
export function podReadyCondition(p: Pod): PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(p: Pod): boolean {
  return podReadyCondition(p)?.status === 'True';
}

/** When the pod last became Ready (undefined if it is not). */
export function podReadyTime(p: Pod): number | undefined {
  const c = podReadyCondition(p);
  return c?.status === 'True' && c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

/** IsPodAvailable: Ready for at least minReadySeconds. */
export function isPodAvailable(p: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(p)) return false;
  if (minReadySeconds === 0) return true;
  const since = podReadyTime(p);
  return since !== undefined && since + minReadySeconds * 1000 < now;
}

/** GetDeletionCostFromPodAnnotations: an int32, 0 when absent or malformed. */
export function podDeletionCost(p: Pod): number {
  const v = p.metadata?.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^[+-]?[0-9]+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** maxContainerRestarts: the most any of the pod's containers restarted. */
export const maxContainerRestarts = (p: Pod): number =>
  Math.max(0, ...(p.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));

const time = (t: string | undefined) => (t ? Date.parse(t) : undefined);

/** afterOrZero: the later (or missing) time goes first. */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

/** logarithmicRankDiff: compares ages by their power-of-two bucket in nanoseconds. */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const bucket = (t: number) => {
    const ns = (now - t) * 1e6;
    return ns > 0 ? Math.trunc(Math.log2(ns)) : -1;
  };
  return bucket(t1) - bucket(t2);
}

/** Newer first, by logarithmic bucket, ties by uid. */
function newerFirst(a: Pod, b: Pod, t1: number | undefined, t2: number | undefined, now: number): boolean {
  if (t1 === undefined || t2 === undefined) return afterOrZero(t1, t2);
  const diff = logarithmicRankDiff(t1, t2, now);
  if (diff === 0) return (a.metadata?.uid ?? '') < (b.metadata?.uid ?? '');
  return diff < 0;
}

export interface RankedPod {
  readonly pod: Pod;
  /** How many related pods share its node (getPodsRankedByRelatedPodsOnSameNode). */
  readonly rank: number;
}

/** ActivePodsWithRanks.Less: true when `a` should be deleted before `b`. */
export function deleteBefore(a: RankedPod, b: RankedPod, now: number): boolean {
  const [pa, pb] = [a.pod, b.pod];
  const [na, nb] = [pa.spec?.nodeName ?? '', pb.spec?.nodeName ?? ''];
  // 1. Unassigned < assigned.
  if (na !== nb && (na === '' || nb === '')) return na === '';
  // 2. Pending < Unknown < Running.
  const [oa, ob] = [PHASE_ORDINAL[pa.status?.phase ?? ''] ?? 0, PHASE_ORDINAL[pb.status?.phase ?? ''] ?? 0];
  if (oa !== ob) return oa < ob;
  // 3. Not ready < ready.
  const [ra, rb] = [isPodReady(pa), isPodReady(pb)];
  if (ra !== rb) return !ra;
  // 4. Lower deletion cost < higher.
  const [ca, cb] = [podDeletionCost(pa), podDeletionCost(pb)];
  if (ca !== cb) return ca < cb;
  // 5. Doubled up on a node < alone.
  if (a.rank !== b.rank) return a.rank > b.rank;
  // 6. Ready for less time < more.
  if (ra && rb) {
    const [ta, tb] = [podReadyTime(pa), podReadyTime(pb)];
    if (ta !== tb) return newerFirst(pa, pb, ta, tb, now);
  }
  // 7. More restarts < fewer.
  const [xa, xb] = [maxContainerRestarts(pa), maxContainerRestarts(pb)];
  if (xa !== xb) return xa > xb;
  // 8. Created more recently < earlier.
  const [ta, tb] = [time(pa.metadata?.creationTimestamp), time(pb.metadata?.creationTimestamp)];
  if (ta !== tb) return newerFirst(pa, pb, ta, tb, now);
  return false;
}

/** The pods in the order they should be deleted. */
export function sortForDeletion(pods: readonly RankedPod[], now: number = Date.now()): Pod[] {
  return [...pods].sort((a, b) => (deleteBefore(a, b, now) ? -1 : deleteBefore(b, a, now) ? 1 : 0)).map((r) => r.pod);
}
