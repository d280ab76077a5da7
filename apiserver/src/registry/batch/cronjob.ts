// batch/v1 CronJob (pkg/registry/batch/cronjob/strategy.go, validation.go ValidateCronJobCreate and
// ValidateCronJobUpdate): a schedule robfig/cron parses, an IANA time zone, and a job template valid
// as a Job's spec save the selector, which every Job made from it gets generated.
import type { CronJob, CronJobSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isValidTimeZone, parseStandardSchedule } from '@mkube/shared/cron';
import { jsonEqual } from '../../util/json.js';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { defaultCronJob } from './defaults.js';
import { validateJobTemplateSpec } from './jobvalidation.js';
import { warnIfNotDNSLabel } from './names.js';

/** The controller names a Job `<cronjob>-<11-character timestamp>`, and a Job name is a DNS label. */
const MAX_CRONJOB_NAME_LENGTH = 63 - 11;
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
// IANA naming rules (digits and '+' tolerated for legacy names).
const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** validateScheduleFormat. `allowTZ`: the stored schedule already had one (kept for old objects). */
function validateSchedule(schedule: string, allowTZ: boolean, timeZone: string | undefined): FieldError[] {
  const path = 'spec.schedule';
  const errs: FieldError[] = [];
  try {
    parseStandardSchedule(schedule);
  } catch (e) {
    errs.push(fieldErrors.invalid(path, schedule, (e as Error).message));
  }
  if (allowTZ && schedule.includes('TZ') && timeZone !== undefined)
    errs.push(fieldErrors.invalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  else if (!allowTZ && schedule.includes('TZ'))
    errs.push(fieldErrors.invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  return errs;
}

/** validateTimeZone: the name's shape first, then whether the time zone database knows it. */
function validateTimeZone(tz: string | undefined): FieldError[] {
  const path = 'spec.timeZone';
  if (tz === undefined) return [];
  if (tz === '') return [fieldErrors.invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_PART.test(part))
      return [fieldErrors.invalid(path, tz, `unknown time zone ${tz}`)];
  }
  const errs: FieldError[] = [];
  if (tz.toLowerCase() === 'local') {
    errs.push(
      fieldErrors.invalid(
        path,
        tz,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    );
  }
  // Go's time.LoadLocation("Local") succeeds; any other unknown name is its error.
  if (tz !== 'Local' && !isValidTimeZone(tz)) errs.push(fieldErrors.invalid(path, tz, `unknown time zone ${tz}`));
  return errs;
}

function validateCronJobSpec(
  spec: CronJobSpec | undefined,
  old: CronJobSpec | undefined,
  allowPrivileged: boolean,
): FieldError[] {
  const s = spec ?? { schedule: '', jobTemplate: {} };
  const errs: FieldError[] = [];
  if (!s.schedule) errs.push(fieldErrors.required('spec.schedule', ''));
  else errs.push(...validateSchedule(s.schedule, !!old && old.schedule.includes('TZ'), s.timeZone));
  errs.push(...validateNonnegativeField(s.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!old || old.timeZone !== s.timeZone) errs.push(...validateTimeZone(s.timeZone));
  const policy = s.concurrencyPolicy ?? '';
  if (policy === '') errs.push(fieldErrors.required('spec.concurrencyPolicy', ''));
  else if (!CONCURRENCY_POLICIES.includes(policy))
    errs.push(fieldErrors.notSupported('spec.concurrencyPolicy', policy, CONCURRENCY_POLICIES));
  errs.push(...validateJobTemplateSpec(s.jobTemplate, 'spec.jobTemplate', allowPrivileged));
  errs.push(...validateNonnegativeField(s.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonnegativeField(s.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

/** A CronJob's strategy under --allow-privileged (`allowPrivileged` false refuses privileged templates). */
export const cronJobStrategyFor = ({ allowPrivileged }: { allowPrivileged: boolean }): RESTStrategy<CronJob> => ({
  prepareForCreate(cj, ctx) {
    defaultCronJob(cj);
    cj.status = {};
    warnIfNotDNSLabel(cj.metadata.name, ctx);
  },
  prepareForUpdate(cj, old) {
    defaultCronJob(cj);
    cj.status = old.status ?? {};
  },
  validate(cj) {
    const errs = validateCronJobSpec(cj.spec, undefined, allowPrivileged);
    const name = cj.metadata.name ?? '';
    // Checked on create only, so CronJobs stored with longer names can still be updated and deleted.
    if (name.length > MAX_CRONJOB_NAME_LENGTH)
      errs.push(
        fieldErrors.invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`),
      );
    return errs;
  },
  validateUpdate: (cj, old) => validateCronJobSpec(cj.spec, old.spec, allowPrivileged),
  bumpsGeneration: (cj, old) => !jsonEqual(cj.spec, old.spec),
});

export const cronJobStatusStrategy: SubresourceStrategy<CronJob> = {
  prepareForUpdate(cj, old) {
    cj.spec = old.spec;
    cj.status ??= {};
  },
  // Upstream checks nothing in a CronJob's status.
  validateUpdate: () => [],
};
