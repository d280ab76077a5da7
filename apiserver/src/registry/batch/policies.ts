// A JobSpec's podFailurePolicy, successPolicy and podReplacementPolicy (validation.go
// validatePodFailurePolicy, validateSuccessPolicy, validatePodReplacementPolicy).
import type { JobSpec, PodFailurePolicyRule } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isQualifiedName } from '@mkube/shared/selectors';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import { countIndexes, IndexesFormatError } from './indexes.js';

const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_ON_EXIT_CODES_VALUES = 255;
const MAX_ON_POD_CONDITIONS_PATTERNS = 20;
const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;
// sets.List order: sorted.
const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];
const REPLACEMENT_POLICIES = ['Failed', 'TerminatingOrFailed'];

/** Go's %q of a []string: `["a" "b"]`. */
const quotedList = (values: readonly string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** What a field.Invalid with field.OmitValueType prints: no value at all. */
function invalidOmitValue(path: string, detail: string): FieldError {
  return { type: 'Invalid', field: path, detail };
}

function validateRule(spec: JobSpec, rule: PodFailurePolicyRule, path: string, containers: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const actionPath = `${path}.action`;
  if (!rule.action) errs.push(fieldErrors.required(actionPath, `valid values: ${quotedList(ACTIONS)}`));
  else if (rule.action === 'FailIndex') {
    if (spec.backoffLimitPerIndex === undefined)
      errs.push(fieldErrors.invalid(actionPath, rule.action, 'requires the backoffLimitPerIndex to be set'));
  } else if (!ACTIONS.includes(rule.action)) errs.push(fieldErrors.notSupported(actionPath, rule.action, ACTIONS));
  const onExit = rule.onExitCodes;
  if (onExit) {
    const p = `${path}.onExitCodes`;
    if (!onExit.operator) errs.push(fieldErrors.required(`${p}.operator`, `valid values: ${quotedList(OPERATORS)}`));
    else if (!OPERATORS.includes(onExit.operator))
      errs.push(fieldErrors.notSupported(`${p}.operator`, onExit.operator, OPERATORS));
    if (onExit.containerName !== undefined && !containers.has(onExit.containerName)) {
      errs.push(
        fieldErrors.invalid(
          `${p}.containerName`,
          onExit.containerName,
          'must be one of the container or initContainer names in the pod template',
        ),
      );
    }
    const values = onExit.values ?? [];
    if (values.length === 0) errs.push(fieldErrors.invalid(`${p}.values`, values, 'at least one value is required'));
    else if (values.length > MAX_ON_EXIT_CODES_VALUES)
      errs.push(fieldErrors.tooMany(`${p}.values`, values.length, MAX_ON_EXIT_CODES_VALUES));
    const seen = new Set<number>();
    values.forEach((v, j) => {
      if (onExit.operator === 'In' && v === 0)
        errs.push(fieldErrors.invalid(`${p}.values[${j}]`, v, 'must not be 0 for the In operator'));
      if (seen.has(v)) errs.push(fieldErrors.duplicate(`${p}.values[${j}]`, v));
      seen.add(v);
    });
    if (values.some((v, j) => j > 0 && values[j - 1]! > v))
      errs.push(fieldErrors.invalid(`${p}.values`, values, 'must be ordered'));
  }
  const onConds = rule.onPodConditions ?? [];
  if (onConds.length > MAX_ON_POD_CONDITIONS_PATTERNS)
    errs.push(fieldErrors.tooMany(`${path}.onPodConditions`, onConds.length, MAX_ON_POD_CONDITIONS_PATTERNS));
  onConds.forEach((c, j) => {
    const p = `${path}.onPodConditions[${j}]`;
    for (const m of isQualifiedName(c.type ?? '')) errs.push(fieldErrors.invalid(`${p}.type`, c.type ?? '', m));
    if (!c.status) errs.push(fieldErrors.required(`${p}.status`, `valid values: ${quotedList(CONDITION_STATUSES)}`));
    else if (!CONDITION_STATUSES.includes(c.status))
      errs.push(fieldErrors.notSupported(`${p}.status`, c.status, CONDITION_STATUSES));
  });
  if (onExit && onConds.length > 0)
    errs.push(invalidOmitValue(path, 'specifying both OnExitCodes and OnPodConditions is not supported'));
  if (!onExit && onConds.length === 0)
    errs.push(invalidOmitValue(path, 'specifying one of OnExitCodes and OnPodConditions is required'));
  return errs;
}

export function validatePodFailurePolicy(spec: JobSpec, path: string): FieldError[] {
  const rules = spec.podFailurePolicy?.rules ?? [];
  const errs: FieldError[] = [];
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES)
    errs.push(fieldErrors.tooMany(`${path}.rules`, rules.length, MAX_POD_FAILURE_POLICY_RULES));
  const podSpec = spec.template?.spec;
  const containers = new Set([...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])].map((c) => c.name));
  rules.forEach((r, i) => {
    errs.push(...validateRule(spec, r, `${path}.rules[${i}]`, containers));
  });
  return errs;
}

export function validateSuccessPolicy(spec: JobSpec, path: string): FieldError[] {
  const rules = spec.successPolicy?.rules ?? [];
  const errs: FieldError[] = [];
  if (rules.length === 0)
    errs.push(
      fieldErrors.required(`${path}.rules`, 'at least one rules must be specified when the successPolicy is specified'),
    );
  if (rules.length > MAX_SUCCESS_POLICY_RULES)
    errs.push(fieldErrors.tooMany(`${path}.rules`, rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = spec.completions ?? 0;
  rules.forEach((rule, i) => {
    const p = `${path}.rules[${i}]`;
    if (rule.succeededCount === undefined && rule.succeededIndexes === undefined)
      errs.push(fieldErrors.required(p, 'at least one of succeededCount or succeededIndexes must be specified'));
    let total = 0;
    if (rule.succeededIndexes !== undefined) {
      const ip = `${p}.succeededIndexes`;
      if (rule.succeededIndexes.length > MAX_SUCCEEDED_INDEXES_LENGTH)
        errs.push(fieldErrors.tooLong(ip, MAX_SUCCEEDED_INDEXES_LENGTH));
      try {
        total = countIndexes(rule.succeededIndexes, completions);
      } catch (e) {
        if (!(e instanceof IndexesFormatError)) throw e;
        errs.push(fieldErrors.invalid(ip, rule.succeededIndexes, `error parsing succeededIndexes: ${e.message}`));
      }
    }
    if (rule.succeededCount !== undefined) {
      const cp = `${p}.succeededCount`;
      errs.push(...validateNonnegativeField(rule.succeededCount, cp));
      if (rule.succeededCount > completions) {
        errs.push(
          fieldErrors.invalid(
            cp,
            rule.succeededCount,
            `must be less than or equal to ${completions} (the number of specified completions)`,
          ),
        );
      }
      if (rule.succeededIndexes !== undefined && rule.succeededCount > total) {
        errs.push(
          fieldErrors.invalid(
            cp,
            rule.succeededCount,
            `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`,
          ),
        );
      }
    }
  });
  return errs;
}

export function validatePodReplacementPolicy(spec: JobSpec, path: string): FieldError[] {
  const policy = spec.podReplacementPolicy;
  if (policy === undefined) return [];
  if (spec.podFailurePolicy) return policy === 'Failed' ? [] : [fieldErrors.notSupported(path, policy, ['Failed'])];
  return REPLACEMENT_POLICIES.includes(policy) ? [] : [fieldErrors.notSupported(path, policy, REPLACEMENT_POLICIES)];
}
