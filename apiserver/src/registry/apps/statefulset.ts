// apps/v1 StatefulSet (pkg/registry/apps/statefulset/strategy.go, pkg/apis/apps/validation): pods
// with stable ordinal identities. Upstream checks only the template's labels and annotations (the
// pod spec is left to the pods, whose volumes come partly from volumeClaimTemplates), and once
// created only replicas, ordinals, template, updateStrategy, the PVC retention policy and
// minReadySeconds may change.
import type { StatefulSet, StatefulSetSpec, StatefulSetStatus } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { goIntOrString, goIntOrStringText, goLabelSelector } from '../../validation/gosyntax.js';
import { nameIsDNSLabel } from '../../validation/names.js';
import {
  deepEqual,
  validateAnnotations,
  validateLabels,
  validateNonnegativeField,
} from '../../validation/objectmeta.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { appsSpecChanged, defaultTemplate } from './shared.js';
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
} from './validation.js';

const POLICIES = ['Retain', 'Delete'];
const UPDATE_FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/** SetDefaults_StatefulSet (MaxUnavailableStatefulSet off), the claims' defaults and the template's. */
export function defaultStatefulSet(sts: StatefulSet): void {
  sts.spec ??= {} as StatefulSetSpec;
  const spec = sts.spec;
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  spec.updateStrategy ??= {};
  const strategy = spec.updateStrategy;
  if (!strategy.type) {
    strategy.type = 'RollingUpdate';
    strategy.rollingUpdate ??= {};
  }
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate) strategy.rollingUpdate.partition ??= 0;
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  // SetDefaults_PersistentVolumeClaim and its spec's, for each claim template.
  for (const claim of spec.volumeClaimTemplates ?? []) {
    claim.status ??= {};
    const status = claim.status as { phase?: string };
    if (!status.phase) status.phase = 'Pending';
    claim.spec ??= {};
    const claimSpec = claim.spec as { volumeMode?: string };
    claimSpec.volumeMode ??= 'Filesystem';
  }
  defaultTemplate(spec);
}

/** dropStatefulSetDisabledFields: maxUnavailable needs MaxUnavailableStatefulSet (alpha) unless already in use. */
function dropDisabledFields(sts: StatefulSet, old: StatefulSet | undefined): void {
  if (old?.spec?.updateStrategy?.rollingUpdate?.maxUnavailable !== undefined) return;
  delete sts.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
}

export const emptyStatefulSetStatus = (): StatefulSetStatus => ({ replicas: 0, availableReplicas: 0 });

function goRollingUpdate(ru: { partition?: number; maxUnavailable?: number | string }): GoSyntax {
  const max =
    ru.maxUnavailable === undefined ? '(*intstr.IntOrString)(nil)' : `&${goIntOrStringText(ru.maxUnavailable)}`;
  return new GoSyntax(`apps.RollingUpdateStatefulSetStrategy{Partition:${ru.partition ?? 0}, MaxUnavailable:${max}}`);
}

