// ValidateJob, ValidateJobSpec, ValidateJobTemplateSpec and ValidateJobUpdate
// (pkg/apis/batch/validation/validation.go), with upstream's paths and words.
import type { Job, JobSpec, JobTemplateSpec, PodSpec, PodTemplateSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1123Label, labelSelectorFromObject } from '@mkube/shared/selectors';
import { jsonClone } from '../../util/json.js';
import { goLabelSelector, goLabels } from '../../validation/gosyntax.js';
import {
  deepEqual,
  FIELD_IMMUTABLE_ERROR_MSG,
  validateImmutableField,
  validateNonnegativeField,
} from '../../validation/objectmeta.js';
import { validatePodTemplateSpec } from '../../validation/podtemplate.js';
import { validateLabelSelector } from '../rbac/selector.js';
import { validatePodFailurePolicy, validatePodReplacementPolicy, validateSuccessPolicy } from './policies.js';
import { validateGeneratedSelector } from './selector.js';

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000;
const MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_MANAGED_BY_LENGTH = 63;
const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const RESTART_POLICIES = ['OnFailure', 'Never'];
const DOMAIN_PREFIXED_PATH =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

export interface JobValidationOptions {
  /** The batch.kubernetes.io labels must be on the template (a Job created with them). */
  readonly requirePrefixedLabels: boolean;
  readonly allowInvalidLabelValueInSelector: boolean;
  /** Node affinity, node selector, tolerations, template labels, annotations and scheduling gates may change. */
  readonly allowMutableSchedulingDirectives: boolean;
  /** --allow-privileged: false refuses privileged containers in the template, as in pods. */
  readonly allowPrivileged?: boolean;
}

export const CREATE_OPTIONS: JobValidationOptions = {
  requirePrefixedLabels: true,
  allowInvalidLabelValueInSelector: false,
  allowMutableSchedulingDirectives: false,
};

