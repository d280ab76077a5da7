// printHorizontalPodAutoscaler (k/k pkg/printers/internalversion/printers.go, 1.33). Upstream prints
// the internal object, so an autoscaling/v1 list reads the same as a v2 one: v1 objects are
// converted first.
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from '@mkube/shared/api';
import { canonicalQuantity } from '@mkube/shared/quantity';
import { hpaFromV1 } from '../registry/autoscaling/v1conversion.js';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

/** At most this many metrics are shown, then `+ N more...`. */
const MAX_SHOWN = 2;

const q = (s: string | undefined): string => canonicalQuantity(s ?? '0');

/** One metric's `current/target`; the current value comes from the status at the same index. */
function formatMetric(spec: MetricSpec, status: MetricStatus | undefined): string {
  const unknown = '<unknown>';
  switch (spec.type) {
    case 'External':
    case 'Object': {
      const src = spec.type === 'External' ? spec.external : spec.object;
      const cur = spec.type === 'External' ? status?.external?.current : status?.object?.current;
      const present = spec.type === 'External' ? !!status?.external : !!status?.object;
      if (src?.target?.averageValue !== undefined) {
        const current = cur?.averageValue !== undefined ? q(cur.averageValue) : unknown;
        return `${current}/${q(src.target.averageValue)} (avg)`;
      }
      return `${present ? q(cur?.value) : unknown}/${q(src?.target?.value)}`;
    }
    case 'Pods':
      return `${status?.pods ? q(status.pods.current?.averageValue) : unknown}/${q(spec.pods?.target?.averageValue)}`;
    case 'Resource':
    case 'ContainerResource': {
      const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const st = spec.type === 'Resource' ? status?.resource : status?.containerResource;
      const name = src?.name ?? '';
      if (src?.target?.averageValue !== undefined)
        return `${name}: ${st ? q(st.current?.averageValue) : unknown}/${q(src.target.averageValue)}`;
      const util = st?.current?.averageUtilization;
      const target = src?.target?.averageUtilization;
      return `${name}: ${util !== undefined ? `${util}%` : unknown}/${target !== undefined ? `${target}%` : '<auto>'}`;
    }
    default:
      return '<unknown type>';
  }
}

/** formatHPAMetrics: the TARGETS cell. */
export function formatHPAMetrics(
  specs: readonly MetricSpec[] | undefined,
  statuses: readonly MetricStatus[] | null | undefined,
): string {
  if (!specs?.length) return '<none>';
  const list = specs.map((s, i) => formatMetric(s, statuses?.[i]));
  if (list.length <= MAX_SHOWN) return list.join(', ');
  return `${list.slice(0, MAX_SHOWN).join(', ')} + ${list.length - MAX_SHOWN} more...`;
}

export const horizontalPodAutoscalerPrinter: Printer = printer<HorizontalPodAutoscaler>({
  columns: [
    NAME_COLUMN,
    col(
      'Reference',
      'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
    ),
    col(
      'Targets',
      'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).',
    ),
    col(
      'MinPods',
      'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.',
    ),
    col(
      'MaxPods',
      'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.',
    ),
    col(
      'Replicas',
      'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
    ),
    AGE_COLUMN,
  ],
  cells: (obj, now) => {
    const o = obj.apiVersion === 'autoscaling/v1' ? (hpaFromV1(obj) as HorizontalPodAutoscaler) : obj;
    const spec = o.spec;
    return [
      o.metadata.name,
      `${spec?.scaleTargetRef?.kind ?? ''}/${spec?.scaleTargetRef?.name ?? ''}`,
      formatHPAMetrics(spec?.metrics, o.status?.currentMetrics),
      spec?.minReplicas === undefined ? '<unset>' : String(spec.minReplicas),
      spec?.maxReplicas ?? 0,
      o.status?.currentReplicas ?? 0,
      timestampSince(o.metadata.creationTimestamp, now),
    ];
  },
});
