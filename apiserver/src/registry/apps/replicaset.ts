// apps/v1 ReplicaSet (pkg/registry/apps/replicaset/strategy.go, pkg/apis/apps/validation): keeps
// `replicas` pods of its template. Its status starts at zero replicas, as Go writes the empty
// ReplicaSetStatus (`replicas` has no omitempty); the selector is fixed at creation.
import type { ReplicaSet, ReplicaSetSpec, ReplicaSetStatus } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { goLabelSelector } from '../../validation/gosyntax.js';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { appsSpecChanged, defaultTemplate, dropUnservedStatusFields, selectorImmutable } from './shared.js';
import {
  asSelector,
  nonnegative,
  notGreaterThan,
  validateRequiredSelector,
  validateSelectorMatchesTemplate,
  validateTemplateForController,
} from './validation.js';

/** SetDefaults_ReplicaSet, and the template's pod defaults. */
export function defaultReplicaSet(rs: ReplicaSet): void {
  rs.spec ??= {} as ReplicaSetSpec;
  const spec = rs.spec;
  spec.replicas ??= 1;
  defaultTemplate(spec);
}

export const emptyReplicaSetStatus = (): ReplicaSetStatus => ({ replicas: 0 });

/** ValidateReplicaSetSpec: upstream's empty-selector message says "deployment" here too. */
export function validateReplicaSetSpec(spec: ReplicaSetSpec | undefined, allowPrivileged: boolean): FieldError[] {
  const errs = [
    ...validateNonnegativeField(spec?.replicas ?? 0, 'spec.replicas'),
    ...validateNonnegativeField(spec?.minReadySeconds ?? 0, 'spec.minReadySeconds'),
    ...validateRequiredSelector(spec?.selector, 'deployment'),
  ];
  const selector = asSelector(spec?.selector);
  if (!selector) {
    errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec?.selector), 'invalid label selector'));
    return errs;
  }
  errs.push(...validateSelectorMatchesTemplate(selector, spec?.template));
  errs.push(...validateTemplateForController(spec?.template, 'ReplicaSet', allowPrivileged));
  return errs;
}

/** ValidateReplicaSetStatus. */
export function validateReplicaSetStatus(s: ReplicaSetStatus | undefined): FieldError[] {
  const st = s as Record<string, unknown> | undefined;
  return [
    ...nonnegative(
      st,
      ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
      'status',
    ),
    ...notGreaterThan(st, 'fullyLabeledReplicas', 'replicas'),
    ...notGreaterThan(st, 'readyReplicas', 'replicas'),
    ...notGreaterThan(st, 'availableReplicas', 'replicas'),
    ...notGreaterThan(st, 'availableReplicas', 'readyReplicas', 'cannot be greater than readyReplicas'),
  ];
}

export function replicaSetStrategyFor(opts: { allowPrivileged: boolean }): RESTStrategy<ReplicaSet> {
  return {
    prepareForCreate(rs) {
      defaultReplicaSet(rs);
      rs.status = emptyReplicaSetStatus();
    },
    prepareForUpdate(rs, old) {
      defaultReplicaSet(rs);
      rs.status = old.status ?? emptyReplicaSetStatus();
    },
    validate: (rs) => validateReplicaSetSpec(rs.spec, opts.allowPrivileged),
    validateUpdate: (rs, old) => [
      ...validateReplicaSetSpec(rs.spec, opts.allowPrivileged),
      ...selectorImmutable(rs.spec?.selector, old.spec?.selector),
    ],
    bumpsGeneration: (rs, old) => appsSpecChanged(rs, old),
    // apps/v1's field label (pkg/apis/apps/v1/conversion.go): `--field-selector status.replicas=0`.
    selectableFields: (rs) => ({ 'status.replicas': String(rs.status?.replicas ?? 0) }),
  };
}

export const replicaSetStatusStrategy: SubresourceStrategy<ReplicaSet> = {
  updatesAnnotations: true,
  prepareForUpdate(rs, old) {
    rs.spec = old.spec;
    rs.status ??= emptyReplicaSetStatus();
    rs.status.replicas ??= 0;
    dropUnservedStatusFields(rs.status as unknown as Record<string, unknown>, old.status as never);
  },
  validateUpdate: (rs) => validateReplicaSetStatus(rs.status),
};