function validateIndexed(spec: JobSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.completions === undefined)
    errs.push(fieldErrors.required(`${path}.completions`, 'when completion mode is Indexed'));
  if (spec.parallelism !== undefined && spec.parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
    errs.push(
      fieldErrors.invalid(
        `${path}.parallelism`,
        spec.parallelism,
        `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`,
      ),
    );
  }
  const maxFailed = spec.maxFailedIndexes;
  if (spec.completions !== undefined && maxFailed !== undefined && maxFailed > spec.completions)
    errs.push(fieldErrors.invalid(`${path}.maxFailedIndexes`, maxFailed, 'must be less than or equal to completions'));
  if (maxFailed !== undefined && maxFailed > MAX_FAILED_INDEXES_FOR_INDEXED_JOB) {
    errs.push(
      fieldErrors.invalid(
        `${path}.maxFailedIndexes`,
        maxFailed,
        `must be less than or equal to ${MAX_FAILED_INDEXES_FOR_INDEXED_JOB}`,
      ),
    );
  }
  if (
    spec.completions !== undefined &&
    spec.completions > COMPLETIONS_SOFT_LIMIT &&
    spec.backoffLimitPerIndex !== undefined
  ) {
    const high = `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
    if (maxFailed === undefined)
      errs.push(
        fieldErrors.required(
          `${path}.maxFailedIndexes`,
          `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`,
        ),
      );
    if (spec.parallelism !== undefined && spec.parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS) {
      errs.push(
        fieldErrors.invalid(
          `${path}.parallelism`,
          spec.parallelism,
          `must be less than or equal to ${PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} ${high}`,
        ),
      );
    }
    if (maxFailed !== undefined && maxFailed > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS) {
      errs.push(
        fieldErrors.invalid(
          `${path}.maxFailedIndexes`,
          maxFailed,
          `must be less than or equal to ${MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} ${high}`,
        ),
      );
    }
  }
  return errs;
}

/** The template's restart policy: the defaults turn an unset one into Always, which a Job refuses. */
function validateRestartPolicy(spec: JobSpec, path: string): FieldError[] {
  const p = `${path}.template.spec.restartPolicy`;
  const policy = spec.template?.spec?.restartPolicy ?? '';
  if (policy === 'Always' || policy === '') return [fieldErrors.required(p, 'valid values: "OnFailure", "Never"')];
  if (!RESTART_POLICIES.includes(policy)) return [fieldErrors.notSupported(p, policy, RESTART_POLICIES)];
  if (spec.podFailurePolicy && policy !== 'Never')
    return [fieldErrors.invalid(p, policy, 'only "Never" is supported when podFailurePolicy is specified')];
  return [];
}

/** validateJobSpec: what a Job's spec and a CronJob's job template share. */
function validateJobSpecCommon(spec: JobSpec, path: string, allowPrivileged: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
  ] as const) {
    errs.push(...validateNonnegativeField(spec[f], `${path}.${f}`));
  }
  if (spec.maxFailedIndexes !== undefined) {
    errs.push(...validateNonnegativeField(spec.maxFailedIndexes, `${path}.maxFailedIndexes`));
    if (spec.backoffLimitPerIndex === undefined)
      errs.push(fieldErrors.required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  if (spec.managedBy !== undefined) {
    if (!DOMAIN_PREFIXED_PATH.test(spec.managedBy))
      errs.push(
        fieldErrors.invalid(
          `${path}.managedBy`,
          spec.managedBy,
          'must be a domain-prefixed path (such as "acme.io/foo")',
        ),
      );
    if (spec.managedBy.length > MAX_MANAGED_BY_LENGTH)
      errs.push(fieldErrors.tooLong(`${path}.managedBy`, MAX_MANAGED_BY_LENGTH));
  }
  const mode = spec.completionMode;
  if (mode !== undefined) {
    if (!COMPLETION_MODES.includes(mode))
      errs.push(fieldErrors.notSupported(`${path}.completionMode`, mode, COMPLETION_MODES));
    if (mode === 'Indexed') errs.push(...validateIndexed(spec, path));
  }
  if (mode === undefined || mode === 'NonIndexed') {
    if (spec.backoffLimitPerIndex !== undefined)
      errs.push(
        fieldErrors.invalid(
          `${path}.backoffLimitPerIndex`,
          spec.backoffLimitPerIndex,
          'requires indexed completion mode',
        ),
      );
    if (spec.maxFailedIndexes !== undefined)
      errs.push(
        fieldErrors.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, 'requires indexed completion mode'),
      );
  }
  if (spec.podFailurePolicy) errs.push(...validatePodFailurePolicy(spec, `${path}.podFailurePolicy`));
  if (spec.successPolicy) {
    if (mode !== 'Indexed')
      errs.push(fieldErrors.invalid(`${path}.successPolicy`, spec.successPolicy, 'requires indexed completion mode'));
    else errs.push(...validateSuccessPolicy(spec, `${path}.successPolicy`));
  }
  errs.push(...validatePodReplacementPolicy(spec, `${path}.podReplacementPolicy`));
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`, { allowPrivileged }));
  errs.push(...validateRestartPolicy(spec, path));
  return errs;
}

