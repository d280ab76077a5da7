// batch/v1 Job (pkg/registry/batch/job/strategy.go): the spec is the user's, with a selector the
// apiserver generates from the Job's uid unless manualSelector is true; the status is the job
// controller's, written through /status.
import type { Job } from '@mkube/shared/api';
import { jsonEqual } from '../../util/json.js';
import { hasInvalidLabelValue } from '../rbac/selector.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { defaultJob } from './defaults.js';
import { validateJobStatusUpdate } from './jobstatus.js';
import { CREATE_OPTIONS, type JobValidationOptions, validateJob, validateJobUpdate } from './jobvalidation.js';
import { warnIfNotDNSLabel } from './names.js';
import { CONTROLLER_UID_LABEL, generateSelector, JOB_NAME_LABEL } from './selector.js';

/** validationOptionsForJob on update: what the stored Job allows the new one. */
function updateOptions(old: Job): JobValidationOptions {
  const labels = old.spec?.template?.metadata?.labels ?? {};
  return {
    allowInvalidLabelValueInSelector: !!old.spec?.selector && hasInvalidLabelValue(old.spec.selector),
    // Scheduling directives may change only while suspended and never started.
    allowMutableSchedulingDirectives: old.spec?.suspend === true && !old.status?.startTime,
    // Jobs stored before the prefixed labels existed are not failed for lacking them.
    requirePrefixedLabels: JOB_NAME_LABEL in labels && CONTROLLER_UID_LABEL in labels,
  };
}

/** A Job's strategy under --allow-privileged (`allowPrivileged` false refuses privileged templates). */
export const jobStrategyFor = ({ allowPrivileged }: { allowPrivileged: boolean }): RESTStrategy<Job> => ({
  prepareForCreate(job, ctx) {
    // The generic registry has given the Job its uid already: the selector is made of it.
    job.spec ??= { template: {} };
    job.spec.template ??= {};
    if (job.spec.manualSelector !== true) generateSelector(job);
    defaultJob(job);
    job.status = {};
    warnIfNotDNSLabel(job.metadata.name, ctx);
  },
  prepareForUpdate(job, old) {
    defaultJob(job);
    job.status = old.status ?? {};
  },
  validate: (job) => validateJob(job, { ...CREATE_OPTIONS, allowPrivileged }),
  validateUpdate: (job, old) => validateJobUpdate(job, old, { ...updateOptions(old), allowPrivileged }),
  bumpsGeneration: (job, old) => !jsonEqual(job.spec, old.spec),
  selectableFields: (job) => ({ 'status.successful': String(job.status?.succeeded ?? 0) }),
});

export const jobStatusStrategy: SubresourceStrategy<Job> = {
  prepareForUpdate(job, old) {
    job.spec = old.spec;
    job.status ??= {};
  },
  validateUpdate: (job, old) => validateJobStatusUpdate(job, old),
};
