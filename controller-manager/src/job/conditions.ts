// Job conditions as upstream's job controller reads and writes them: a finished Job carries
// Complete or Failed (True); since 1.31 the interim SuccessCriteriaMet and FailureTarget come first,
// so clients see the outcome while the last pods still terminate.
import type { Job, JobCondition } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';

export type JobConditionType = 'Complete' | 'Failed' | 'Suspended' | 'FailureTarget' | 'SuccessCriteriaMet';

export function newCondition(
  type: JobConditionType,
  status: JobCondition['status'],
  reason: string,
  message: string,
  now: Date,
): JobCondition {
  const t = metaTime(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

export const findCondition = (job: Job, type: JobConditionType): JobCondition | undefined =>
  job.status?.conditions?.find((c) => c.type === type);

const trueCondition = (job: Job, type: JobConditionType) => findCondition(job, type)?.status === 'True';

/** Which terminal condition the Job has, if any (util.FinishedCondition). */
export function finishedType(job: Job): 'Complete' | 'Failed' | undefined {
  if (trueCondition(job, 'Complete')) return 'Complete';
  if (trueCondition(job, 'Failed')) return 'Failed';
  return undefined;
}

export const isJobFinished = (job: Job): boolean => finishedType(job) !== undefined;

/** The time the Job reached Complete or Failed. */
export function finishTime(job: Job): string | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.lastTransitionTime;
}

export const hasSuccessCriteriaMet = (job: Job): JobCondition | undefined => {
  const c = findCondition(job, 'SuccessCriteriaMet');
  return c?.status === 'True' ? c : undefined;
};

/**
 * ensureJobConditionStatus: replaces the condition of that type when its status, reason or message
 * differ; adds it unless it would be False (going from nothing to False says nothing).
 */
export function ensureCondition(
  list: readonly JobCondition[],
  type: JobConditionType,
  status: JobCondition['status'],
  reason: string,
  message: string,
  now: Date,
): { conditions: JobCondition[]; changed: boolean } {
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status === status && (c.reason ?? '') === reason && (c.message ?? '') === message)
      return { conditions: [...list], changed: false };
    const next = [...list];
    next[i] = newCondition(type, status, reason, message, now);
    return { conditions: next, changed: true };
  }
  if (status === 'False') return { conditions: [...list], changed: false };
  return { conditions: [...list, newCondition(type, status, reason, message, now)], changed: true };
}
