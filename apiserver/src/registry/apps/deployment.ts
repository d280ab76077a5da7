// apps/v1 Deployment (pkg/registry/apps/deployment/strategy.go, pkg/apis/apps/v1/defaults.go and
// pkg/apis/apps/validation): a rolling-update policy over ReplicaSets made from one pod template.
// The selector is fixed at creation; spec and annotation changes are new generations, since the
// deployment controller copies annotations to its ReplicaSets.
import type { Deployment, DeploymentSpec, DeploymentStatus, DeploymentStrategy } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { goIntOrString, goLabelSelector, goStrategy } from '../../validation/gosyntax.js';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { appsSpecChanged, defaultTemplate, dropUnservedStatusFields, selectorImmutable } from './shared.js';
import {
  asSelector,
  collisionCountDecremented,
  intOrPercentValue,
  isNotMoreThan100Percent,
  nonnegative,
  notGreaterThan,
  validatePositiveIntOrPercent,
  validateRequiredSelector,
  validateSelectorMatchesTemplate,
  validateTemplateForController,
} from './validation.js';

/** SetDefaults_Deployment, and the template's pod defaults. */
export function defaultDeployment(d: Deployment): void {
  d.spec ??= {} as DeploymentSpec;
  const spec = d.spec;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  const strategy = spec.strategy;
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    strategy.rollingUpdate ??= {};
    const ru = strategy.rollingUpdate;
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec);
  // apps/v1 has no rollbackTo (extensions/v1beta1's): decoding drops it.
  delete (spec as { rollbackTo?: unknown }).rollbackTo;
}

/** ValidateDeploymentStrategy. */
function validateStrategy(s: DeploymentStrategy | undefined): FieldError[] {
  const path = 'spec.strategy';
  if (s?.type === 'Recreate') {
    return s.rollingUpdate
      ? [fieldErrors.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")]
      : [];
  }
  if (s?.type !== 'RollingUpdate')
    return [
      fieldErrors.notSupported(path, goStrategy('DeploymentStrategy', 'RollingUpdateDeployment', s?.type), [
        'Recreate',
        'RollingUpdate',
      ]),
    ];
  const ru = s.rollingUpdate;
  if (!ru) return [fieldErrors.required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
  const at = `${path}.rollingUpdate`;
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`),
    ...validatePositiveIntOrPercent(ru.maxSurge, `${at}.maxSurge`),
  ];
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
    errs.push(
      fieldErrors.invalid(
        `${at}.maxUnavailable`,
        goIntOrString(ru.maxUnavailable),
        'may not be 0 when `maxSurge` is 0',
      ),
    );
  errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${at}.maxUnavailable`));
  return errs;
}

/** ValidateDeploymentSpec. */
export function validateDeploymentSpec(spec: DeploymentSpec | undefined, allowPrivileged: boolean): FieldError[] {
  const errs = [
    ...validateNonnegativeField(spec?.replicas ?? 0, 'spec.replicas'),
    ...validateRequiredSelector(spec?.selector, 'deployment'),
  ];
  const selector = asSelector(spec?.selector);
  if (!selector) {
    errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec?.selector), 'invalid label selector'));
  } else {
    errs.push(...validateSelectorMatchesTemplate(selector, spec?.template));
    errs.push(...validateTemplateForController(spec?.template, 'ReplicaSet', allowPrivileged));
  }
  errs.push(...validateStrategy(spec?.strategy));
  const minReady = spec?.minReadySeconds ?? 0;
  errs.push(...validateNonnegativeField(minReady, 'spec.minReadySeconds'));
  if (spec?.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit !== null)
    errs.push(...validateNonnegativeField(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const deadline = spec?.progressDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    errs.push(...validateNonnegativeField(deadline, 'spec.progressDeadlineSeconds'));
    if (deadline <= minReady)
      errs.push(fieldErrors.invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** ValidateDeploymentStatus and the collision count that only grows. */
export function validateDeploymentStatus(s: DeploymentStatus | undefined, old: DeploymentStatus | undefined) {
  const st = s as Record<string, unknown> | undefined;
  return [
    ...nonnegative(
      st,
      [
        'observedGeneration',
        'replicas',
        'updatedReplicas',
        'readyReplicas',
        'availableReplicas',
        'unavailableReplicas',
        'collisionCount',
      ],
      'status',
    ),
    ...notGreaterThan(st, 'updatedReplicas', 'replicas'),
    ...notGreaterThan(st, 'readyReplicas', 'replicas'),
    ...notGreaterThan(st, 'availableReplicas', 'replicas'),
    ...notGreaterThan(st, 'availableReplicas', 'readyReplicas', 'cannot be greater than readyReplicas'),
    ...collisionCountDecremented(s?.collisionCount, old?.collisionCount),
  ];
}

export function deploymentStrategyFor(opts: { allowPrivileged: boolean }): RESTStrategy<Deployment> {
  return {
    prepareForCreate(d) {
      defaultDeployment(d);
      d.status = {};
    },
    prepareForUpdate(d, old) {
      defaultDeployment(d);
      d.status = old.status ?? {};
    },
    validate: (d) => validateDeploymentSpec(d.spec, opts.allowPrivileged),
    validateUpdate: (d, old) => [
      ...validateDeploymentSpec(d.spec, opts.allowPrivileged),
      ...selectorImmutable(d.spec?.selector, old.spec?.selector),
    ],
    bumpsGeneration: (d, old) => appsSpecChanged(d, old, { annotations: true }),
  };
}

export const deploymentStatusStrategy: SubresourceStrategy<Deployment> = {
  updatesAnnotations: true,
  prepareForUpdate(d, old) {
    d.spec = old.spec;
    d.status ??= {};
    dropUnservedStatusFields(d.status as Record<string, unknown>, old.status as Record<string, unknown> | undefined);
  },
  validateUpdate: (d, old) => validateDeploymentStatus(d.status, old.status),
};
