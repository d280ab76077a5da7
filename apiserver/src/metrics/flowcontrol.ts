// API Priority and Fairness' metrics (upstream's util/flowcontrol/metrics): requests dispatched and
// rejected per flow schema and priority level, how long each waited, and each level's seats and
// queues. Executing requests are counted per flow schema here, at the gate; waiting ones per level.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FlowControlMetrics, LevelStats } from '../flowcontrol/types.js';

const WAIT_BUCKETS = [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];

export interface FlowControlMetricsHooks extends FlowControlMetrics {
  /**
   * The count of requests executing for this flow schema and priority level, for the gate to keep
   * (a plain number per pair, read at scrape time: labelled gauge updates per request cost more).
   */
  executing(flowSchema: string, priorityLevel: string): { n: number };
  /** Per-level gauges are read from here when /metrics is scraped. */
  levels(read: () => readonly LevelStats[]): void;
}

export function flowControlMetrics(registry: Registry): FlowControlMetricsHooks {
  const dispatched = new Counter({
    name: 'apiserver_flowcontrol_dispatched_requests_total',
    help: '[BETA] Number of requests executed by API Priority and Fairness subsystem',
    labelNames: ['flow_schema', 'priority_level'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'apiserver_flowcontrol_rejected_requests_total',
    help: '[BETA] Number of requests rejected by API Priority and Fairness subsystem',
    labelNames: ['flow_schema', 'priority_level', 'reason'],
    registers: [registry],
  });
  const waited = new Histogram({
    name: 'apiserver_flowcontrol_request_wait_duration_seconds',
    help: '[BETA] Length of time a request spent waiting in its queue',
    labelNames: ['execute', 'flow_schema', 'priority_level'],
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });
  const executingCounts = new Map<string, { readonly fs: string; readonly pl: string; n: number }>();
  new Gauge({
    name: 'apiserver_flowcontrol_current_executing_requests',
    help: '[BETA] Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem',
    labelNames: ['flow_schema', 'priority_level'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of executingCounts.values()) this.set({ flow_schema: c.fs, priority_level: c.pl }, c.n);
    },
  });
  let read: () => readonly LevelStats[] = () => [];
  new Gauge({
    name: 'apiserver_flowcontrol_current_inqueue_requests',
    help: '[BETA] Number of requests currently pending in queues of the API Priority and Fairness subsystem',
    labelNames: ['priority_level'],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of read()) this.set({ priority_level: l.name }, l.waiting);
    },
  });
  new Gauge({
    name: 'apiserver_flowcontrol_nominal_limit_seats',
    help: '[BETA] Nominal number of execution seats configured for each priority level',
    labelNames: ['priority_level'],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of read()) this.set({ priority_level: l.name }, l.nominalLimit);
    },
  });
  new Gauge({
    name: 'apiserver_flowcontrol_current_limit_seats',
    help: '[ALPHA] current derived number of execution seats available to each priority level',
    labelNames: ['priority_level'],
    registers: [registry],
    collect() {
      this.reset();
      // No borrowing between levels: the current limit is the nominal one.
      for (const l of read()) this.set({ priority_level: l.name }, l.nominalLimit);
    },
  });
  return {
    dispatched: (fs, pl) => dispatched.inc({ flow_schema: fs, priority_level: pl }),
    rejected: (fs, pl, reason) => rejected.inc({ flow_schema: fs, priority_level: pl, reason }),
    waited: (fs, pl, executed, seconds) =>
      waited.observe({ execute: String(executed), flow_schema: fs, priority_level: pl }, seconds),
    executing(fs, pl) {
      const key = `${fs}\u0000${pl}`;
      const known = executingCounts.get(key);
      if (known) return known;
      const c = { fs, pl, n: 0 };
      executingCounts.set(key, c);
      return c;
    },
    levels(r) {
      read = r;
    },
  };
}