function validateUpdateStrategy(spec: StatefulSetSpec | undefined): FieldError[] {
  const s = spec?.updateStrategy;
  const path = 'spec.updateStrategy';
  const ru = s?.rollingUpdate;
  switch (s?.type ?? '') {
    case '':
      return [fieldErrors.required(path, '')];
    case 'OnDelete':
      return ru
        ? [
            fieldErrors.invalid(
              `${path}.rollingUpdate`,
              goRollingUpdate(ru),
              "only allowed for updateStrategy 'RollingUpdate'",
            ),
          ]
        : [];
    case 'RollingUpdate': {
      if (!ru) return [];
      const at = `${path}.rollingUpdate`;
      const errs = validateNonnegativeField(ru.partition ?? 0, `${at}.partition`);
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`));
        if (intOrPercentValue(ru.maxUnavailable) === 0)
          errs.push(fieldErrors.invalid(`${at}.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'cannot be 0'));
        errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${at}.maxUnavailable`));
      }
      return errs;
    }
    default: {
      const rolling = ru
        ? '(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)'
        : '(*apps.RollingUpdateStatefulSetStrategy)(nil)';
      const value = new GoSyntax(
        `apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(s?.type)}, RollingUpdate:${rolling}}`,
      );
      return [fieldErrors.invalid(path, value, "must be 'RollingUpdate' or 'OnDelete'")];
    }
  }
}

/** ValidateStatefulSetSpec. */
export function validateStatefulSetSpec(spec: StatefulSetSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const policy = spec?.podManagementPolicy ?? '';
  if (!policy) errs.push(fieldErrors.required('spec.podManagementPolicy', ''));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel')
    errs.push(fieldErrors.invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  errs.push(...validateUpdateStrategy(spec));
  const retention = spec?.persistentVolumeClaimRetentionPolicy;
  if (retention) {
    for (const f of ['whenDeleted', 'whenScaled'] as const) {
      const v = retention[f] ?? '';
      if (!POLICIES.includes(v))
        errs.push(fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, POLICIES));
    }
  }
  errs.push(...validateNonnegativeField(spec?.replicas ?? 0, 'spec.replicas'));
  errs.push(...validateNonnegativeField(spec?.minReadySeconds ?? 0, 'spec.minReadySeconds'));
  if (spec?.ordinals) errs.push(...validateNonnegativeField(spec.ordinals.start ?? 0, 'spec.ordinals.start'));
  errs.push(...validateRequiredSelector(spec?.selector, 'statefulset'));
  const selector = asSelector(spec?.selector);
  if (!selector) errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec?.selector), ''));
  else {
    const meta = spec?.template?.metadata;
    errs.push(...validateSelectorMatchesTemplate(selector, spec?.template));
    errs.push(...validateLabels(meta?.labels, 'spec.template.labels'));
    errs.push(...validateAnnotations(meta?.annotations, 'spec.template.annotations'));
  }
  const restartPolicy = spec?.template?.spec?.restartPolicy ?? '';
  if (restartPolicy !== 'Always')
    errs.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  if (spec?.template?.spec?.activeDeadlineSeconds !== undefined && spec.template.spec.activeDeadlineSeconds !== null)
    errs.push(
      fieldErrors.forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in StatefulSet is not Supported',
      ),
    );
  return errs;
}

/** ValidateStatefulSetUpdate: everything but the mutable fields stays as it was. */
function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const mutable = [
    'replicas',
    'template',
    'updateStrategy',
    'minReadySeconds',
    'ordinals',
    'persistentVolumeClaimRetentionPolicy',
  ];
  const fixed = (s: StatefulSetSpec | undefined) => {
    const copy: Record<string, unknown> = { ...s };
    for (const f of mutable) delete copy[f];
    return copy;
  };
  return deepEqual(fixed(sts.spec), fixed(old.spec)) ? [] : [fieldErrors.forbidden('spec', UPDATE_FORBIDDEN)];
}

/** ValidateStatefulSetStatus and the collision count that only grows. */
export function validateStatefulSetStatus(s: StatefulSetStatus | undefined, old: StatefulSetStatus | undefined) {
  const st = s as unknown as Record<string, unknown> | undefined;
  return [
    ...nonnegative(
      st,
      [
        'replicas',
        'readyReplicas',
        'currentReplicas',
        'updatedReplicas',
        'availableReplicas',
        'observedGeneration',
        'collisionCount',
      ],
      'status',
    ),
    ...notGreaterThan(st, 'readyReplicas', 'replicas'),
    ...notGreaterThan(st, 'currentReplicas', 'replicas'),
    ...notGreaterThan(st, 'updatedReplicas', 'replicas'),
    ...notGreaterThan(st, 'availableReplicas', 'replicas'),
    ...notGreaterThan(st, 'availableReplicas', 'readyReplicas', 'cannot be greater than status.readyReplicas'),
    ...collisionCountDecremented(s?.collisionCount, old?.collisionCount),
  ];
}

export const statefulSetStrategy: RESTStrategy<StatefulSet> = {
  prepareForCreate(sts) {
    defaultStatefulSet(sts);
    dropDisabledFields(sts, undefined);
    sts.status = emptyStatefulSetStatus();
  },
  prepareForUpdate(sts, old) {
    defaultStatefulSet(sts);
    dropDisabledFields(sts, old);
    sts.status = old.status ?? emptyStatefulSetStatus();
  },
  // StatefulSet names become pod host names: DNS labels (ValidateStatefulSetName).
  nameValidator: () => nameIsDNSLabel,
  validate: (sts) => validateStatefulSetSpec(sts.spec),
  validateUpdate: (sts, old) => [...validateStatefulSetSpec(sts.spec), ...validateStatefulSetUpdate(sts, old)],
  bumpsGeneration: (sts, old) => appsSpecChanged(sts, old),
};

export const statefulSetStatusStrategy: SubresourceStrategy<StatefulSet> = {
  updatesAnnotations: true,
  prepareForUpdate(sts, old) {
    sts.spec = old.spec;
    sts.status = { ...emptyStatefulSetStatus(), ...sts.status };
  },
  validateUpdate: (sts, old) => validateStatefulSetStatus(sts.status, old.status),
};
