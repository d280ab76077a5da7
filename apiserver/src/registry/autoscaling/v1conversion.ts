// autoscaling/v1 ⇄ the stored autoscaling/v2 HorizontalPodAutoscaler (pkg/apis/autoscaling/v1/
// conversion.go): v1 carries one CPU target; every other metric, the current metrics, the conditions
// and the behavior ride in `autoscaling.alpha.kubernetes.io/*` annotations, so that an object read
// and written back through v1 loses nothing.
import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerV1,
  HPAScalingRules,
  KubeObject,
  MetricSpec,
  MetricStatus,
} from '@mkube/shared/api';
import { jsonClone } from '../../util/json.js';
import { DEFAULT_CPU_UTILIZATION } from './defaults.js';
import {
  compact,
  metricSpecFromV1,
  metricSpecToV1,
  metricStatusFromV1,
  metricStatusToV1,
  ref,
  type V1MetricSpec,
  type V1MetricStatus,
} from './v1metrics.js';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

// Upstream marshals the internal behavior type, which has no JSON tags: Go field names, nil as null.
// Kept so that annotations written by kube-apiserver and by mkube read the same.
interface GoRules {
  StabilizationWindowSeconds: number | null;
  SelectPolicy: string | null;
  Policies: { Type: string; Value: number; PeriodSeconds: number }[] | null;
  Tolerance: string | null;
}

function rulesToGo(r: HPAScalingRules | undefined): GoRules | null {
  if (!r) return null;
  return {
    StabilizationWindowSeconds: r.stabilizationWindowSeconds ?? null,
    SelectPolicy: r.selectPolicy ?? null,
    Policies: r.policies?.map((p) => ({ Type: p.type, Value: p.value, PeriodSeconds: p.periodSeconds })) ?? null,
    Tolerance: r.tolerance ?? null,
  };
}

