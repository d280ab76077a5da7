// apps/v1 DaemonSet (pkg/registry/apps/daemonset/strategy.go, pkg/apis/apps/validation): one pod of
// its template per node. Its internal templateGeneration travels in apps/v1 as the
// `deprecated.daemonset.template.generation` annotation: 1 at creation, one more with each
// template change, and never moved by hand otherwise.
import type { DaemonSet, DaemonSetSpec, DaemonSetStatus, DaemonSetUpdateStrategy } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { goIntOrString, goLabelSelector, goStrategy } from '../../validation/gosyntax.js';
import { deepEqual, validateNonnegativeField } from '../../validation/objectmeta.js';
import { hasInvalidLabelValue, validateLabelSelector } from '../rbac/selector.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { appsSpecChanged, defaultTemplate, selectorImmutable } from './shared.js';
import {
  asSelector,
  collisionCountDecremented,
  intOrPercentValue,
  isNotMoreThan100Percent,
  nonnegative,
  validatePositiveIntOrPercent,
  validateSelectorMatchesTemplate,
  validateTemplateForController,
} from './validation.js';

export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** SetDefaults_DaemonSet, and the template's pod defaults. */
export function defaultDaemonSet(ds: DaemonSet): void {
  ds.spec ??= {} as DaemonSetSpec;
  const spec = ds.spec;
  spec.updateStrategy ??= {};
  const strategy = spec.updateStrategy;
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    strategy.rollingUpdate ??= {};
    const ru = strategy.rollingUpdate;
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec);
}

export const emptyDaemonSetStatus = (): DaemonSetStatus => ({
  currentNumberScheduled: 0,
  numberMisscheduled: 0,
  desiredNumberScheduled: 0,
  numberReady: 0,
});

/** The template generation the annotation carries; undefined when absent or not a number. */
function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

function setTemplateGeneration(ds: DaemonSet, gen: number): void {
  ds.metadata.annotations = { ...ds.metadata.annotations, [TEMPLATE_GENERATION_ANNOTATION]: String(gen) };
}

/** ValidateRollingUpdateDaemonSet through ValidateDaemonSetUpdateStrategy. */
function validateUpdateStrategy(s: DaemonSetUpdateStrategy | undefined): FieldError[] {
  const path = 'spec.updateStrategy';
  if (s?.type === 'OnDelete') return [];
  if (s?.type !== 'RollingUpdate')
    return [
      fieldErrors.notSupported(path, goStrategy('DaemonSetUpdateStrategy', 'RollingUpdateDaemonSet', s?.type), [
        'RollingUpdate',
        'OnDelete',
      ]),
    ];
  const ru = s.rollingUpdate;
  if (!ru) return [fieldErrors.required(`${path}.rollingUpdate`, '')];
  const at = `${path}.rollingUpdate`;
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`),
    ...validatePositiveIntOrPercent(ru.maxSurge, `${at}.maxSurge`),
    ...isNotMoreThan100Percent(ru.maxUnavailable, `${at}.maxUnavailable`),
    ...isNotMoreThan100Percent(ru.maxSurge, `${at}.maxSurge`),
  ];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge)
    errs.push(
      fieldErrors.invalid(
        `${at}.maxSurge`,
        goIntOrString(ru.maxSurge),
        'may not be set when maxUnavailable is non-zero',
      ),
    );
  else if (!hasUnavailable && !hasSurge)
    errs.push(fieldErrors.required(`${at}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

/** ValidateDaemonSetSpec. `allowInvalidLabelValue`: the stored selector already had one. */
export function validateDaemonSetSpec(
  ds: DaemonSet,
  opts: { allowPrivileged: boolean; allowInvalidLabelValue: boolean },
): FieldError[] {
  const spec = ds.spec;
  const errs = validateLabelSelector(
    spec?.selector,
    { allowInvalidLabelValueInSelector: opts.allowInvalidLabelValue },
    'spec.selector',
  );
  const selector = asSelector(spec?.selector);
  if (selector) errs.push(...validateSelectorMatchesTemplate(selector, spec?.template));
  const sel = spec?.selector;
  if (sel && Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions?.length ?? 0) === 0)
    errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  errs.push(...validateTemplateForController(spec?.template, 'DaemonSet', opts.allowPrivileged));
  errs.push(...validateNonnegativeField(spec?.minReadySeconds ?? 0, 'spec.minReadySeconds'));
  errs.push(...validateNonnegativeField(templateGeneration(ds) ?? 0, 'spec.templateGeneration'));
  errs.push(...validateUpdateStrategy(spec?.updateStrategy));
  if (spec?.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit !== null)
    errs.push(...validateNonnegativeField(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

/** ValidateDaemonSetSpecUpdate: the template generation moves with the template and only forward. */
function validateTemplateGenerationUpdate(ds: DaemonSet, old: DaemonSet): FieldError[] {
  const now = templateGeneration(ds) ?? 0;
  const was = templateGeneration(old) ?? 0;
  if (now < was) return [fieldErrors.invalid('spec.templateGeneration', now, 'must not be decremented')];
  if (now > was && deepEqual(ds.spec?.template, old.spec?.template))
    return [fieldErrors.invalid('spec.templateGeneration', now, 'must not be incremented without template update')];
  return [];
}

export function daemonSetStrategyFor(opts: { allowPrivileged: boolean }): RESTStrategy<DaemonSet> {
  return {
    prepareForCreate(ds) {
      defaultDaemonSet(ds);
      ds.status = emptyDaemonSetStatus();
      setTemplateGeneration(ds, Math.max(templateGeneration(ds) ?? 0, 1));
    },
    prepareForUpdate(ds, old) {
      defaultDaemonSet(ds);
      ds.status = old.status ?? emptyDaemonSetStatus();
      const was = templateGeneration(old) ?? 0;
      if (!deepEqual(ds.spec?.template, old.spec?.template)) setTemplateGeneration(ds, was + 1);
      // A write that dropped the annotation keeps the stored generation (upstream would read 0 and refuse).
      else setTemplateGeneration(ds, templateGeneration(ds) ?? was);
    },
    validate: (ds) =>
      validateDaemonSetSpec(ds, { allowPrivileged: opts.allowPrivileged, allowInvalidLabelValue: false }),
    validateUpdate: (ds, old) => [
      ...validateTemplateGenerationUpdate(ds, old),
      ...validateDaemonSetSpec(ds, {
        allowPrivileged: opts.allowPrivileged,
        allowInvalidLabelValue: !!old.spec?.selector && hasInvalidLabelValue(old.spec.selector),
      }),
      ...selectorImmutable(ds.spec?.selector, old.spec?.selector),
    ],
    bumpsGeneration: (ds, old) => appsSpecChanged(ds, old) || templateGeneration(ds) !== templateGeneration(old),
  };
}

export const daemonSetStatusStrategy: SubresourceStrategy<DaemonSet> = {
  updatesAnnotations: true,
  prepareForUpdate(ds, old) {
    ds.spec = old.spec;
    ds.status = { ...emptyDaemonSetStatus(), ...ds.status };
  },
  validateUpdate: (ds, old) => [
    ...nonnegative(
      ds.status as unknown as Record<string, unknown>,
      [
        'currentNumberScheduled',
        'numberMisscheduled',
        'desiredNumberScheduled',
        'numberReady',
        'observedGeneration',
        'updatedNumberScheduled',
        'numberAvailable',
        'numberUnavailable',
        'collisionCount',
      ],
      'status',
    ),
    ...collisionCountDecremented(ds.status?.collisionCount, old.status?.collisionCount),
  ],
};
