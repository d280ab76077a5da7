// kube-scheduler's metrics under their upstream names (pkg/scheduler/metrics): attempts and their
// latency by result and profile, pending pods by queue, leader_election_master_status, and the
// process series every component exposes — written in the Prometheus text format by hand, as the
// controller-manager's are.
import { execPluginMetricsText } from '@mkube/shared/client';
import { labelSet } from '@mkube/shared/metrics';
import type { PendingCounts } from '../queue/queue.js';

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

/** metrics.ExponentialBuckets(0.001, 2, 15): 1 ms to ~16 s. */
export const ATTEMPT_BUCKETS: readonly number[] = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i).map((b) =>
  Number(b.toPrecision(12)),
);

interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class SchedulerMetrics {
  readonly #attempts = new Map<string, number>();
  readonly #durations = new Map<string, Histogram>();

  /** metrics.PodScheduled / PodUnschedulable / PodScheduleError. */
  observeAttempt(result: AttemptResult, profile: string, seconds: number): void {
    const key = JSON.stringify([result, profile]);
    this.#attempts.set(key, (this.#attempts.get(key) ?? 0) + 1);
    const h = this.#durations.get(key) ?? { counts: ATTEMPT_BUCKETS.map(() => 0), sum: 0, count: 0 };
    this.#durations.set(key, h);
    ATTEMPT_BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  attempts(result: AttemptResult, profile: string): number {
    return this.#attempts.get(JSON.stringify([result, profile])) ?? 0;
  }

  /** The text format; `pending` and the leader state are read now. */
  text(pending: PendingCounts, leader: { readonly lease?: string; readonly isLeader: boolean }): string {
    const lines = processLines();
    lines.push(
      "# HELP scheduler_pending_pods [STABLE] Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
      '# TYPE scheduler_pending_pods gauge',
    );
    for (const q of ['active', 'backoff', 'gated', 'unschedulable'] as const)
      lines.push(`scheduler_pending_pods${labelSet({ queue: q })} ${pending[q]}`);
    const keys = [...this.#attempts.keys()].sort();
    lines.push(
      "# HELP scheduler_schedule_attempts_total [STABLE] Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
      '# TYPE scheduler_schedule_attempts_total counter',
    );
    for (const k of keys) {
      const [result, profile] = JSON.parse(k) as [string, string];
      lines.push(`scheduler_schedule_attempts_total${labelSet({ profile, result })} ${this.#attempts.get(k)}`);
    }
    lines.push(
      '# HELP scheduler_scheduling_attempt_duration_seconds [STABLE] Scheduling attempt latency in seconds (scheduling algorithm + binding)',
      '# TYPE scheduler_scheduling_attempt_duration_seconds histogram',
    );
    for (const k of keys) {
      const [result, profile] = JSON.parse(k) as [string, string];
      const h = this.#durations.get(k)!;
      const base = labelSet({ profile, result }).slice(0, -1);
      ATTEMPT_BUCKETS.forEach((b, i) => {
        lines.push(`scheduler_scheduling_attempt_duration_seconds_bucket${base},le="${b}"} ${h.counts[i]}`);
      });
      lines.push(`scheduler_scheduling_attempt_duration_seconds_bucket${base},le="+Inf"} ${h.count}`);
      lines.push(`scheduler_scheduling_attempt_duration_seconds_sum${base}} ${h.sum}`);
      lines.push(`scheduler_scheduling_attempt_duration_seconds_count${base}} ${h.count}`);
    }
    if (leader.lease) {
      lines.push(
        "# HELP leader_election_master_status [ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
        '# TYPE leader_election_master_status gauge',
        `leader_election_master_status${labelSet({ name: leader.lease })} ${leader.isLeader ? 1 : 0}`,
      );
    }
    return `${lines.join('\n')}\n${execPluginMetricsText()}`;
  }
}

/** The process collector's series (client_golang's, as every component registers). */
function processLines(): string[] {
  const cpu = process.cpuUsage();
  const start = Date.now() / 1000 - process.uptime();
  return [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage().rss}`,
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${start.toFixed(3)}`,
  ];
}
