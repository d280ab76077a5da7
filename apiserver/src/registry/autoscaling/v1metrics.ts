// The metric lists of autoscaling/v1's round-trip annotations (autoscaling/v1 MetricSpec and
// MetricStatus, the v2beta1-era shapes) ⇄ the stored autoscaling/v2 ones (pkg/apis/autoscaling/v1/
// conversion.go's per-source functions).
import type { CrossVersionObjectReference, LabelSelector, MetricSpec, MetricStatus, Quantity } from '@mkube/shared/api';

// The v1 (v2beta1-style) metric shapes the annotations hold.
export interface V1MetricSpec {
  type: string;
  object?: {
    target: CrossVersionObjectReference;
    metricName: string;
    targetValue: Quantity;
    selector?: LabelSelector;
    averageValue?: Quantity;
  };
  pods?: { metricName: string; targetAverageValue: Quantity; selector?: LabelSelector };
  resource?: { name: string; targetAverageUtilization?: number; targetAverageValue?: Quantity };
  containerResource?: {
    name: string;
    targetAverageUtilization?: number;
    targetAverageValue?: Quantity;
    container: string;
  };
  external?: {
    metricName: string;
    metricSelector?: LabelSelector;
    targetValue?: Quantity;
    targetAverageValue?: Quantity;
  };
}

export interface V1MetricStatus {
  type: string;
  object?: {
    target: CrossVersionObjectReference;
    metricName: string;
    currentValue: Quantity;
    selector?: LabelSelector;
    averageValue?: Quantity;
  };
  pods?: { metricName: string; currentAverageValue: Quantity; selector?: LabelSelector };
  resource?: { name: string; currentAverageUtilization?: number; currentAverageValue: Quantity };
  containerResource?: {
    name: string;
    currentAverageUtilization?: number;
    currentAverageValue: Quantity;
    container: string;
  };
  external?: {
    metricName: string;
    metricSelector?: LabelSelector;
    currentValue: Quantity;
    currentAverageValue?: Quantity;
  };
}

