// ValidateJobUpdateStatus with the options the job status strategy passes when JobManagedBy is on
// (beta, on by default in 1.33): a finished Job stays finished, counters do not go back, and each
// rule about a status field is checked only when the write changes that field, so a controller can
// go on writing the rest of a status a user's spec change made briefly inconsistent.
import type { Job, JobCondition, JobStatus } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { deepEqual, validateNonnegativeField } from '../../validation/objectmeta.js';
import { countIndexes, IndexesFormatError } from './indexes.js';

const isTrue = (conds: readonly JobCondition[] | undefined, type: string): boolean =>
  (conds ?? []).some((c) => c.type === type && c.status === 'True');
const complete = (j: Job) => isTrue(j.status?.conditions, 'Complete');
const failed = (j: Job) => isTrue(j.status?.conditions, 'Failed');
const finished = (j: Job) => complete(j) || failed(j);
const failureTarget = (j: Job) => isTrue(j.status?.conditions, 'FailureTarget');
const successCriteriaMet = (j: Job) => isTrue(j.status?.conditions, 'SuccessCriteriaMet');

/** What field.Invalid with field.OmitValueType prints: no value at all. */
const invalidNoValue = (path: string, detail: string): FieldError => ({ type: 'Invalid', field: path, detail });

function indexesError(path: string, text: string, completions: number, what: string): FieldError[] {
  try {
    countIndexes(text, completions);
    return [];
  } catch (e) {
    if (!(e instanceof IndexesFormatError)) throw e;
    return [fieldErrors.invalid(path, text, `error parsing ${what}: ${e.message}`)];
  }
}

/** validateFailedIndexesNotOverlapCompleted, with the sets spelled out (the texts are already checked). */
function expand(text: string): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.add(i);
  }
  return out;
}

function validateStatusFields(job: Job, old: Job): FieldError[] {
  const s: JobStatus = job.status ?? {};
  const o: JobStatus = old.status ?? {};
  const spec = job.spec;
  const errs = [
    ...validateNonnegativeField(s.active ?? 0, 'status.active'),
    ...validateNonnegativeField(s.succeeded ?? 0, 'status.succeeded'),
    ...validateNonnegativeField(s.failed ?? 0, 'status.failed'),
    ...validateNonnegativeField(s.ready, 'status.ready'),
    ...validateNonnegativeField(s.terminating, 'status.terminating'),
  ];
  const seen = new Set<string>();
  for (const kind of ['succeeded', 'failed'] as const) {
    (s.uncountedTerminatedPods?.[kind] ?? []).forEach((uid, i) => {
      const p = `status.uncountedTerminatedPods.${kind}[${i}]`;
      if (uid === '') errs.push(fieldErrors.invalid(p, uid, 'must not be empty'));
      else if (seen.has(uid)) errs.push(fieldErrors.duplicate(p, uid));
      else seen.add(uid);
    });
  }
  const changed = {
    finished: finished(old) !== finished(job),
    complete: complete(old) !== complete(job),
    failed: failed(old) !== failed(job),
    failureTarget: failureTarget(old) !== failureTarget(job),
    completedIndexes: (o.completedIndexes ?? '') !== (s.completedIndexes ?? ''),
    failedIndexes: o.failedIndexes !== s.failedIndexes,
    active: (o.active ?? 0) !== (s.active ?? 0),
    startTime: o.startTime !== s.startTime,
    completionTime: o.completionTime !== s.completionTime,
    uncounted: !deepEqual(o.uncountedTerminatedPods, s.uncountedTerminatedPods),
  };
  const isIndexed = spec?.completionMode === 'Indexed';
  if ((changed.complete || changed.failed) && complete(job) && failed(job))
    errs.push(invalidNoValue('status.conditions', 'cannot set Complete=True and Failed=true conditions'));
  if ((changed.complete || changed.failureTarget) && complete(job) && failureTarget(job))
    errs.push(invalidNoValue('status.conditions', 'cannot set Complete=True and FailureTarget=true conditions'));
  if ((changed.complete || changed.completionTime) && s.completionTime && !complete(job)) {
    errs.push(
      fieldErrors.invalid(
        'status.completionTime',
        s.completionTime,
        'cannot set completionTime when there is no Complete=True condition',
      ),
    );
  }
  if ((changed.complete || changed.completionTime) && !s.completionTime && complete(job))
    errs.push(fieldErrors.required('status.completionTime', 'completionTime is required for Complete jobs'));
  if (
    (changed.startTime || changed.completionTime) &&
    s.startTime &&
    s.completionTime &&
    Date.parse(s.completionTime) < Date.parse(s.startTime)
  ) {
    errs.push(
      fieldErrors.invalid('status.completionTime', s.completionTime, 'completionTime cannot be set before startTime'),
    );
  }
  if ((changed.active || changed.finished) && (s.active ?? 0) > 0 && finished(job))
    errs.push(fieldErrors.invalid('status.active', s.active, 'active>0 is invalid for finished job'));
  if ((changed.finished || changed.startTime) && !s.startTime && finished(job))
    errs.push(fieldErrors.required('status.startTime', 'startTime is required for finished job'));
  const uncounted = s.uncountedTerminatedPods;
  if (
    (changed.finished || changed.uncounted) &&
    finished(job) &&
    (uncounted?.failed?.length ?? 0) + (uncounted?.succeeded?.length ?? 0) > 0
  ) {
    errs.push(
      fieldErrors.invalid(
        'status.uncountedTerminatedPods',
        uncounted,
        'uncountedTerminatedPods needs to be empty for finished job',
      ),
    );
  }
  const completions = spec?.completions;
  if (changed.completedIndexes && completions !== undefined)
    errs.push(...indexesError('status.completedIndexes', s.completedIndexes ?? '', completions, 'completedIndexes'));
  if (
    changed.failedIndexes &&
    completions !== undefined &&
    spec?.backoffLimitPerIndex !== undefined &&
    s.failedIndexes !== undefined
  )
    errs.push(...indexesError('status.failedIndexes', s.failedIndexes, completions, 'failedIndexes'));
  if (changed.completedIndexes && s.completedIndexes && !isIndexed) {
    errs.push(
      fieldErrors.invalid(
        'status.completedIndexes',
        s.completedIndexes,
        'cannot set non-empty completedIndexes when non-indexed completion mode',
      ),
    );
  }
  if (changed.failedIndexes && spec?.backoffLimitPerIndex === undefined && s.failedIndexes !== undefined) {
    errs.push(
      fieldErrors.invalid(
        'status.failedIndexes',
        s.failedIndexes,
        'cannot set non-null failedIndexes when backoffLimitPerIndex is null',
      ),
    );
  }
  if (
    (changed.failedIndexes || changed.completedIndexes) &&
    completions !== undefined &&
    s.failedIndexes !== undefined
  ) {
    const done = expand(s.completedIndexes ?? '');
    const overlap = [...expand(s.failedIndexes)].find((i) => done.has(i));
    if (overlap !== undefined) {
      errs.push(
        fieldErrors.invalid(
          'status.failedIndexes',
          s.failedIndexes,
          `failedIndexes and completedIndexes overlap at index: ${overlap}`,
        ),
      );
    }
  }
  if (successCriteriaMet(job) && failed(job))
    errs.push(invalidNoValue('status.conditions', 'cannot set SuccessCriteriaMet=True and Failed=true conditions'));
  if (successCriteriaMet(job) && failureTarget(job))
    errs.push(
      invalidNoValue('status.conditions', 'cannot set SuccessCriteriaMet=True and FailureTarget=true conditions'),
    );
  if (spec?.successPolicy && !successCriteriaMet(job) && complete(job)) {
    errs.push(
      invalidNoValue(
        'status.conditions',
        'cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True',
      ),
    );
  }
  return errs;
}

