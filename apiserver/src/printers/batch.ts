// printJob and printCronJob (k/k pkg/printers/internalversion/printers.go, 1.33).
import type { CronJob, Job, JobCondition } from '@mkube/shared/api';
import { humanDuration, timestampSince } from './duration.js';
import { containerCells, formatLabelSelector } from './format.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const CONTAINERS_COLUMN = col('Containers', 'Names of each container in the template.', { priority: 1 });
const IMAGES_COLUMN = col('Images', 'Images referenced by each container in the template.', { priority: 1 });
const SELECTOR_COLUMN = col(
  'Selector',
  'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  { priority: 1 },
);

const hasCondition = (conds: readonly JobCondition[] | undefined, type: string): boolean =>
  (conds ?? []).some((c) => c.type === type && c.status === 'True');

/** The STATUS cell: a terminal condition first, then deletion, then the conditions under way. */
export function jobStatus(job: Job): string {
  const conds = job.status?.conditions;
  if (hasCondition(conds, 'Complete')) return 'Complete';
  if (hasCondition(conds, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(conds, 'Suspended')) return 'Suspended';
  if (hasCondition(conds, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(conds, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** `succeeded/completions`; a work queue (no completions) reads `n/1`, or `n/1 of <parallelism>`. */
export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** From startTime to completionTime, or to now while running; empty before it starts. */
export function jobDuration(job: Job, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(start));
}

export const jobPrinter: Printer = printer<Job>({
  columns: [
    NAME_COLUMN,
    col('Status', 'Status of the job.'),
    col(
      'Completions',
      'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
    ),
    col('Duration', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    jobStatus(o),
    jobCompletions(o),
    jobDuration(o, now),
    timestampSince(o.metadata.creationTimestamp, now),
    ...containerCells(o.spec?.template?.spec?.containers),
    formatLabelSelector(o.spec?.selector),
  ],
});

export const cronJobPrinter: Printer = printer<CronJob>({
  columns: [
    NAME_COLUMN,
    col('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col(
      'Timezone',
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
    ),
    col(
      'Suspend',
      'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
      { type: 'boolean' },
    ),
    col('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
    col('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.spec?.schedule ?? '',
    o.spec?.timeZone ?? '<none>',
    // printBoolPtr: `True`/`False` (a string, though the column says boolean), or `<unset>`.
    o.spec?.suspend === undefined ? '<unset>' : o.spec.suspend ? 'True' : 'False',
    o.status?.active?.length ?? 0,
    o.status?.lastScheduleTime ? timestampSince(o.status.lastScheduleTime, now) : '<none>',
    timestampSince(o.metadata.creationTimestamp, now),
    ...containerCells(o.spec?.jobTemplate?.spec?.template?.spec?.containers),
    formatLabelSelector(o.spec?.jobTemplate?.spec?.selector),
  ],
});
