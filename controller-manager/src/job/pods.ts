// What the job controller asks of a pod beyond the shared predicates: is it counted, has it
// failed; when did it finish; and which to delete first.
import type { Job, Pod } from '@mkube/shared/api';
import { isPodReady, maxContainerRestarts } from '@mkube/shared/controller';

/** batch.JobTrackingFinalizer: a pod keeps it until the controller has counted it in the Job status. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export const hasTrackingFinalizer = (p: Pod): boolean =>
  p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) === true;

/** onlyReplaceFailedPods: podReplacementPolicy Failed (a pod failure policy would imply it too). */
export const onlyReplaceFailedPods = (job: Job): boolean =>
  job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy !== undefined;

/** isPodFailed: Failed, or deleted before succeeding (unless only failed pods are replaced). */
export function isPodFailed(p: Pod, job: Job): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

const ms = (t: string | undefined) => (t ? Date.parse(t) : Number.NaN);

/**
 * getFinishedTime: the last container's end, else when Ready turned False, else the deletion
 * time less its grace period, else the creation time.
 */
export function finishedTime(p: Pod): number {
  const statuses = p.status?.containerStatuses ?? [];
  if (statuses.length > 0) {
    let latest: number | undefined;
    for (const s of statuses) {
      const t = ms(s.state?.terminated?.finishedAt);
      if (Number.isNaN(t)) {
        latest = undefined;
        break;
      }
      latest = latest === undefined ? t : Math.max(latest, t);
    }
    if (latest !== undefined) return latest;
  }
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && ready.lastTransitionTime) return ms(ready.lastTransitionTime);
  if (p.metadata?.deletionTimestamp)
    return ms(p.metadata.deletionTimestamp) - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return ms(p.metadata?.creationTimestamp) || 0;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * controller.ActivePods ordering: the pods least far along come first, so they are the ones
 * deleted — unscheduled before scheduled, pending before running, not ready before ready, more
 * restarts before fewer, newer before older.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const na = a.spec?.nodeName ? 1 : 0;
  const nb = b.spec?.nodeName ? 1 : 0;
  if (na !== nb) return na - nb;
  const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const ca = maxContainerRestarts(a);
  const cb = maxContainerRestarts(b);
  if (ca !== cb) return cb - ca;
  return ms(b.metadata?.creationTimestamp) - ms(a.metadata?.creationTimestamp) || 0;
}