/** ValidateJobStatusUpdate's transitions. */
function validateTransitions(job: Job, old: Job): FieldError[] {
  const s: JobStatus = job.status ?? {};
  const o: JobStatus = old.status ?? {};
  const errs: FieldError[] = [];
  for (const type of ['Failed', 'Complete', 'FailureTarget']) {
    if (isTrue(o.conditions, type) && !isTrue(s.conditions, type))
      errs.push(invalidNoValue('status.conditions', `cannot disable the terminal ${type}=True condition`));
  }
  if ((s.failed ?? 0) < (o.failed ?? 0))
    errs.push(fieldErrors.invalid('status.failed', s.failed ?? 0, 'cannot decrease the failed counter'));
  // An elastic Indexed Job (completions == parallelism) may be scaled down, succeeded with it.
  const elastic = job.spec?.completionMode === 'Indexed' && job.spec.completions === job.spec.parallelism;
  if (!elastic && (s.succeeded ?? 0) < (o.succeeded ?? 0))
    errs.push(fieldErrors.invalid('status.succeeded', s.succeeded ?? 0, 'cannot decrease the succeeded counter'));
  if (s.completionTime && o.completionTime && s.completionTime !== o.completionTime)
    errs.push(fieldErrors.invalid('status.completionTime', s.completionTime, 'completionTime cannot be mutated'));
  if (o.startTime && o.startTime !== s.startTime && job.spec?.suspend !== true)
    errs.push(fieldErrors.required('status.startTime', 'startTime cannot be removed for unsuspended job'));
  if (successCriteriaMet(old) && !successCriteriaMet(job))
    errs.push(invalidNoValue('status.conditions', 'cannot disable the SuccessCriteriaMet=True condition'));
  if (complete(old) && !successCriteriaMet(old) && successCriteriaMet(job)) {
    errs.push(
      invalidNoValue(
        'status.conditions',
        'cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions',
      ),
    );
  }
  return errs;
}

export function validateJobStatusUpdate(job: Job, old: Job): FieldError[] {
  return [...validateStatusFields(job, old), ...validateTransitions(job, old)];
}
