// The replica calculator (pkg/controller/podautoscaler/replica_calculator.go and metrics/utilization.go):
// from the pods a scale target selects and their metrics, the replica count that brings the metric
// to its target. Pure: the caller fetches pods and metrics and passes the clock.
import type { Pod } from '@mkube/shared/api';
import { isPodReady, isPodTerminal, podReadyCondition } from '@mkube/shared/controller';
import { Quantity } from '@mkube/shared/quantity';

/** One pod's sample: a milli-value measured over `windowMs` ending at `timestamp`. */
export interface PodMetric {
  readonly timestamp: number;
  readonly windowMs: number;
  readonly value: number;
}

/** Pod name → its sample. */
export type PodMetricsInfo = Map<string, PodMetric>;

/** How far the usage ratio may stray from 1 before the count changes (--horizontal-pod-autoscaler-tolerance). */
export interface Tolerances {
  readonly scaleDown: number;
  readonly scaleUp: number;
}

export const isWithin = (t: Tolerances, ratio: number): boolean => 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;

/** What readiness means to the calculator: both --horizontal-pod-autoscaler-* periods and the clock. */
export interface ReadinessTiming {
  readonly cpuInitializationPeriodMs: number;
  readonly delayOfInitialReadinessStatusMs: number;
  readonly now: number;
}

const INT32_MAX = 2 ** 31 - 1;
const toInt32 = (n: number): number => Math.min(n, INT32_MAX);
const timeOf = (t: string | null | undefined): number | undefined => (t ? Date.parse(t) : undefined);

export interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/**
 * groupPods: pods going away or done are ignored; pending pods, and (for cpu) pods still starting up
 * whose samples may include their start-up burst, are unready; pods without a sample are missing.
 */
