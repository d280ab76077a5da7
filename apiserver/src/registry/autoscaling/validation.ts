// HorizontalPodAutoscaler validation (pkg/apis/autoscaling/validation, 1.33) with upstream's
// messages. Metadata is the generic registry's; this checks the spec, and the status for /status.
import type {
  CrossVersionObjectReference,
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerSpec,
  HorizontalPodAutoscalerStatus,
  HPAScalingPolicy,
  HPAScalingRules,
  MetricIdentifier,
  MetricSpec,
  MetricTarget,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { goQuantity, tryParseQuantity } from '@mkube/shared/quantity';
import { isValidPathSegmentName, nameIsDNSLabel } from '../../validation/names.js';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import { validateContainerResourceName } from '../core/resourcenames.js';

const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];
const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
/** The struct field each metric source type fills, in the order upstream looks at them. */
const SOURCE_FIELDS = ['object', 'external', 'pods', 'resource', 'containerResource'] as const;
const FIELD_OF_TYPE: Readonly<Record<string, (typeof SOURCE_FIELDS)[number]>> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  External: 'external',
  ContainerResource: 'containerResource',
};

/** Go's %v of a *int32 the error holds: field.Invalid dereferences it. */
const ptrInt = (n: number | undefined): unknown => (n === undefined ? null : n);
/** A *resource.Quantity as field errors print it (%#v of the struct). */
const badQuantity = (s: string): GoSyntax => new GoSyntax(goQuantity(s, true));
const isPositive = (s: string): boolean => (tryParseQuantity(s)?.num ?? 0n) > 0n;

