// The metrics the controller reads (pkg/controller/podautoscaler/metrics): resource usage from
// metrics.k8s.io (metrics-server behind the aggregation layer), custom metrics from
// custom.metrics.k8s.io and external ones from external.metrics.k8s.io, all through the apiserver.
import type { APIGroupList, CrossVersionObjectReference, LabelSelector, PodMetrics } from '@mkube/shared/api';
import { METRICS_GROUP, METRICS_VERSION } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { parseGoDuration } from '@mkube/shared/cron';
import { Quantity } from '@mkube/shared/quantity';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import type { PodMetricsInfo } from './replicacalc.js';

/** metrics-server's window when a custom metric names none. */
const DEFAULT_WINDOW_MS = 60_000;
const CUSTOM_GROUP = 'custom.metrics.k8s.io';
const EXTERNAL_GROUP = 'external.metrics.k8s.io';

export interface SampledMetrics {
  readonly metrics: PodMetricsInfo;
  /** The first item's timestamp, as upstream reports it. */
  readonly timestamp: number;
}

/** Resource usage per pod (metrics.k8s.io), summed over containers or of one container. */
export interface ResourceMetricsClient {
  getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<SampledMetrics>;
}

/** Custom and external metrics, which mkube serves only where an extension API server provides them. */
export interface CustomMetricsClient {
  getRawMetric(metric: string, namespace: string, selector: string, metricSelector: string): Promise<SampledMetrics>;
  getObjectMetric(
    metric: string,
    namespace: string,
    ref: CrossVersionObjectReference,
    metricSelector: string,
  ): Promise<{ value: number; timestamp: number }>;
  getExternalMetric(
    metric: string,
    namespace: string,
    metricSelector: string,
  ): Promise<{ values: number[]; timestamp: number }>;
}

export type MetricsClient = ResourceMetricsClient & CustomMetricsClient;

const milli = (q: unknown): number => Quantity.parse(String(q)).milliValue();
const windowMs = (w: string | undefined): number => {
  try {
    return w ? parseGoDuration(w) : DEFAULT_WINDOW_MS;
  } catch {
    return DEFAULT_WINDOW_MS;
  }
};

/** A metric's label selector in its string form (an absent one selects everything). */
export function metricSelectorString(sel: LabelSelector | undefined): string {
  return sel ? labelSelectorFromObject(sel).toString() : '';
}

/** Pod samples from a PodMetrics list: a pod missing the resource in any container has none. */
export function podResourceMetrics(items: readonly PodMetrics[], resource: string, container: string): PodMetricsInfo {
  const out: PodMetricsInfo = new Map();
  for (const m of items) {
    const base = { timestamp: Date.parse(m.timestamp), windowMs: windowMs(m.window) };
    const name = m.metadata?.name ?? '';
    if (container !== '') {
      const c = m.containers.find((x) => x.name === container);
      const v = c?.usage[resource];
      if (v !== undefined) out.set(name, { ...base, value: milli(v) });
      continue;
    }
    if (m.containers.length === 0) continue;
    let sum = 0;
    let missing = false;
    for (const c of m.containers) {
      const v = c.usage[resource];
      if (v === undefined) {
        missing = true;
        break;
      }
      sum += milli(v);
    }
    if (!missing) out.set(name, { ...base, value: sum });
  }
  return out;
}

interface MetricValueList {
  items?: {
    describedObject?: { name?: string };
    timestamp?: string;
    windowSeconds?: number;
    value?: string;
  }[];
}

interface ExternalMetricValueList {
  items?: { timestamp?: string; value?: string }[];
}

/** The real client: every request goes to the apiserver, which proxies it to whoever serves the group. */
export class RestMetricsClient implements MetricsClient {
  constructor(
    readonly client: KubeClient,
    /** Kind (in a group) → plural resource, for object metrics. */
    readonly resourceFor: (group: string, kind: string) => Promise<string>,
  ) {}

