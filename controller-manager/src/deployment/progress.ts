// syncRolloutStatus (k8s pkg/controller/deployment/progress.go): the status after a rollout step,
// with the Progressing condition — progressing while pods get updated, ready or available, complete
// once every replica is, ProgressDeadlineExceeded after progressDeadlineSeconds without progress —
// and a ReplicaSet's ReplicaFailure carried over. A rollout that is stuck is looked at again when
// its deadline passes, since no event would wake it.
import type { Deployment, ReplicaSet, WorkloadCondition } from '@mkube/shared/api';
import { type SyncContext, updateDeploymentStatus } from './context.js';
import { calculateStatus, statusEqual } from './sync.js';
import {
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  progressDeadlineSeconds,
  REASON,
  removeCondition,
  setCondition,
} from './util.js';

export async function syncRolloutStatus(
  c: SyncContext,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
): Promise<void> {
  const now = c.now();
  const status = calculateStatus(allRSs, newRS, d, new Date(now));
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  // One ReplicaSet already complete: a resync, not a rollout to estimate.
  const complete =
    (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === REASON.newRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const name = newRS?.metadata?.name;
    if (deploymentComplete(d, status)) {
      const msg = name
        ? `ReplicaSet "${name}" has successfully progressed.`
        : `Deployment "${d.metadata?.name}" has successfully progressed.`;
      setCondition(status, newCondition('Progressing', 'True', REASON.newRSAvailable, msg, new Date(now)));
    } else if (deploymentProgressing(d, status)) {
      const msg = name ? `ReplicaSet "${name}" is progressing.` : `Deployment "${d.metadata?.name}" is progressing.`;
      // Progress moves lastUpdateTime even with the same reason (SetDeploymentCondition would not).
      let cond = newCondition('Progressing', 'True', REASON.replicaSetUpdated, msg, new Date(now));
      if (current) {
        if (current.status === 'True') cond = { ...cond, lastTransitionTime: current.lastTransitionTime };
        removeCondition(status, 'Progressing');
      }
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, now)) {
      const msg = name
        ? `ReplicaSet "${name}" has timed out progressing.`
        : `Deployment "${d.metadata?.name}" has timed out progressing.`;
      setCondition(status, newCondition('Progressing', 'False', REASON.timedOut, msg, new Date(now)));
    }
  }
  const failure = replicaFailures(allRSs, newRS)[0];
  if (failure) setCondition(status, failure);
  else removeCondition(status, 'ReplicaFailure');

  if (statusEqual(d.status, status)) {
    requeueStuckDeployment(c, d, status, now);
    return;
  }
  d.status = status;
  await updateDeploymentStatus(c, d);
}

/** getReplicaFailures: the new ReplicaSet's failure first, else any old one's. */
function replicaFailures(
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
): WorkloadCondition[] {
  const of = (rs: ReplicaSet | undefined) =>
    (rs?.status?.conditions ?? [])
      .filter((x) => x.type === 'ReplicaFailure')
      .map((x) => ({
        type: x.type,
        status: x.status,
        ...(x.lastTransitionTime
          ? { lastTransitionTime: x.lastTransitionTime, lastUpdateTime: x.lastTransitionTime }
          : {}),
        ...(x.reason ? { reason: x.reason } : {}),
        ...(x.message ? { message: x.message } : {}),
      }));
  const fromNew = of(newRS);
  return fromNew.length > 0 ? fromNew : allRSs.flatMap(of);
}

/** requeueStuckDeployment: when no progress was seen, look again as the deadline passes. */
function requeueStuckDeployment(c: SyncContext, d: Deployment, status: Deployment['status'], now: number): void {
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return;
  if (deploymentComplete(d, status ?? {}) || current.reason === REASON.timedOut) return;
  const after = (Date.parse(current.lastUpdateTime ?? '') || 0) + progressDeadlineSeconds(d) * 1000 - now;
  if (after < 1000) c.enqueueRateLimited(d);
  else c.enqueueAfter(d, after + 1000);
}
