// When a CronJob's Jobs are due (upstream cronjob/utils.go): the most recent scheduled time not
// yet acted on, how many were missed (more than 100 is "too many"), how long until the next one,
// and the Job one scheduled time makes.
import type { CronJob, Job } from '@mkube/shared/api';
import { newControllerRef } from '@mkube/shared/controller';
import type { CronSchedule } from '@mkube/shared/cron';

/** What a CronJob writes into its Jobs' controller reference. */
export const CRONJOB_KIND = { apiVersion: 'batch/v1', kind: 'CronJob' } as const;

/** nextScheduleDelta: the requeue lands this long after the scheduled time (clock skew). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** batchv1.CronJobScheduledTimestampAnnotation. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export type Missed = 'none' | 'few' | 'many';

/** Without spec.timeZone a schedule is read in the controller-manager's own zone, as upstream's. */
const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export const scheduleZone = (cj: CronJob): string => cj.spec?.timeZone ?? localZone();

const next = (s: CronSchedule, cj: CronJob, after: number) => s.next(new Date(after), scheduleZone(cj)).getTime();

export interface MostRecent {
  readonly earliest: number;
  readonly mostRecent?: number;
  readonly missed: Missed;
  readonly error?: string;
}

/** mostRecentScheduleTime. */
export function mostRecentScheduleTime(cj: CronJob, now: number, s: CronSchedule, withDeadline: boolean): MostRecent {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? '');
  if (Number.isNaN(earliest)) earliest = now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (withDeadline && deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
  const t1 = next(s, cj, earliest);
  const t2 = next(s, cj, t1);
  // A day that never comes (31 February) gives no time at all: robfig's zero time.
  if (Number.isNaN(t1) || Number.isNaN(t2))
    return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  if (now < t1) return { earliest, missed: 'none' };
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1)
    return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  // A rough count of the missed times; then walk from just before the last ones to find it exactly.
  const missedCount = Math.trunc((now - t1) / 1000 / between) + 1;
  let mostRecent: number | undefined;
  for (let t = next(s, cj, t1 + (missedCount - 2) * between * 1000); t <= now; t = next(s, cj, t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, ...(mostRecent !== undefined ? { mostRecent } : {}), missed };
}

/** nextScheduleTimeDuration: how long until the next scheduled time (plus the delta). */
export function nextScheduleDelay(cj: CronJob, now: number, s: CronSchedule): number {
  const r = mostRecentScheduleTime(cj, now, s, false);
  let from: number;
  if (r.error) from = now;
  else if (r.mostRecent === undefined) from = r.missed === 'none' ? r.earliest : now;
  else from = r.mostRecent;
  return next(s, cj, from) + NEXT_SCHEDULE_DELTA_MS - now;
}

/** getJobName: the scheduled time in minutes since the epoch makes the name, and so a lock. */
export const jobName = (cj: CronJob, scheduled: number): string =>
  `${cj.metadata?.name ?? ''}-${Math.trunc(scheduled / 1000 / 60)}`;

/** time.Format(time.RFC3339) of `t` in the IANA zone `tz` ("Z" in UTC). */
export function rfc3339In(t: number, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  const off = (parts.timeZoneName ?? 'GMT').replace('GMT', '');
  // Go's "Z07:00" writes Z for any zero offset, whatever the zone.
  const zone = off === '' || off === '+00:00' ? 'Z' : off;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${zone}`;
}

/** RFC1123Z in UTC, as the MissSchedule event prints the time. */
export const rfc1123z = (t: number): string => new Date(t).toUTCString().replace('GMT', '+0000');

/** getJobFromTemplate2. */
export function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const tpl = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduled),
      namespace: cj.metadata?.namespace ?? '',
      labels: { ...tpl.metadata?.labels },
      // time.LoadLocation("") is UTC: without a timeZone the annotation is in UTC.
      annotations: {
        ...tpl.metadata?.annotations,
        [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduled, cj.spec?.timeZone ?? 'UTC'),
      },
      ownerReferences: [newControllerRef(cj, CRONJOB_KIND)],
    },
    spec: structuredClone(tpl.spec ?? { template: {} }),
  };
}