  async getResourceMetric(
    resource: string,
    namespace: string,
    selector: string,
    container: string,
  ): Promise<SampledMetrics> {
    let items: PodMetrics[];
    try {
      const list = await this.client.request<{ items?: PodMetrics[] }>(
        'GET',
        `/apis/${METRICS_GROUP}/${METRICS_VERSION}/namespaces/${encodeURIComponent(namespace)}/pods`,
        { query: { labelSelector: selector || undefined } },
      );
      items = list.items ?? [];
    } catch (e) {
      throw new Error(`unable to fetch metrics from resource metrics API: ${(e as Error).message}`);
    }
    if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
    return { metrics: podResourceMetrics(items, resource, container), timestamp: Date.parse(items[0]!.timestamp) };
  }

  /** The custom metrics API's preferred version, as upstream's discovery-backed client picks it. */
  async #customVersion(): Promise<string> {
    const groups = await this.client.request<APIGroupList>('GET', '/apis');
    const g = groups.groups?.find((x) => x.name === CUSTOM_GROUP);
    if (!g) throw new Error(`no custom metrics API (${CUSTOM_GROUP}) registered`);
    const served = new Set(g.versions.map((v) => v.version));
    for (const v of ['v1beta2', 'v1beta1']) if (served.has(v)) return v;
    throw new Error('no known available metric versions found');
  }

  async getRawMetric(
    metric: string,
    namespace: string,
    selector: string,
    metricSelector: string,
  ): Promise<SampledMetrics> {
    let list: MetricValueList;
    try {
      const v = await this.#customVersion();
      list = await this.client.request<MetricValueList>(
        'GET',
        `/apis/${CUSTOM_GROUP}/${v}/namespaces/${encodeURIComponent(namespace)}/pods/*/${encodeURIComponent(metric)}`,
        { query: { labelSelector: selector || undefined, metricLabelSelector: metricSelector || undefined } },
      );
    } catch (e) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${(e as Error).message}`);
    }
    const items = list.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from custom metrics API');
    const metrics: PodMetricsInfo = new Map();
    for (const m of items) {
      metrics.set(m.describedObject?.name ?? '', {
        timestamp: Date.parse(m.timestamp ?? ''),
        windowMs: m.windowSeconds !== undefined ? m.windowSeconds * 1000 : DEFAULT_WINDOW_MS,
        value: milli(m.value ?? '0'),
      });
    }
    return { metrics, timestamp: Date.parse(items[0]!.timestamp ?? '') };
  }

  async getObjectMetric(
    metric: string,
    namespace: string,
    ref: CrossVersionObjectReference,
    metricSelector: string,
  ): Promise<{ value: number; timestamp: number }> {
    try {
      const v = await this.#customVersion();
      const group = (ref.apiVersion ?? '').includes('/') ? ref.apiVersion!.split('/')[0]! : '';
      const ns = encodeURIComponent(namespace);
      // A Namespace's own metrics live under the root-scoped "metrics" path.
      const path =
        ref.kind === 'Namespace' && group === ''
          ? `/apis/${CUSTOM_GROUP}/${v}/namespaces/${ns}/metrics/${encodeURIComponent(metric)}`
          : `/apis/${CUSTOM_GROUP}/${v}/namespaces/${ns}/${await this.resourceFor(group, ref.kind)}${group ? `.${group}` : ''}/${encodeURIComponent(ref.name)}/${encodeURIComponent(metric)}`;
      const list = await this.client.request<MetricValueList>('GET', path, {
        query: { metricLabelSelector: metricSelector || undefined },
      });
      const item = list.items?.[0];
      if (!item) throw new Error('no metrics returned');
      return { value: milli(item.value ?? '0'), timestamp: Date.parse(item.timestamp ?? '') };
    } catch (e) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${(e as Error).message}`);
    }
  }

  async getExternalMetric(
    metric: string,
    namespace: string,
    metricSelector: string,
  ): Promise<{ values: number[]; timestamp: number }> {
    let list: ExternalMetricValueList;
    try {
      list = await this.client.request<ExternalMetricValueList>(
        'GET',
        `/apis/${EXTERNAL_GROUP}/v1beta1/namespaces/${encodeURIComponent(namespace)}/${encodeURIComponent(metric)}`,
        { query: { labelSelector: metricSelector || undefined } },
      );
    } catch (e) {
      throw new Error(`unable to fetch metrics from external metrics API: ${(e as Error).message}`);
    }
    const items = list.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from external metrics API');
    return { values: items.map((m) => milli(m.value ?? '0')), timestamp: Date.parse(items[0]!.timestamp ?? '') };
  }
}