export function groupPods(
  pods: readonly Pod[],
  metrics: PodMetricsInfo,
  resource: string,
  t: ReadinessTiming,
): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || isPodTerminal(pod)) {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = podReadyCondition(pod);
      const start = timeOf(pod.status?.startTime);
      let unready: boolean;
      if (!cond || start === undefined) {
        unready = true;
      } else {
        const transition = timeOf(cond.lastTransitionTime) ?? 0;
        if (start + t.cpuInitializationPeriodMs > t.now) {
          // Within the initialization period a sample counts only once a whole window follows the
          // last readiness change.
          unready = cond.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // Afterwards only a pod that has never become ready is left out.
          unready = cond.status === 'False' && start + t.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/**
 * calculateRequests: each pod's request of `resource` in milli-units, summed over its containers and
 * sidecars (or the one named container).
 */
export function calculateRequests(pods: readonly Pod[], container: string, resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const containers = [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
    ];
    let request = 0;
    let found = false;
    for (const c of containers) {
      if (container !== '' && c.name !== container) continue;
      const q = c.resources?.requests?.[resource];
      if (q === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${name}`);
      request += Quantity.parse(String(q)).milliValue();
      if (container !== '') {
        found = true;
        break;
      }
    }
    if (container !== '' && !found) throw new Error(`container ${container} not found in Pod ${name}`);
    requests.set(name, request);
  }
  return requests;
}

export interface Utilization {
  readonly ratio: number;
  /** Percent of the requests, truncated as an int32. */
  readonly utilization: number;
  /** The average sample, in milli-units. */
  readonly rawAverage: number;
}

/** GetResourceUtilizationRatio: samples of pods without a known request are extraneous. */
export function resourceUtilizationRatio(
  metrics: PodMetricsInfo,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): Utilization {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [pod, m] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

/** GetMetricUsageRatio: the average sample against a per-pod target. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

export interface ReplicaInput {
  readonly currentReplicas: number;
  readonly tolerances: Tolerances;
  /** The pods the target's selector matches in the HPA's namespace. */
  readonly pods: readonly Pod[];
  readonly metrics: PodMetricsInfo;
  readonly timing: ReadinessTiming;
}

const NO_PODS = 'no pods returned by selector while calculating replica count';
const NO_METRICS = 'did not receive metrics for targeted pods (pods might be unready)';

/**
 * The shared second pass: missing pods count as `missingValue` on a scale-down and 0 on a scale-up,
 * unready pods as 0 on a scale-up; a change that would flip the direction, or fall within tolerance,
 * keeps the current count.
 */
function withAssumptions(
  input: ReplicaInput,
  metrics: PodMetricsInfo,
  g: PodGroups,
  ratio: number,
  missingValue: (pod: string) => number,
  recompute: (m: PodMetricsInfo) => number,
): number {
  const { currentReplicas, tolerances } = input;
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (isWithin(tolerances, ratio)) return currentReplicas;
    return toInt32(Math.ceil(ratio * g.readyPodCount));
  }
  const sample = (value: number): PodMetric => ({ timestamp: 0, windowMs: 0, value });
  if (ratio < 1) for (const pod of g.missing) metrics.set(pod, sample(missingValue(pod)));
  else if (ratio > 1) for (const pod of g.missing) metrics.set(pod, sample(0));
  if (scaleUpWithUnready) for (const pod of g.unready) metrics.set(pod, sample(0));
  const newRatio = recompute(metrics);
  if (isWithin(tolerances, newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1))
    return currentReplicas;
  const replicas = toInt32(Math.ceil(newRatio * metrics.size));
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas))
    return currentReplicas;
  return replicas;
}

function prepare(input: ReplicaInput, resource: string): { metrics: PodMetricsInfo; g: PodGroups } {
  if (input.pods.length === 0) throw new Error(NO_PODS);
  const metrics: PodMetricsInfo = new Map(input.metrics);
  const g = groupPods(input.pods, metrics, resource, input.timing);
  for (const pod of g.ignored) metrics.delete(pod);
  for (const pod of g.unready) metrics.delete(pod);
  if (metrics.size === 0) throw new Error(NO_METRICS);
  return { metrics, g };
}

/** GetResourceReplicas: a target utilization (percent of the pods' requests). */
export function resourceReplicas(
  input: ReplicaInput & { readonly targetUtilization: number; readonly resource: string; readonly container: string },
): { replicas: number; utilization: number; rawUtilization: number } {
  const { metrics, g } = prepare(input, input.resource);
  const requests = calculateRequests(input.pods, input.container, input.resource);
  const first = resourceUtilizationRatio(metrics, requests, input.targetUtilization);
  // A missing pod on a scale-down uses all it asked for, or the target where that is above 100 %.
  const fallback = Math.max(100, input.targetUtilization);
  const replicas = withAssumptions(
    input,
    metrics,
    g,
    first.ratio,
    (pod) => Math.trunc(((requests.get(pod) ?? 0) * fallback) / 100),
    (m) => resourceUtilizationRatio(m, requests, input.targetUtilization).ratio,
  );
  return { replicas, utilization: first.utilization, rawUtilization: first.rawAverage };
}

/** calcPlainMetricReplicas: a target average value per pod (milli-units). */
export function plainMetricReplicas(
  input: ReplicaInput & { readonly targetUsage: number; readonly resource: string },
): { replicas: number; usage: number } {
  const { metrics, g } = prepare(input, input.resource);
  const first = metricUsageRatio(metrics, input.targetUsage);
  const replicas = withAssumptions(
    input,
    metrics,
    g,
    first.ratio,
    () => input.targetUsage,
    (m) => metricUsageRatio(m, input.targetUsage).ratio,
  );
  return { replicas, usage: first.usage };
}

/** getReadyPodsCount: running and Ready. */
export function readyPodCount(pods: readonly Pod[]): number {
  if (pods.length === 0) throw new Error(NO_PODS);
  return pods.filter((p) => p.status?.phase === 'Running' && isPodReady(p)).length;
}

/**
 * getUsageRatioReplicaCount: an object or external metric's total against a total target; from zero
 * replicas the ratio alone decides.
 */
export function usageRatioReplicaCount(
  currentReplicas: number,
  ratio: number,
  tolerances: Tolerances,
  pods: () => readonly Pod[],
): number {
  if (currentReplicas === 0) return toInt32(Math.ceil(ratio));
  if (isWithin(tolerances, ratio)) return currentReplicas;
  let ready: number;
  try {
    ready = readyPodCount(pods());
  } catch (e) {
    throw new Error(`unable to calculate ready pods: ${(e as Error).message}`);
  }
  return toInt32(Math.ceil(ratio * ready));
}

/** GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas: a total against a per-pod target. */
export function perPodReplicas(
  statusReplicas: number,
  usage: number,
  targetPerPod: number,
  tolerances: Tolerances,
): { replicas: number; usage: number } {
  let replicas = statusReplicas;
  const ratio = usage / (targetPerPod * statusReplicas);
  if (!isWithin(tolerances, ratio)) replicas = toInt32(Math.ceil(usage / targetPerPod));
  return { replicas, usage: statusReplicas === 0 ? 0 : Math.ceil(usage / statusReplicas) };
}
