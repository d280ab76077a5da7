// A Job's generated selector (pkg/registry/batch/job/strategy.go generateSelector) and its check
// (validation.go validateGeneratedSelector): unless manualSelector is true the Job selects its pods by
// its own uid, and its template carries the labels that make them match.
import type { Job, ObjectMeta } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import { goLabelSelector, goLabels } from '../../validation/gosyntax.js';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** The unprefixed labels, kept for clients that select on them. */
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** generateSelector: labels the user already set are left for validation to judge. */
export function generateSelector(job: Job): void {
  const spec = job.spec!;
  spec.template.metadata ??= {};
  const meta: Partial<ObjectMeta> = spec.template.metadata;
  meta.labels ??= {};
  const labels = meta.labels;
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(key in labels)) labels[key] = name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(key in labels)) labels[key] = uid;
  spec.selector ??= {};
  spec.selector.matchLabels ??= {};
  const matchLabels = spec.selector.matchLabels;
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

/** ValidateHasLabel. */
function validateHasLabel(labels: Readonly<Record<string, string>>, key: string, value: string): FieldError[] {
  const path = `spec.template.metadata.labels[${key}]`;
  if (!(key in labels)) return [fieldErrors.required(path, `must be '${value}'`)];
  return labels[key] === value ? [] : [fieldErrors.invalid(path, goLabels(labels), `must be '${value}'`)];
}

/**
 * validateGeneratedSelector. `requirePrefixedLabels`: the batch.kubernetes.io labels are required too
 * (always on create; on update only when the stored Job had them).
 */
export function validateGeneratedSelector(job: Job, requirePrefixedLabels: boolean): FieldError[] {
  const spec = job.spec;
  if (spec?.manualSelector === true || !spec?.selector) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  if (!uid) errs.push(fieldErrors.required('metadata.uid', ''));
  const labels = spec.template?.metadata?.labels ?? {};
  errs.push(...validateHasLabel(labels, LEGACY_CONTROLLER_UID_LABEL, uid));
  errs.push(...validateHasLabel(labels, LEGACY_JOB_NAME_LABEL, name));
  const expected: Record<string, string> = {};
  if (requirePrefixedLabels) {
    errs.push(...validateHasLabel(labels, CONTROLLER_UID_LABEL, uid));
    errs.push(...validateHasLabel(labels, JOB_NAME_LABEL, name));
    expected[CONTROLLER_UID_LABEL] = uid;
    expected[JOB_NAME_LABEL] = name;
  }
  expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  expected[LEGACY_JOB_NAME_LABEL] = name;
  let matches: boolean | undefined;
  try {
    matches = labelSelectorFromObject(spec.selector).matches(expected);
  } catch {
    // An unparsable selector is reported by the selector's own validation.
  }
  if (matches === false)
    errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  return errs;
}
