// kube-controller-manager's HPAControllerOptions: the horizontal-pod-autoscaler-controller's flags,
// under upstream's names and defaults, parsed into milliseconds once.
import type { ConfigProblem, FlagSpec, FlagValues } from '@mkube/shared/flags';

export const HPA_FLAGS: readonly FlagSpec[] = [
  {
    name: 'horizontal-pod-autoscaler-sync-period',
    type: 'duration',
    default: '15s',
    usage: 'The period for syncing the number of pods in horizontal pod autoscaler.',
  },
  {
    name: 'horizontal-pod-autoscaler-downscale-stabilization',
    type: 'duration',
    default: '5m0s',
    usage:
      'The period for which autoscaler will look backwards and not scale down below any recommendation it made during that period.',
  },
  {
    name: 'horizontal-pod-autoscaler-tolerance',
    type: 'float',
    default: 0.1,
    usage:
      'The minimum change (from 1.0) in the desired-to-actual metrics ratio for the horizontal pod autoscaler to consider scaling.',
  },
  {
    name: 'horizontal-pod-autoscaler-cpu-initialization-period',
    type: 'duration',
    default: '5m0s',
    usage: 'The period after pod start when CPU samples might be skipped.',
  },
  {
    name: 'horizontal-pod-autoscaler-initial-readiness-delay',
    type: 'duration',
    default: '30s',
    usage: 'The period after pod start during which readiness changes will be treated as initial readiness.',
  },
  {
    name: 'concurrent-horizontal-pod-autoscaler-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of horizontal pod autoscaler objects that are allowed to sync concurrently. Larger number = more responsive horizontal pod autoscaler objects processing, but more CPU (and network) load.',
  },
];

export interface HPAControllerConfig {
  readonly syncPeriodMs: number;
  readonly downscaleStabilizationMs: number;
  readonly tolerance: number;
  readonly cpuInitializationPeriodMs: number;
  readonly initialReadinessDelayMs: number;
  readonly workers: number;
}

export function loadHPAConfig(flags: FlagValues, problems: ConfigProblem[]): HPAControllerConfig {
  const num = (flag: string) => Number(flags[flag]);
  const config: HPAControllerConfig = {
    syncPeriodMs: num('horizontal-pod-autoscaler-sync-period'),
    downscaleStabilizationMs: num('horizontal-pod-autoscaler-downscale-stabilization'),
    tolerance: num('horizontal-pod-autoscaler-tolerance'),
    cpuInitializationPeriodMs: num('horizontal-pod-autoscaler-cpu-initialization-period'),
    initialReadinessDelayMs: num('horizontal-pod-autoscaler-initial-readiness-delay'),
    workers: num('concurrent-horizontal-pod-autoscaler-syncs'),
  };
  // A zero period would requeue every HPA without pause.
  if (!(config.syncPeriodMs > 0))
    problems.push({
      code: 'BAD_VALUE',
      flag: 'horizontal-pod-autoscaler-sync-period',
      message: 'must be greater than 0',
    });
  if (!(config.tolerance >= 0))
    problems.push({ code: 'BAD_VALUE', flag: 'horizontal-pod-autoscaler-tolerance', message: 'must not be negative' });
  for (const flag of [
    'horizontal-pod-autoscaler-downscale-stabilization',
    'horizontal-pod-autoscaler-cpu-initialization-period',
    'horizontal-pod-autoscaler-initial-readiness-delay',
  ])
    if (!(num(flag) >= 0)) problems.push({ code: 'BAD_VALUE', flag, message: 'must not be negative' });
  if (!Number.isInteger(config.workers) || config.workers < 1)
    problems.push({
      code: 'BAD_VALUE',
      flag: 'concurrent-horizontal-pod-autoscaler-syncs',
      message: `must be at least 1 (got ${flags['concurrent-horizontal-pod-autoscaler-syncs']})`,
    });
  return config;
}
