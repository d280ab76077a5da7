// autoscaling/v2 defaults (pkg/apis/autoscaling/v2/defaults.go, 1.33), applied to every write as
// upstream's decoder does: one replica at least, 80 % average CPU when no metric is named, and a
// behavior filled in only when the client gave one.
import type { HorizontalPodAutoscaler, HPAScalingRules } from '@mkube/shared/api';

/** autoscaling.DefaultCPUUtilization: what the controller once assumed and v1 conversion still does. */
export const DEFAULT_CPU_UTILIZATION = 80;

// Upstream keeps these as data so the controller can read the same numbers; scale-down leaves its
// window unset because --horizontal-pod-autoscaler-downscale-stabilization decides it.
const scaleUpRules = (): HPAScalingRules => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});
const scaleDownRules = (): HPAScalingRules => ({
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
});

/** Fields the client set win; the rest come from `base`. */
function fillRules(given: HPAScalingRules | undefined, base: HPAScalingRules): HPAScalingRules {
  if (!given) return base;
  const out: HPAScalingRules = { ...base };
  if (given.stabilizationWindowSeconds !== undefined) out.stabilizationWindowSeconds = given.stabilizationWindowSeconds;
  if (given.selectPolicy !== undefined) out.selectPolicy = given.selectPolicy;
  if (given.policies !== undefined) out.policies = given.policies;
  if (given.tolerance !== undefined) out.tolerance = given.tolerance;
  return out;
}

export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): void {
  hpa.spec ??= { scaleTargetRef: { kind: '', name: '' }, maxReplicas: 0 };
  const spec = hpa.spec;
  spec.minReplicas ??= 1;
  if (!spec.metrics?.length) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } },
      },
    ];
  }
  if (spec.behavior) {
    spec.behavior = {
      scaleUp: fillRules(spec.behavior.scaleUp, scaleUpRules()),
      scaleDown: fillRules(spec.behavior.scaleDown, scaleDownRules()),
    };
  }
}
