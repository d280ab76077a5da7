// The rules apps/v1 kinds share (pkg/apis/apps/validation/validation.go): the selector and the
// template it must match, IntOrString percentages, non-negative counters and status sanity.
import type { IntOrString, LabelSelector, PodTemplateSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { type LabelsSelector, labelSelectorFromObject } from '@mkube/shared/selectors';
import { goIntOrString, goLabelSelector, goLabels } from '../../validation/gosyntax.js';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import { validatePodTemplateSpec } from '../../validation/podtemplate.js';
import { validateLabelSelector } from '../rbac/selector.js';

const PERCENT = /^[0-9]+%$/;
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: IntOrString | undefined, path: string): FieldError[] {
  if (typeof v === 'string') return PERCENT.test(v) ? [] : [fieldErrors.invalid(path, goIntOrString(v), PERCENT_MSG)];
  return validateNonnegativeField(v ?? 0, path);
}

/** getIntOrPercentValue: a percentage's number, an int's value, 0 for anything unparsable. */
export function intOrPercentValue(v: IntOrString | undefined): number {
  if (typeof v === 'string') return PERCENT.test(v) ? Number(v.slice(0, -1)) : 0;
  return v ?? 0;
}

/** IsNotMoreThan100Percent. */
export function isNotMoreThan100Percent(v: IntOrString | undefined, path: string): FieldError[] {
  if (typeof v !== 'string' || !PERCENT.test(v) || Number(v.slice(0, -1)) <= 100) return [];
  return [fieldErrors.invalid(path, goIntOrString(v), 'must not be greater than 100%')];
}

/** metav1.LabelSelectorAsSelector, or undefined when it does not parse. */
export function asSelector(sel: LabelSelector | undefined | null): LabelsSelector | undefined {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return undefined;
  }
}

/**
 * The strict selector checks of Deployments, ReplicaSets and StatefulSets: required, valid and not
 * empty (`kind` names the kind in upstream's words, which say "deployment" for ReplicaSets too).
 */
export function validateRequiredSelector(sel: LabelSelector | undefined | null, kind: string): FieldError[] {
  if (!sel) return [fieldErrors.required('spec.selector', '')];
  const errs = validateLabelSelector(sel, { allowInvalidLabelValueInSelector: false }, 'spec.selector');
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions?.length ?? 0) === 0)
    errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(sel), `empty selector is invalid for ${kind}`));
  return errs;
}

/** The template's labels must be selected by a selector that restricts anything. */
export function validateSelectorMatchesTemplate(
  selector: LabelsSelector,
  template: PodTemplateSpec | undefined,
): FieldError[] {
  const labels = template?.metadata?.labels;
  if (selector.empty() || selector.matches(labels ?? {})) return [];
  return [
    fieldErrors.invalid(
      'spec.template.metadata.labels',
      goLabels(labels),
      '`selector` does not match template `labels`',
    ),
  ];
}

/**
 * ValidatePodTemplateSpecForReplicaSet (Deployments, ReplicaSets), the DaemonSet's equivalent and
 * core's ValidatePodTemplateSpecForRC: the template as a pod, always restarted, without a deadline
 * (which core words as an invalid value, apps as a forbidden one).
 */
export function validateTemplateForController(
  template: PodTemplateSpec | undefined,
  kind: 'ReplicaSet' | 'DaemonSet' | 'ReplicationController',
  allowPrivileged: boolean,
): FieldError[] {
  const errs = validatePodTemplateSpec(template, 'spec.template', { allowPrivileged });
  const restartPolicy = template?.spec?.restartPolicy ?? '';
  if (restartPolicy !== 'Always')
    errs.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  const deadline = template?.spec?.activeDeadlineSeconds;
  if (deadline === undefined || deadline === null) return errs;
  const path = 'spec.template.spec.activeDeadlineSeconds';
  errs.push(
    kind === 'ReplicationController'
      ? fieldErrors.invalid(path, deadline, 'must not be specified')
      : fieldErrors.forbidden(path, `activeDeadlineSeconds in ${kind} is not Supported`),
  );
  return errs;
}

/** ValidateNonnegativeField over several counters of a status (absent counts as Go's zero). */
export function nonnegative(obj: Readonly<Record<string, unknown>> | undefined, fields: readonly string[], at: string) {
  return fields.flatMap((f) => {
    const v = obj?.[f];
    return typeof v === 'number' ? validateNonnegativeField(v, `${at}.${f}`) : [];
  });
}

/** `cannot be greater than status.replicas` and friends. */
export function notGreaterThan(
  status: Readonly<Record<string, unknown>> | undefined,
  field: string,
  limit: string,
  detail = `cannot be greater than status.${limit}`,
): FieldError[] {
  const v = (status?.[field] as number | undefined) ?? 0;
  const max = (status?.[limit] as number | undefined) ?? 0;
  return v > max ? [fieldErrors.invalid(`status.${field}`, v, detail)] : [];
}

/** IsDecremented for status.collisionCount. */
export function collisionCountDecremented(now: number | undefined, old: number | undefined): FieldError[] {
  if (old === undefined || old === null) return [];
  if (now !== undefined && now !== null && now >= old) return [];
  return [fieldErrors.invalid('status.collisionCount', now ?? 0, 'cannot be decremented')];
}
