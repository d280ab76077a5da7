// The batch/v1 defaults (pkg/apis/batch/v1/defaults.go and the generated defaulters). Upstream runs
// them whenever it decodes a Job or CronJob, reads from storage included; the strategies run them on
// every create and update, so what is stored is what upstream would show.
import type { CronJob, Job, JobSpec } from '@mkube/shared/api';
import { defaultPodTemplateSpec } from '../core/poddefaults.js';

const MAX_INT32 = 2 ** 31 - 1;

/** SetDefaults_Job's spec part. */
function defaultJobSpec(spec: JobSpec): void {
  // A non-parallel job may leave both unset: both become 1. Parallelism alone set means a work queue.
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? MAX_INT32 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) if (!pattern.status) pattern.status = 'True';
  }
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
}

/**
 * SetDefaults_Job with the pod template's defaults. A Job without labels takes its template's: upstream
 * shares the map, so the labels the selector generation adds to the template show on the Job too
 * (`job-name=…`, `controller-uid=…` in `kubectl describe job`).
 */
export function defaultJob(job: Job): void {
  job.spec ??= { template: {} };
  job.spec.template ??= {};
  defaultJobSpec(job.spec);
  defaultPodTemplateSpec(job.spec.template.spec);
  const labels = job.spec.template.metadata?.labels;
  if (labels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...labels };
}

/**
 * SetDefaults_CronJob. The job template gets its pod template's defaults only: SetDefaults_Job is the
 * Job's, so completions, parallelism and backoffLimit stay unset until a Job is made from it.
 */
export function defaultCronJob(cj: CronJob): void {
  cj.spec ??= { schedule: '', jobTemplate: {} };
  const spec = cj.spec;
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  spec.jobTemplate ??= {};
  defaultPodTemplateSpec(spec.jobTemplate.spec?.template?.spec);
}
