// computeReplicasForMetrics: each metric of the HPA turned into a replica proposal and a metric
// status; the highest proposal wins. A metric that fails proposes the ScalingActive=False condition
// upstream names for its source type, and emits the same reason as a Warning event.
import type {
  HorizontalPodAutoscaler,
  MetricSpec,
  MetricStatus,
  MetricTarget,
  MetricValueStatus,
  Pod,
  Scale,
} from '@mkube/shared/api';
import { formatQuantity, Quantity } from '@mkube/shared/quantity';
import { type LabelsSelector, parseLabelSelector } from '@mkube/shared/selectors';
import { type ProposedCondition, unableToCompute } from './conditions.js';
import { type MetricsClient, metricSelectorString } from './metricsclient.js';
import {
  perPodReplicas,
  plainMetricReplicas,
  type ReadinessTiming,
  resourceReplicas,
  type Tolerances,
  usageRatioReplicaCount,
} from './replicacalc.js';

export interface ComputeContext {
  readonly metrics: MetricsClient;
  /** The pods in the informer's cache the selector matches in a namespace. */
  readonly pods: (namespace: string, selector: LabelsSelector) => Pod[];
  readonly timing: () => ReadinessTiming;
  readonly tolerances: Tolerances;
  /** A Warning event on the HPA. */
  readonly warn: (reason: string, message: string) => void;
  /**
   * Records this HPA's selector and returns every HPA (this one included, as `ns/name`) whose
   * target selects any of these pods (more than one: AmbiguousSelector).
   */
  readonly selectingHpas: (namespace: string, selector: LabelsSelector, pods: readonly Pod[]) => string[];
  readonly setCondition: (c: ProposedCondition) => void;
}

export interface Computed {
  /** -1 when no metric could be used (or one failed and the rest would scale down). */
  readonly replicas: number;
  readonly metric: string;
  readonly statuses: MetricStatus[];
  readonly timestamp: number;
  readonly error?: Error;
}

interface Proposal {
  readonly replicas: number;
  readonly metric: string;
  readonly timestamp: number;
  readonly status: MetricStatus;
}

/** A metric's failure: the error and the condition it proposes. */
class MetricError extends Error {
  constructor(
    message: string,
    readonly condition: ProposedCondition,
  ) {
    super(message);
  }
}

const milli = (q: unknown): number => Quantity.parse(String(q)).milliValue();

/** buildQuantity: memory in BinarySI as metrics-server writes it, everything else DecimalSI. */
function milliQuantity(resource: string, raw: number): string {
  return formatQuantity(new Quantity(BigInt(Math.trunc(raw)), 1000n), resource === 'memory' ? 'BinarySI' : 'DecimalSI');
}

function fail(ctx: ComputeContext, reason: string, err: Error, wrap = (m: string) => m): MetricError {
  ctx.warn(reason, err.message);
  return new MetricError(wrap(err.message), unableToCompute(reason, err));
}

/** validateAndParseSelector. */
function parseSelector(
  ctx: ComputeContext,
  hpa: HorizontalPodAutoscaler,
  selector: string | undefined,
): LabelsSelector {
  const setInvalid = (reason: string, message: string) =>
    ctx.setCondition({ type: 'ScalingActive', status: 'False', reason, message });
  if (!selector) {
    ctx.warn('SelectorRequired', 'selector is required');
    setInvalid('InvalidSelector', "the HPA target's scale is missing a selector");
    throw new Error('selector is required');
  }
  let parsed: LabelsSelector;
  try {
    parsed = parseLabelSelector(selector);
  } catch (e) {
    const msg = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
    ctx.warn('InvalidSelector', msg);
    setInvalid('InvalidSelector', msg);
    throw new Error(msg);
  }
  const ns = hpa.metadata?.namespace ?? '';
  const selecting = ctx.selectingHpas(ns, parsed, ctx.pods(ns, parsed));
  if (selecting.length > 1) {
    const msg = `pods by selector ${selector} are controlled by multiple HPAs: [${selecting.join(' ')}]`;
    ctx.warn('AmbiguousSelector', msg);
    setInvalid('AmbiguousSelector', msg);
    throw new Error(msg);
  }
  return parsed;
}

