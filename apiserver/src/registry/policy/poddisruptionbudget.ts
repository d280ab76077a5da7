// policy/v1 PodDisruptionBudget (pkg/registry/policy/poddisruptionbudget and pkg/apis/policy/validation):
// the spec says how many selected pods must stay (minAvailable) or may be down (maxUnavailable); the
// status is the disruption controller's, written through /status, and evictions spend it.
import type { IntOrString, PodDisruptionBudget, PodDisruptionBudgetStatus } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { jsonEqual } from '../../util/json.js';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import { hasInvalidLabelValue, validateLabelSelector } from '../rbac/selector.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';

const UNHEALTHY_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];
const PERCENT = /^[0-9]+%$/;

/** The status a new budget starts with: nothing observed, no disruption allowed. */
export function emptyPdbStatus(): PodDisruptionBudgetStatus {
  return { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
}

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
function validateIntOrPercent(v: IntOrString, path: string): FieldError[] {
  if (typeof v === 'number') return validateNonnegativeField(v, path);
  if (typeof v !== 'string') return [fieldErrors.invalid(path, v, "must be an integer or percentage (e.g '5%')")];
  if (!PERCENT.test(v)) {
    return [
      fieldErrors.invalid(
        path,
        v,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    ];
  }
  return Number(v.slice(0, -1)) > 100 ? [fieldErrors.invalid(path, v, 'must not be greater than 100%')] : [];
}

function validateSpec(pdb: PodDisruptionBudget, allowInvalidLabelValue: boolean): FieldError[] {
  const spec = pdb.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(fieldErrors.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  if (spec.minAvailable !== undefined) errs.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
  if (spec.maxUnavailable !== undefined) errs.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  errs.push(
    ...validateLabelSelector(
      spec.selector,
      { allowInvalidLabelValueInSelector: allowInvalidLabelValue },
      'spec.selector',
    ),
  );
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && !UNHEALTHY_POLICIES.includes(policy)) {
    errs.push(fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', policy, UNHEALTHY_POLICIES));
  }
  return errs;
}

function validateStatus(status: PodDisruptionBudgetStatus | undefined): FieldError[] {
  const s = status ?? emptyPdbStatus();
  return [
    ...validateNonnegativeField(s.disruptionsAllowed, 'status.disruptionsAllowed'),
    ...validateNonnegativeField(s.currentHealthy, 'status.currentHealthy'),
    ...validateNonnegativeField(s.desiredHealthy, 'status.desiredHealthy'),
    ...validateNonnegativeField(s.expectedPods, 'status.expectedPods'),
  ];
}

export const podDisruptionBudgetStrategy: RESTStrategy<PodDisruptionBudget> = {
  prepareForCreate(pdb) {
    pdb.status = emptyPdbStatus();
  },
  prepareForUpdate(pdb, old) {
    pdb.status = old.status ?? emptyPdbStatus();
  },
  validate: (pdb) => validateSpec(pdb, false),
  // A selector stored before label values were checked stays updatable (AllowInvalidLabelValueInSelector).
  validateUpdate: (pdb, old) => validateSpec(pdb, !!old.spec?.selector && hasInvalidLabelValue(old.spec.selector)),
  // Every spec change is a new generation: evictions wait until the controller has observed it.
  bumpsGeneration: (pdb, old) => !jsonEqual(pdb.spec, old.spec),
};

export const podDisruptionBudgetStatusStrategy: SubresourceStrategy<PodDisruptionBudget> = {
  prepareForUpdate(pdb, old) {
    pdb.spec = old.spec;
    pdb.status ??= emptyPdbStatus();
  },
  validateUpdate: (pdb) => validateStatus(pdb.status),
};