function rulesFromGo(g: Partial<GoRules> | null | undefined): HPAScalingRules | undefined {
  if (!g || typeof g !== 'object') return undefined;
  return compact({
    stabilizationWindowSeconds: g.StabilizationWindowSeconds ?? undefined,
    selectPolicy: (g.SelectPolicy ?? undefined) as HPAScalingRules['selectPolicy'],
    policies: Array.isArray(g.Policies)
      ? g.Policies.map((p) => ({
          type: p.Type as 'Pods' | 'Percent',
          value: p.Value,
          periodSeconds: p.PeriodSeconds,
        }))
      : undefined,
    tolerance: g.Tolerance ?? undefined,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isCpuUtilization = (m: MetricSpec): boolean =>
  m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target?.averageUtilization !== undefined;

/** The other annotations, without the round-trip ones (DropRoundTripHorizontalPodAutoscalerAnnotations). */
function userAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(a ?? {}).filter(([k]) => !ROUND_TRIP.includes(k)));
}

/** Stored (v2) → autoscaling/v1. */
export function hpaToV1(obj: KubeObject): KubeObject {
  const hpa = jsonClone(obj) as HorizontalPodAutoscaler;
  const spec = hpa.spec;
  const status = hpa.status;
  const annotations = userAnnotations(hpa.metadata.annotations);
  const metrics = spec?.metrics ?? [];
  const other = metrics.filter((m) => !isCpuUtilization(m)).map(metricSpecToV1);
  if (other.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(other);
  const current = status?.currentMetrics ?? [];
  if (current.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(current.map(metricStatusToV1));
  if (spec?.behavior)
    annotations[BEHAVIOR_ANNOTATION] = JSON.stringify({
      ScaleUp: rulesToGo(spec.behavior.scaleUp),
      ScaleDown: rulesToGo(spec.behavior.scaleDown),
    });
  const conditions = status?.conditions ?? [];
  if (conditions.length)
    annotations[CONDITIONS_ANNOTATION] = JSON.stringify(
      conditions.map((c) => ({
        type: c.type,
        status: c.status,
        lastTransitionTime: c.lastTransitionTime ?? null,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      })),
    );
  // The first CPU resource metric decides the v1 target, whatever its kind of target.
  const cpu = metrics.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const cpuNow = current
    .filter(
      (m) =>
        m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current?.averageUtilization !== undefined,
    )
    .at(-1);
  const meta = { ...hpa.metadata };
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  const v1: HorizontalPodAutoscalerV1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta,
    spec: compact({
      scaleTargetRef: ref(spec?.scaleTargetRef),
      minReplicas: spec?.minReplicas,
      maxReplicas: spec?.maxReplicas ?? 0,
      targetCPUUtilizationPercentage: cpu?.resource?.target?.averageUtilization,
    }),
    status: compact({
      observedGeneration: status?.observedGeneration,
      lastScaleTime: status?.lastScaleTime,
      currentReplicas: status?.currentReplicas ?? 0,
      desiredReplicas: status?.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuNow?.resource?.current?.averageUtilization,
    }),
  };
  return v1;
}

/** autoscaling/v1 → the stored (v2) shape. Unparsable annotations are dropped, as upstream ignores them. */
export function hpaFromV1(obj: KubeObject): KubeObject {
  const v1 = jsonClone(obj) as HorizontalPodAutoscalerV1;
  const given = v1.metadata?.annotations ?? {};
  const meta = { ...(v1.metadata ?? {}) };
  const annotations = userAnnotations(given);
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;

  let metrics: MetricSpec[] = [];
  const target = v1.spec?.targetCPUUtilizationPercentage;
  const cpu: MetricSpec | undefined =
    target === undefined || target === null
      ? undefined
      : { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } };
  const other = given[METRIC_SPECS_ANNOTATION] !== undefined ? parseJson(given[METRIC_SPECS_ANNOTATION]) : undefined;
  if (Array.isArray(other)) metrics = (other as V1MetricSpec[]).map(metricSpecFromV1);
  // Upstream appends the CPU target after the annotation's metrics.
  if (cpu) metrics.push(cpu);
  if (!metrics.length)
    metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } },
      },
    ];

  let behavior: HorizontalPodAutoscalerBehavior | undefined;
  const b = given[BEHAVIOR_ANNOTATION] !== undefined ? parseJson(given[BEHAVIOR_ANNOTATION]) : undefined;
  if (b && typeof b === 'object') {
    const g = b as { ScaleUp?: Partial<GoRules> | null; ScaleDown?: Partial<GoRules> | null };
    const parsed = compact({ scaleUp: rulesFromGo(g.ScaleUp), scaleDown: rulesFromGo(g.ScaleDown) });
    if (Object.keys(parsed).length) behavior = parsed;
  }

  const s = v1.status;
  let currentMetrics: MetricStatus[] | undefined;
  const statuses =
    given[METRIC_STATUSES_ANNOTATION] !== undefined ? parseJson(given[METRIC_STATUSES_ANNOTATION]) : undefined;
  if (Array.isArray(statuses)) currentMetrics = (statuses as V1MetricStatus[]).map(metricStatusFromV1);
  else if (s?.currentCPUUtilizationPercentage !== undefined && s.currentCPUUtilizationPercentage !== null)
    currentMetrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: s.currentCPUUtilizationPercentage } },
      },
    ];
  let conditions: HorizontalPodAutoscalerCondition[] | undefined;
  const conds = given[CONDITIONS_ANNOTATION] !== undefined ? parseJson(given[CONDITIONS_ANNOTATION]) : undefined;
  if (Array.isArray(conds))
    conditions = (conds as HorizontalPodAutoscalerCondition[]).map((c) =>
      compact({
        type: c.type,
        status: c.status,
        lastTransitionTime: c.lastTransitionTime ?? undefined,
        reason: c.reason,
        message: c.message,
      }),
    );

  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta,
    spec: compact({
      scaleTargetRef: ref(v1.spec?.scaleTargetRef),
      minReplicas: v1.spec?.minReplicas ?? undefined,
      maxReplicas: v1.spec?.maxReplicas ?? 0,
      metrics,
      behavior,
    }),
    status: compact({
      observedGeneration: s?.observedGeneration,
      lastScaleTime: s?.lastScaleTime,
      currentReplicas: s?.currentReplicas || undefined,
      desiredReplicas: s?.desiredReplicas ?? 0,
      currentMetrics,
      conditions,
    }),
  };
  return hpa;
}