export function validateCrossVersionObjectReference(
  ref: CrossVersionObjectReference | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of ['kind', 'name'] as const) {
    const v = ref?.[key] ?? '';
    if (!v) errs.push(fieldErrors.required(`${path}.${key}`, ''));
    else for (const msg of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${path}.${key}`, v, msg));
  }
  return errs;
}

function validateMetricTarget(t: MetricTarget | undefined, path: string): FieldError[] {
  const mt = t ?? ({} as Partial<MetricTarget>);
  const errs: FieldError[] = [];
  if (!mt.type) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric target type'));
  if (mt.type !== 'Utilization' && mt.type !== 'Value' && mt.type !== 'AverageValue')
    errs.push(fieldErrors.invalid(`${path}.type`, mt.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  if (mt.value !== undefined && !isPositive(mt.value))
    errs.push(fieldErrors.invalid(`${path}.value`, badQuantity(mt.value), 'must be positive'));
  if (mt.averageValue !== undefined && !isPositive(mt.averageValue))
    errs.push(fieldErrors.invalid(`${path}.averageValue`, badQuantity(mt.averageValue), 'must be positive'));
  if (mt.averageUtilization !== undefined && mt.averageUtilization < 1)
    errs.push(fieldErrors.invalid(`${path}.averageUtilization`, mt.averageUtilization, 'must be greater than 0'));
  return errs;
}

function validateMetricIdentifier(id: MetricIdentifier | undefined, path: string): FieldError[] {
  const name = id?.name ?? '';
  if (!name) return [fieldErrors.required(`${path}.name`, 'must specify a metric name')];
  return isValidPathSegmentName(name).map((msg) => fieldErrors.invalid(`${path}.name`, name, msg));
}

/** The checks of the one source a metric fills, by its field name. */
function validateSource(spec: MetricSpec, field: (typeof SOURCE_FIELDS)[number], path: string): FieldError[] {
  const p = `${path}.${field}`;
  const errs: FieldError[] = [];
  switch (field) {
    case 'object': {
      const src = spec.object!;
      errs.push(...validateCrossVersionObjectReference(src.describedObject, `${p}.describedObject`));
      errs.push(...validateMetricIdentifier(src.metric, `${p}.metric`));
      errs.push(...validateMetricTarget(src.target, `${p}.target`));
      if (src.target?.value === undefined && src.target?.averageValue === undefined)
        errs.push(fieldErrors.required(`${p}.target.averageValue`, 'must set either a target value or averageValue'));
      break;
    }
    case 'external': {
      const src = spec.external!;
      errs.push(...validateMetricIdentifier(src.metric, `${p}.metric`));
      errs.push(...validateMetricTarget(src.target, `${p}.target`));
      if (src.target?.value === undefined && src.target?.averageValue === undefined)
        errs.push(
          fieldErrors.required(
            `${p}.target.averageValue`,
            'must set either a target value for metric or a per-pod target',
          ),
        );
      if (src.target?.value !== undefined && src.target.averageValue !== undefined)
        errs.push(
          fieldErrors.forbidden(`${p}.target.value`, 'may not set both a target value for metric and a per-pod target'),
        );
      break;
    }
    case 'pods': {
      const src = spec.pods!;
      errs.push(...validateMetricIdentifier(src.metric, `${p}.metric`));
      errs.push(...validateMetricTarget(src.target, `${p}.target`));
      if (src.target?.averageValue === undefined)
        errs.push(fieldErrors.required(`${p}.target.averageValue`, 'must specify a positive target averageValue'));
      break;
    }
    case 'resource':
    case 'containerResource': {
      const src = field === 'resource' ? spec.resource! : spec.containerResource!;
      if (!src.name) errs.push(fieldErrors.required(`${p}.name`, 'must specify a resource name'));
      else if (field === 'containerResource') errs.push(...validateContainerResourceName(src.name, `${p}.name`));
      if (field === 'containerResource') {
        const container = spec.containerResource!.container ?? '';
        if (!container) errs.push(fieldErrors.required(`${p}.container`, 'must specify a container'));
        else
          for (const msg of nameIsDNSLabel(container, false))
            errs.push(fieldErrors.invalid(`${p}.container`, container, msg));
      }
      errs.push(...validateMetricTarget(src.target, `${p}.target`));
      if (src.target?.averageUtilization === undefined && src.target?.averageValue === undefined)
        errs.push(
          fieldErrors.required(
            `${p}.target.averageUtilization`,
            'must set either a target raw value or a target utilization',
          ),
        );
      if (src.target?.averageUtilization !== undefined && src.target.averageValue !== undefined)
        errs.push(
          fieldErrors.forbidden(
            `${p}.target.averageValue`,
            'may not set both a target raw value and a target utilization',
          ),
        );
      break;
    }
  }
  return errs;
}

function validateMetricSpec(spec: MetricSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = spec.type ?? '';
  if (!type) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric source type'));
  if (!METRIC_SOURCE_TYPES.includes(type))
    errs.push(fieldErrors.notSupported(`${path}.type`, type, METRIC_SOURCE_TYPES));
  // Only the first source present is checked in depth; any other is refused below.
  const present = SOURCE_FIELDS.filter((f) => spec[f] !== undefined && spec[f] !== null);
  if (present[0]) errs.push(...validateSource(spec, present[0], path));
  const expected = FIELD_OF_TYPE[type];
  if (expected === undefined) {
    errs.push(fieldErrors.notSupported(`${path}.type`, type, METRIC_SOURCE_TYPES));
  } else if (!present.includes(expected)) {
    errs.push(fieldErrors.required(`${path}.${expected}`, 'must populate information for the given metric source'));
  }
  if (present.length !== 1) {
    for (const f of present)
      if (f !== expected)
        errs.push(fieldErrors.forbidden(`${path}.${f}`, 'must populate the given metric source only'));
  }
  return errs;
}

function validateMetrics(metrics: readonly MetricSpec[] | undefined, minReplicas: number | undefined): FieldError[] {
  const errs = (metrics ?? []).flatMap((m, i) => validateMetricSpec(m ?? ({} as MetricSpec), `spec.metrics[${i}]`));
  if (minReplicas === 0 && !(metrics ?? []).some((m) => m?.type === 'Object' || m?.type === 'External'))
    errs.push(
      fieldErrors.forbidden(
        'spec.metrics',
        'must specify at least one Object or External metric to support scaling to zero replicas',
      ),
    );
  return errs;
}

function validatePolicy(p: HPAScalingPolicy, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.type !== 'Pods' && p.type !== 'Percent')
    errs.push(fieldErrors.notSupported(`${path}.type`, p.type ?? '', POLICY_TYPES));
  const value = p.value ?? 0;
  const period = p.periodSeconds ?? 0;
  if (value <= 0) errs.push(fieldErrors.invalid(`${path}.value`, value, 'must be greater than zero'));
  if (period <= 0) errs.push(fieldErrors.invalid(`${path}.periodSeconds`, period, 'must be greater than zero'));
  if (period > MAX_PERIOD_SECONDS)
    errs.push(
      fieldErrors.invalid(`${path}.periodSeconds`, period, `must be less than or equal to ${MAX_PERIOD_SECONDS}`),
    );
  return errs;
}

function validateScalingRules(rules: HPAScalingRules | undefined, path: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (window !== undefined && window < 0)
    errs.push(
      fieldErrors.invalid(
        `${path}.stabilizationWindowSeconds`,
        ptrInt(window),
        'must be greater than or equal to zero',
      ),
    );
  if (window !== undefined && window > MAX_STABILIZATION_WINDOW_SECONDS)
    errs.push(
      fieldErrors.invalid(
        `${path}.stabilizationWindowSeconds`,
        ptrInt(window),
        `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`,
      ),
    );
  if (rules.selectPolicy !== undefined && !SELECT_POLICIES.includes(rules.selectPolicy))
    errs.push(fieldErrors.notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES));
  if (!rules.policies?.length) errs.push(fieldErrors.required(`${path}.policies`, 'must specify at least one Policy'));
  for (const [i, p] of (rules.policies ?? []).entries())
    errs.push(...validatePolicy(p ?? ({} as HPAScalingPolicy), `${path}.policies[${i}]`));
  return errs;
}

function validateBehavior(b: HorizontalPodAutoscalerBehavior | undefined): FieldError[] {
  if (!b) return [];
  return [
    ...validateScalingRules(b.scaleUp, 'spec.behavior.scaleUp'),
    ...validateScalingRules(b.scaleDown, 'spec.behavior.scaleDown'),
  ];
}

/**
 * validateHorizontalPodAutoscalerSpec. `minReplicasLowerBound` is 1 unless HPAScaleToZero (alpha,
 * off) is on or the stored object already scales to zero.
 */
export function validateHorizontalPodAutoscalerSpec(
  spec: HorizontalPodAutoscalerSpec | undefined,
  minReplicasLowerBound: number,
): FieldError[] {
  const s = spec ?? ({ scaleTargetRef: { kind: '', name: '' }, maxReplicas: 0 } as HorizontalPodAutoscalerSpec);
  const errs: FieldError[] = [];
  const max = s.maxReplicas ?? 0;
  if (s.minReplicas !== undefined && s.minReplicas < minReplicasLowerBound)
    errs.push(
      fieldErrors.invalid(
        'spec.minReplicas',
        s.minReplicas,
        `must be greater than or equal to ${minReplicasLowerBound}`,
      ),
    );
  if (max < 1) errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (s.minReplicas !== undefined && max < s.minReplicas)
    errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateCrossVersionObjectReference(s.scaleTargetRef, 'spec.scaleTargetRef'));
  errs.push(...validateMetrics(s.metrics, s.minReplicas));
  errs.push(...validateBehavior(s.behavior));
  return errs;
}

export function validateHorizontalPodAutoscalerStatus(status: HorizontalPodAutoscalerStatus | undefined): FieldError[] {
  return [
    ...validateNonnegativeField(status?.currentReplicas ?? 0, 'status.currentReplicas'),
    ...validateNonnegativeField(status?.desiredReplicas ?? 0, 'status.desiredReplicas'),
  ];
}
