// The Jobs a CronJob owns (upstream getJobsToBeReconciled, cleanupFinishedJobs, deleteJob): found
// by controller reference, finished ones beyond the history limits deleted oldest first.
import type { CronJob, Job } from '@mkube/shared/api';
import type { ResourceClient } from '@mkube/shared/client';
import { controllerOf } from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { finishedType } from '../job/conditions.js';

export { finishedType };

/** Every Job in the namespace whose controller reference names this CronJob. */
export function jobsToReconcile(all: readonly Job[], cj: CronJob): Job[] {
  return all.filter((j) => {
    const ref = controllerOf(j);
    return j.metadata?.namespace === cj.metadata?.namespace && ref !== undefined && ref.name === cj.metadata?.name;
  });
}

const startMs = (j: Job) => (j.status?.startTime ? Date.parse(j.status.startTime) : undefined);

/** byJobStartTime: started before not started, earlier first, then by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = startMs(a);
  const sb = startMs(b);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  return (sa ?? 0) - (sb ?? 0);
}

/** Deletes the Job (its pods follow in the background) and drops it from the active list. */
export async function deleteJob(
  cj: CronJob,
  job: Job,
  jobs: ResourceClient<Job>,
  recorder: EventRecorder,
  log: Logger,
): Promise<boolean> {
  const name = job.metadata?.name ?? '';
  try {
    await jobs.delete(name, { propagationPolicy: 'Background' });
  } catch (e) {
    recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
    log.warn({ job: name, err: (e as Error).message }, 'Error deleting job from cronjob');
    return false;
  }
  cj.status ??= {};
  const s = cj.status;
  s.active = (s.active ?? []).filter((r) => r.uid !== job.metadata?.uid);
  recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
  return true;
}

/** cleanupFinishedJobs: true when the status changed. */
export async function removeOldestJobs(
  cj: CronJob,
  jobs: readonly Job[],
  client: ResourceClient<Job>,
  recorder: EventRecorder,
  log: Logger,
): Promise<boolean> {
  const succeededLimit = cj.spec?.successfulJobsHistoryLimit;
  const failedLimit = cj.spec?.failedJobsHistoryLimit;
  if (succeededLimit === undefined && failedLimit === undefined) return false;
  let changed = false;
  const trim = async (list: Job[], limit: number | undefined) => {
    if (limit === undefined || list.length <= limit) return;
    list.sort(byStartTime);
    for (const j of list.slice(0, list.length - limit))
      if (await deleteJob(cj, j, client, recorder, log)) changed = true;
  };
  await trim(
    jobs.filter((j) => finishedType(j) === 'Complete'),
    succeededLimit,
  );
  await trim(
    jobs.filter((j) => finishedType(j) === 'Failed'),
    failedLimit,
  );
  return changed;
}