async function resourceProposal(
  ctx: ComputeContext,
  ns: string,
  current: number,
  selector: LabelsSelector,
  resource: string,
  target: MetricTarget,
  container: string,
): Promise<{ replicas: number; current: MetricValueStatus; metric: string; timestamp: number }> {
  const sel = selector.toString();
  const input = () => ({ currentReplicas: current, tolerances: ctx.tolerances, timing: ctx.timing() });
  if (target.averageValue !== undefined) {
    let sampled: Awaited<ReturnType<MetricsClient['getResourceMetric']>>;
    try {
      sampled = await ctx.metrics.getResourceMetric(resource, ns, sel, container);
    } catch (e) {
      throw new Error(
        `failed to get ${resource} usage: unable to get metrics for resource ${resource}: ${(e as Error).message}`,
      );
    }
    let r: ReturnType<typeof plainMetricReplicas>;
    try {
      r = plainMetricReplicas({
        ...input(),
        pods: ctx.pods(ns, selector),
        metrics: sampled.metrics,
        targetUsage: milli(target.averageValue),
        resource,
      });
    } catch (e) {
      throw new Error(`failed to get ${resource} usage: ${(e as Error).message}`);
    }
    return {
      replicas: r.replicas,
      current: { averageValue: milliQuantity(resource, r.usage) },
      metric: `${resource} resource`,
      timestamp: sampled.timestamp,
    };
  }
  if (target.averageUtilization === undefined)
    throw new Error(
      'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set',
    );
  let sampled: Awaited<ReturnType<MetricsClient['getResourceMetric']>>;
  try {
    sampled = await ctx.metrics.getResourceMetric(resource, ns, sel, container);
  } catch (e) {
    throw new Error(
      `failed to get ${resource} utilization: unable to get metrics for resource ${resource}: ${(e as Error).message}`,
    );
  }
  let r: ReturnType<typeof resourceReplicas>;
  try {
    r = resourceReplicas({
      ...input(),
      pods: ctx.pods(ns, selector),
      metrics: sampled.metrics,
      targetUtilization: target.averageUtilization,
      resource,
      container,
    });
  } catch (e) {
    throw new Error(`failed to get ${resource} utilization: ${(e as Error).message}`);
  }
  return {
    replicas: r.replicas,
    current: { averageUtilization: r.utilization, averageValue: milliQuantity(resource, r.rawUtilization) },
    metric: `${resource} ${container ? 'container resource' : 'resource'} utilization (percentage of request)`,
    timestamp: sampled.timestamp,
  };
}

/** computeReplicasForMetric: one metric's proposal, or a MetricError. */
async function proposal(
  ctx: ComputeContext,
  hpa: HorizontalPodAutoscaler,
  spec: MetricSpec,
  scale: Scale,
  selector: LabelsSelector,
): Promise<Proposal> {
  const ns = hpa.metadata?.namespace ?? '';
  const specReplicas = scale.spec?.replicas ?? 0;
  const statusReplicas = scale.status?.replicas ?? 0;
  const pods = () => ctx.pods(ns, selector);
  switch (spec.type) {
    case 'Resource':
    case 'ContainerResource': {
      const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const container = spec.type === 'ContainerResource' ? (spec.containerResource?.container ?? '') : '';
      const reason = spec.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
      const wrap = (m: string) =>
        spec.type === 'Resource'
          ? `failed to get ${src?.name} resource metric value: ${m}`
          : `failed to get ${container} container metric value: ${m}`;
      try {
        if (!src) throw new Error(`missing ${spec.type} metric source`);
        const r = await resourceProposal(ctx, ns, specReplicas, selector, src.name, src.target, container);
        const status: MetricStatus =
          spec.type === 'Resource'
            ? { type: 'Resource', resource: { name: src.name, current: r.current } }
            : { type: 'ContainerResource', containerResource: { name: src.name, container, current: r.current } };
        return { replicas: r.replicas, metric: r.metric, timestamp: r.timestamp, status };
      } catch (e) {
        throw fail(ctx, reason, e as Error, wrap);
      }
    }
    case 'Pods': {
      const src = spec.pods!;
      try {
        const sampled = await ctx.metrics
          .getRawMetric(src.metric.name, ns, selector.toString(), metricSelectorString(src.metric.selector))
          .catch((e: Error) => {
            throw new Error(`unable to get metric ${src.metric.name}: ${e.message}`);
          });
        const r = plainMetricReplicas({
          currentReplicas: specReplicas,
          tolerances: ctx.tolerances,
          timing: ctx.timing(),
          pods: pods(),
          metrics: sampled.metrics,
          targetUsage: milli(src.target.averageValue ?? '0'),
          resource: '',
        });
        return {
          replicas: r.replicas,
          metric: `pods metric ${src.metric.name}`,
          timestamp: sampled.timestamp,
          status: {
            type: 'Pods',
            pods: { metric: src.metric, current: { averageValue: milliQuantity('', r.usage) } },
          },
        };
      } catch (e) {
        throw fail(ctx, 'FailedGetPodsMetric', e as Error, (m) => `failed to get pods metric value: ${m}`);
      }
    }
    case 'Object': {
      const src = spec.object!;
      const ref = src.describedObject;
      try {
        const got = await ctx.metrics
          .getObjectMetric(src.metric.name, ns, ref, metricSelectorString(src.metric.selector))
          .catch((e: Error) => {
            throw new Error(`unable to get metric ${src.metric.name} on ${ref.kind} ${ns}/${ref.name}: ${e.message}`);
          });
        const base = { metric: src.metric, describedObject: ref };
        if (src.target.type === 'Value' && src.target.value !== undefined) {
          const replicas = usageRatioReplicaCount(
            specReplicas,
            got.value / milli(src.target.value),
            ctx.tolerances,
            pods,
          );
          return {
            replicas,
            metric: `${ref.kind} metric ${src.metric.name}`,
            timestamp: got.timestamp,
            status: { type: 'Object', object: { ...base, current: { value: milliQuantity('', got.value) } } },
          };
        }
        if (src.target.type === 'AverageValue' && src.target.averageValue !== undefined) {
          const r = perPodReplicas(statusReplicas, got.value, milli(src.target.averageValue), ctx.tolerances);
          return {
            replicas: r.replicas,
            metric: `external metric ${src.metric.name}`,
            timestamp: got.timestamp,
            status: { type: 'Object', object: { ...base, current: { averageValue: milliQuantity('', r.usage) } } },
          };
        }
        throw new Error('invalid object metric source: neither a value target nor an average value target was set');
      } catch (e) {
        throw fail(ctx, 'FailedGetObjectMetric', e as Error, (m) => `failed to get object metric value: ${m}`);
      }
    }
    case 'External': {
      const src = spec.external!;
      const name = src.metric.name;
      try {
        const got = await ctx.metrics
          .getExternalMetric(name, ns, metricSelectorString(src.metric.selector))
          .catch((e: Error) => {
            throw new Error(
              `unable to get external metric ${ns}/${name}/${JSON.stringify(src.metric.selector ?? null)}: ${e.message}`,
            );
          });
        const total = got.values.reduce((a, b) => a + b, 0);
        const metric = `external metric ${name}(${JSON.stringify(src.metric.selector ?? null)})`;
        if (src.target.averageValue !== undefined) {
          const r = perPodReplicas(statusReplicas, total, milli(src.target.averageValue), ctx.tolerances);
          return {
            replicas: r.replicas,
            metric,
            timestamp: got.timestamp,
            status: {
              type: 'External',
              external: { metric: src.metric, current: { averageValue: milliQuantity('', r.usage) } },
            },
          };
        }
        if (src.target.value !== undefined) {
          const replicas = usageRatioReplicaCount(specReplicas, total / milli(src.target.value), ctx.tolerances, pods);
          return {
            replicas,
            metric,
            timestamp: got.timestamp,
            status: {
              type: 'External',
              external: { metric: src.metric, current: { value: milliQuantity('', total) } },
            },
          };
        }
        throw new Error('invalid external metric source: neither a value target nor an average value target was set');
      } catch (e) {
        throw fail(ctx, 'FailedGetExternalMetric', e as Error, (m) => `failed to get ${name} external metric: ${m}`);
      }
    }
    default: {
      const err = new Error(`unknown metric source type "${String(spec.type)}"`);
      throw fail(ctx, 'InvalidMetricSourceType', err);
    }
  }
}