/** Drops undefined members, as Go's omitempty does for nil pointers. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const ref = (r: CrossVersionObjectReference | undefined): CrossVersionObjectReference =>
  compact({ kind: r?.kind ?? '', name: r?.name ?? '', apiVersion: r?.apiVersion || undefined });

export function metricSpecToV1(m: MetricSpec): V1MetricSpec {
  const out: V1MetricSpec = { type: m.type };
  if (m.object)
    out.object = compact({
      target: ref(m.object.describedObject),
      metricName: m.object.metric?.name ?? '',
      targetValue: m.object.target?.value ?? '0',
      selector: m.object.metric?.selector,
      averageValue: m.object.target?.averageValue,
    });
  if (m.pods)
    out.pods = compact({
      metricName: m.pods.metric?.name ?? '',
      targetAverageValue: m.pods.target?.averageValue ?? '0',
      selector: m.pods.metric?.selector,
    });
  if (m.resource)
    out.resource = compact({
      name: m.resource.name,
      targetAverageUtilization: m.resource.target?.averageUtilization,
      targetAverageValue: m.resource.target?.averageValue,
    });
  if (m.containerResource)
    out.containerResource = compact({
      name: m.containerResource.name,
      targetAverageUtilization: m.containerResource.target?.averageUtilization,
      targetAverageValue: m.containerResource.target?.averageValue,
      container: m.containerResource.container,
    });
  if (m.external)
    out.external = compact({
      metricName: m.external.metric?.name ?? '',
      metricSelector: m.external.metric?.selector,
      targetValue: m.external.target?.value,
      targetAverageValue: m.external.target?.averageValue,
    });
  return out;
}

export function metricSpecFromV1(m: V1MetricSpec): MetricSpec {
  const out: MetricSpec = { type: m.type as MetricSpec['type'] };
  const id = (name: string, selector: LabelSelector | undefined) => compact({ name, selector });
  if (m.object)
    out.object = {
      describedObject: ref(m.object.target),
      target: compact({
        type: m.object.averageValue === undefined ? ('Value' as const) : ('AverageValue' as const),
        value: m.object.targetValue ?? '0',
        averageValue: m.object.averageValue,
      }),
      metric: id(m.object.metricName ?? '', m.object.selector),
    };
  if (m.pods)
    out.pods = {
      metric: id(m.pods.metricName ?? '', m.pods.selector),
      target: { type: 'AverageValue', averageValue: m.pods.targetAverageValue ?? '0' },
    };
  const resourceTarget = (utilization: number | undefined, averageValue: Quantity | undefined) =>
    compact({
      type: utilization === undefined ? ('AverageValue' as const) : ('Utilization' as const),
      averageValue,
      averageUtilization: utilization,
    });
  if (m.resource)
    out.resource = {
      name: m.resource.name,
      target: resourceTarget(m.resource.targetAverageUtilization, m.resource.targetAverageValue),
    };
  if (m.containerResource)
    out.containerResource = {
      name: m.containerResource.name,
      target: resourceTarget(m.containerResource.targetAverageUtilization, m.containerResource.targetAverageValue),
      container: m.containerResource.container,
    };
  if (m.external)
    out.external = {
      metric: id(m.external.metricName ?? '', m.external.metricSelector),
      target: compact({
        type: m.external.targetValue === undefined ? ('AverageValue' as const) : ('Value' as const),
        value: m.external.targetValue,
        averageValue: m.external.targetAverageValue,
      }),
    };
  return out;
}

export function metricStatusToV1(m: MetricStatus): V1MetricStatus {
  const out: V1MetricStatus = { type: m.type };
  if (m.object)
    out.object = compact({
      target: ref(m.object.describedObject),
      metricName: m.object.metric?.name ?? '',
      currentValue: m.object.current?.value ?? '0',
      selector: m.object.metric?.selector,
      averageValue: m.object.current?.averageValue,
    });
  if (m.pods)
    out.pods = compact({
      metricName: m.pods.metric?.name ?? '',
      currentAverageValue: m.pods.current?.averageValue ?? '0',
      selector: m.pods.metric?.selector,
    });
  if (m.resource)
    out.resource = compact({
      name: m.resource.name,
      currentAverageUtilization: m.resource.current?.averageUtilization,
      currentAverageValue: m.resource.current?.averageValue ?? '0',
    });
  if (m.containerResource)
    out.containerResource = compact({
      name: m.containerResource.name,
      currentAverageUtilization: m.containerResource.current?.averageUtilization,
      currentAverageValue: m.containerResource.current?.averageValue ?? '0',
      container: m.containerResource.container,
    });
  if (m.external)
    out.external = compact({
      metricName: m.external.metric?.name ?? '',
      metricSelector: m.external.metric?.selector,
      currentValue: m.external.current?.value ?? '0',
      currentAverageValue: m.external.current?.averageValue,
    });
  return out;
}

export function metricStatusFromV1(m: V1MetricStatus): MetricStatus {
  const out: MetricStatus = { type: m.type as MetricStatus['type'] };
  const id = (name: string, selector: LabelSelector | undefined) => compact({ name, selector });
  if (m.object)
    out.object = {
      metric: id(m.object.metricName ?? '', m.object.selector),
      current: compact({ value: m.object.currentValue ?? '0', averageValue: m.object.averageValue }),
      describedObject: ref(m.object.target),
    };
  if (m.pods)
    out.pods = {
      metric: id(m.pods.metricName ?? '', m.pods.selector),
      current: { averageValue: m.pods.currentAverageValue ?? '0' },
    };
  if (m.resource)
    out.resource = {
      name: m.resource.name,
      current: compact({
        averageValue: m.resource.currentAverageValue ?? '0',
        averageUtilization: m.resource.currentAverageUtilization,
      }),
    };
  if (m.containerResource)
    out.containerResource = {
      name: m.containerResource.name,
      current: compact({
        averageValue: m.containerResource.currentAverageValue ?? '0',
        averageUtilization: m.containerResource.currentAverageUtilization,
      }),
      container: m.containerResource.container,
    };
  if (m.external)
    out.external = {
      metric: id(m.external.metricName ?? '', m.external.metricSelector),
      current: compact({ value: m.external.currentValue ?? '0', averageValue: m.external.currentAverageValue }),
    };
  return out;
}
