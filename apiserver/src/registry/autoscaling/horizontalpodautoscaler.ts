// autoscaling HorizontalPodAutoscaler (pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go):
// clients own the spec, the HPA controller owns the status and writes it through /status. Objects are
// kept in the autoscaling/v2 shape; autoscaling/v1 requests are converted (v1conversion.ts).
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus, HPAScalingRules } from '@mkube/shared/api';
import { jsonEqual } from '../../util/json.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { defaultHorizontalPodAutoscaler } from './defaults.js';
import { validateHorizontalPodAutoscalerSpec, validateHorizontalPodAutoscalerStatus } from './validation.js';

/** A new status as upstream serializes it: v2's currentMetrics has no omitempty, so it reads null. */
const emptyStatus = (): HorizontalPodAutoscalerStatus =>
  ({ currentMetrics: null, desiredReplicas: 0 }) as unknown as HorizontalPodAutoscalerStatus;

function scalingRules(hpa: HorizontalPodAutoscaler | undefined): HPAScalingRules[] {
  const b = hpa?.spec?.behavior;
  return [b?.scaleDown, b?.scaleUp].filter((r): r is HPAScalingRules => !!r);
}

/**
 * dropDisabledFields: `tolerance` needs HPAConfigurableTolerance (alpha in 1.33, off), unless the
 * stored object already uses it.
 */
function dropTolerance(hpa: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler | undefined): void {
  if (scalingRules(old).some((r) => r.tolerance !== undefined)) return;
  for (const r of scalingRules(hpa)) delete r.tolerance;
}

/** HPAScaleToZero is alpha and off: 1, unless the stored object already allows zero. */
const minReplicasLowerBound = (old: HorizontalPodAutoscaler | undefined): number =>
  old?.spec?.minReplicas === 0 ? 0 : 1;

export const horizontalPodAutoscalerStrategy: RESTStrategy<HorizontalPodAutoscaler> = {
  prepareForCreate(hpa) {
    defaultHorizontalPodAutoscaler(hpa);
    hpa.status = emptyStatus();
    dropTolerance(hpa, undefined);
  },
  prepareForUpdate(hpa, old) {
    defaultHorizontalPodAutoscaler(hpa);
    hpa.status = old.status ?? emptyStatus();
    dropTolerance(hpa, old);
  },
  validate: (hpa) => validateHorizontalPodAutoscalerSpec(hpa.spec, minReplicasLowerBound(undefined)),
  validateUpdate: (hpa, old) => validateHorizontalPodAutoscalerSpec(hpa.spec, minReplicasLowerBound(old)),
  // Upstream's HPAGeneration: the controller reports the generation it acted on in status.observedGeneration.
  bumpsGeneration: (hpa, old) => !jsonEqual(hpa.spec, old.spec),
};

export const horizontalPodAutoscalerStatusStrategy: SubresourceStrategy<HorizontalPodAutoscaler> = {
  prepareForUpdate(hpa, old) {
    hpa.spec = old.spec;
    hpa.status ??= emptyStatus();
  },
  validateUpdate: (hpa) => validateHorizontalPodAutoscalerStatus(hpa.status),
};