/** computeReplicasForMetrics. */
export async function computeReplicasForMetrics(
  ctx: ComputeContext,
  hpa: HorizontalPodAutoscaler,
  scale: Scale,
  specs: readonly MetricSpec[],
): Promise<Computed> {
  let selector: LabelsSelector;
  try {
    selector = parseSelector(ctx, hpa, scale.status?.selector);
  } catch (e) {
    return { replicas: -1, metric: '', statuses: [], timestamp: 0, error: e as Error };
  }
  // A failed metric keeps an empty status in its place, as upstream's zero-valued entry.
  const statuses: MetricStatus[] = specs.map(() => ({ type: '' }) as unknown as MetricStatus);
  let replicas = 0;
  let metric = '';
  let timestamp = 0;
  let invalid = 0;
  let firstError: MetricError | undefined;
  for (const [i, spec] of specs.entries()) {
    try {
      const p = await proposal(ctx, hpa, spec, scale, selector);
      statuses[i] = p.status;
      if (replicas === 0 || p.replicas > replicas) {
        replicas = p.replicas;
        metric = p.metric;
        timestamp = p.timestamp;
      }
    } catch (e) {
      if (!(e instanceof MetricError)) throw e;
      invalid++;
      firstError ??= e;
    }
  }
  const error = firstError
    ? new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`)
    : undefined;
  // Every metric failed, or some failed and the rest would scale down: no decision on half the data.
  if (firstError && (invalid >= specs.length || replicas < (scale.spec?.replicas ?? 0))) {
    ctx.setCondition(firstError.condition);
    return { replicas: -1, metric: '', statuses, timestamp: 0, ...(error ? { error } : {}) };
  }
  ctx.setCondition({
    type: 'ScalingActive',
    status: 'True',
    reason: 'ValidMetricFound',
    message: `the HPA was able to successfully calculate a replica count from ${metric}`,
  });
  return { replicas, metric, statuses, timestamp, ...(error ? { error } : {}) };
}