/** ValidateJobSpec: the common rules, and a selector that exists and selects the template. */
function validateJobSpec(spec: JobSpec, path: string, opts: JobValidationOptions): FieldError[] {
  const errs = validateJobSpecCommon(spec, path, opts.allowPrivileged ?? true);
  if (!spec.selector) errs.push(fieldErrors.required(`${path}.selector`, ''));
  else
    errs.push(
      ...validateLabelSelector(
        spec.selector,
        { allowInvalidLabelValueInSelector: opts.allowInvalidLabelValueInSelector },
        `${path}.selector`,
      ),
    );
  let matches: boolean | undefined;
  try {
    matches = labelSelectorFromObject(spec.selector).matches(spec.template?.metadata?.labels ?? {});
  } catch {
    // Reported by the selector's validation above.
  }
  if (matches === false) {
    errs.push(
      fieldErrors.invalid(
        `${path}.template.metadata.labels`,
        goLabels(spec.template?.metadata?.labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  return errs;
}

/** ValidateJob (metadata is the generic registry's). */
export function validateJob(job: Job, opts: JobValidationOptions): FieldError[] {
  const spec = job.spec ?? { template: {} };
  const errs = [...validateGeneratedSelector(job, opts.requirePrefixedLabels), ...validateJobSpec(spec, 'spec', opts)];
  if (spec.completionMode === 'Indexed' && spec.completions !== undefined && spec.completions > 0) {
    // Indexed pods are named `<job>-<index>` as their hostname: the last one must be a DNS label.
    const hostname = `${job.metadata.name}-${spec.completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(
        fieldErrors.invalid(
          'metadata.name',
          job.metadata.name,
          `will not able to create pod with invalid DNS label: ${hostname}`,
        ),
      );
    }
  }
  return errs;
}

/** ValidateJobTemplateSpec: a CronJob's jobs always get a generated selector. */
export function validateJobTemplateSpec(
  tmpl: JobTemplateSpec | undefined,
  path: string,
  allowPrivileged = true,
): FieldError[] {
  const spec = tmpl?.spec ?? { template: {} };
  const errs = validateJobSpecCommon(spec, `${path}.spec`, allowPrivileged);
  if (spec.selector)
    errs.push(
      fieldErrors.invalid(`${path}.spec.selector`, goLabelSelector(spec.selector), '`selector` will be auto-generated'),
    );
  if (spec.manualSelector === true)
    errs.push(fieldErrors.notSupported(`${path}.spec.manualSelector`, spec.manualSelector, ['nil', 'false']));
  return errs;
}

/** validatePodTemplateUpdate: the scheduling directives of a suspended Job that never ran may change. */
function validatePodTemplateUpdate(spec: JobSpec, old: JobSpec, opts: JobValidationOptions): FieldError[] {
  const template = spec.template ?? {};
  let oldTemplate: PodTemplateSpec = old.template ?? {};
  if (opts.allowMutableSchedulingDirectives) {
    oldTemplate = jsonClone(oldTemplate);
    const cur: Partial<PodSpec> = template.spec ?? {};
    oldTemplate.spec ??= { containers: [] };
    const prev: Partial<PodSpec> = oldTemplate.spec;
    if (!cur.affinity && prev.affinity) {
      delete prev.affinity.nodeAffinity;
      if (Object.keys(prev.affinity).length === 0) delete prev.affinity;
    } else if (cur.affinity && !prev.affinity) {
      prev.affinity = cur.affinity.nodeAffinity ? { nodeAffinity: cur.affinity.nodeAffinity } : {};
    } else if (cur.affinity && prev.affinity) {
      if (cur.affinity.nodeAffinity) prev.affinity.nodeAffinity = cur.affinity.nodeAffinity;
      else delete prev.affinity.nodeAffinity;
    }
    assignOrDelete(prev, 'nodeSelector', cur.nodeSelector);
    assignOrDelete(prev, 'tolerations', cur.tolerations);
    assignOrDelete(prev, 'schedulingGates', cur.schedulingGates);
    oldTemplate.metadata ??= {};
    const meta = oldTemplate.metadata;
    assignOrDelete(meta, 'annotations', template.metadata?.annotations);
    assignOrDelete(meta, 'labels', template.metadata?.labels);
  }
  return validateImmutableField(template, oldTemplate, 'spec.template');
}

function assignOrDelete<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v === undefined) delete o[k];
  else o[k] = v;
}

/** validateCompletions with ElasticIndexedJob (GA): an Indexed Job scales completions with parallelism. */
function validateCompletions(spec: JobSpec, old: JobSpec): FieldError[] {
  if (spec.completionMode !== 'Indexed')
    return validateImmutableField(spec.completions, old.completions, 'spec.completions');
  if (spec.completions === old.completions || spec.completions === undefined) return [];
  if (spec.completions !== spec.parallelism)
    return [
      fieldErrors.invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'),
    ];
  return [];
}

/** ValidateJob and ValidateJobUpdate, as the strategy's ValidateUpdate runs both. */
export function validateJobUpdate(job: Job, old: Job, opts: JobValidationOptions): FieldError[] {
  const spec = job.spec ?? { template: {} };
  const oldSpec = old.spec ?? { template: {} };
  return [
    ...validateJob(job, opts),
    ...validateJobSpec(spec, 'spec', opts),
    ...validateCompletions(spec, oldSpec),
    ...(deepEqual(spec.selector, oldSpec.selector)
      ? []
      : [fieldErrors.invalid('spec.selector', goLabelSelector(spec.selector), FIELD_IMMUTABLE_ERROR_MSG)]),
    ...validatePodTemplateUpdate(spec, oldSpec, opts),
    ...validateImmutableField(spec.completionMode, oldSpec.completionMode, 'spec.completionMode'),
    ...validateImmutableField(spec.podFailurePolicy, oldSpec.podFailurePolicy, 'spec.podFailurePolicy'),
    ...validateImmutableField(spec.backoffLimitPerIndex, oldSpec.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'),
    ...validateImmutableField(spec.managedBy, oldSpec.managedBy, 'spec.managedBy'),
    ...validateImmutableField(spec.successPolicy, oldSpec.successPolicy, 'spec.successPolicy'),
  ];
}
