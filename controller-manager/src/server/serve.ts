// The controller-manager's secure port: delegated auth as every k8s.io/apiserver component
// (delegated.ts), with its own health checks (leader election's as upstream's
// NewLeaderHealthzAdaptor), metrics and configz.
import { execPluginMetricsText } from '@mkube/shared/client';
import { formatDuration } from '@mkube/shared/flags';
import type { Logger } from '@mkube/shared/log';
import { RUNNING_QUEUES } from '@mkube/shared/workqueue';
import { RUNNING_ZONE_DISRUPTION } from '../nodelifecycle/disruption.js';
import type { ControllerManagerConfig } from '../options/config.js';
import type { SecureServingConfig } from '../options/serving.js';
import type { SecureServer } from './app.js';
import { serveDelegated } from './delegated.js';

/** How long past the lease duration a leader may go unrenewed before /healthz fails (upstream: 20 s). */
export const LEADER_HEALTH_TIMEOUT_MS = 20_000;
const USER_AGENT = 'kube-controller-manager/v1.33.0 (mkube) delegated-auth';

export interface ServeDeps {
  readonly log: Logger;
  readonly isLeader: () => boolean;
  readonly leaderHealthy: () => boolean;
}

function metricsText(isLeader: boolean, leaseName: string | undefined): string {
  const mem = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const start = Date.now() / 1000 - process.uptime();
  const lines = [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${mem}`,
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${start.toFixed(3)}`,
  ];
  const queues = new Map<string, { depth: number; adds: number; retries: number }>();
  for (const q of RUNNING_QUEUES) {
    const m = queues.get(q.name) ?? { depth: 0, adds: 0, retries: 0 };
    queues.set(q.name, { depth: m.depth + q.length, adds: m.adds + q.adds, retries: m.retries + q.retries });
  }
  const names = [...queues.keys()].sort();
  const family = (
    metric: string,
    type: string,
    help: string,
    value: (m: { depth: number; adds: number; retries: number }) => number,
  ) => {
    lines.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} ${type}`);
    for (const n of names) lines.push(`${metric}{name="${n}"} ${value(queues.get(n)!)}`);
  };
  if (names.length > 0) {
    family('workqueue_adds_total', 'counter', '[ALPHA] Total number of adds handled by workqueue', (m) => m.adds);
    family('workqueue_depth', 'gauge', '[ALPHA] Current depth of workqueue', (m) => m.depth);
    family(
      'workqueue_retries_total',
      'counter',
      '[ALPHA] Total number of retries handled by workqueue',
      (m) => m.retries,
    );
  }
  // One node lifecycle controller runs per process (the leader's).
  const zones = RUNNING_ZONE_DISRUPTION.values().next().value;
  if (zones) lines.push(...zones.metrics());
  if (leaseName) {
    lines.push(
      "# HELP leader_election_master_status [ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
      '# TYPE leader_election_master_status gauge',
      `leader_election_master_status{name="${leaseName}"} ${isLeader ? 1 : 0}`,
    );
  }
  // client-go's exec plugin series, as every component registers them.
  return `${lines.join('\n')}\n${execPluginMetricsText()}`;
}

function configz(config: ControllerManagerConfig): unknown {
  const le = config.leaderElection;
  return {
    componentconfig: {
      Generic: {
        Controllers: [...config.enabled].sort(),
        LeaderElection: {
          LeaderElect: Boolean(le),
          ...(le
            ? {
                LeaseDuration: formatDuration(le.leaseDurationMs),
                RenewDeadline: formatDuration(le.renewDeadlineMs),
                RetryPeriod: formatDuration(le.retryPeriodMs),
                ResourceLock: 'leases',
                ResourceName: le.name,
                ResourceNamespace: le.namespace,
              }
            : {}),
        },
      },
      KubeCloudShared: { NodeMonitorPeriod: formatDuration(config.nodeMonitorPeriodMs) },
      CSRSigningController: { ClusterSigningDuration: formatDuration(config.signingDurationMs) },
      NodeLifecycleController: {
        NodeMonitorGracePeriod: formatDuration(config.nodeMonitorGracePeriodMs),
        NodeEvictionRate: config.nodeEvictionRate,
        SecondaryNodeEvictionRate: config.secondaryNodeEvictionRate,
        LargeClusterSizeThreshold: config.largeClusterSizeThreshold,
        UnhealthyZoneThreshold: config.unhealthyZoneThreshold,
      },
    },
  };
}

export function serveSecurely(
  config: ControllerManagerConfig,
  s: SecureServingConfig,
  d: ServeDeps,
): Promise<SecureServer> {
  return serveDelegated(s, {
    log: d.log,
    userAgent: USER_AGENT,
    checks: config.leaderElection ? [{ name: 'leaderElection', check: d.leaderHealthy }] : [],
    metrics: () => metricsText(d.isLeader(), config.leaderElection?.name),
    configz: () => configz(config),
    profiling: config.profiling,
    verbosity: config.verbosity,
  });
}
