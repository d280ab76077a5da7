// API Priority and Fairness' metrics (upstream's util/flowcontrol/metrics): requests dispatched and
// rejected per flow schema and priority level, how long each waited and held its seats, their
// estimated seats, the queue lengths they found and the watches each write counted, and each
// level's seats and queues. Executing requests are counted per flow schema here, at the gate;
// waiting ones per level.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FlowControlMetrics, LevelSource, LevelStats } from '../flowcontrol/types.js';
import { CounterVec, HistogramVec } from './vec.js';

const WAIT_BUCKETS = [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];
// A request takes at most 10 seats.
const SEATS_BUCKETS = [1, 2, 4, 10];
const WATCH_COUNT_BUCKETS = [0, 1, 10, 100, 1000, 10000];
const QUEUE_LENGTH_BUCKETS = [0, 10, 25, 50, 100, 250, 500, 1000];

export interface FlowControlMetricsHooks extends FlowControlMetrics {
  /**
   * The count of requests executing for this flow schema and priority level, for the gate to keep
   * (a plain number per pair, read at scrape time: labelled gauge updates per request cost more).
   */
  executing(flowSchema: string, priorityLevel: string): { n: number };
  /** Per-level gauges are read from here when /metrics is scraped. */
  levels(source: LevelSource): void;
  /**
   * ObserveExecutionDuration: how long an admitted request held its seats — a watch until it was
   * initialized, anything else until it was answered.
   */
  executed(priorityLevel: string, flowSchema: string, watch: boolean, seconds: number): void;
}

export function flowControlMetrics(registry: Registry): FlowControlMetricsHooks {
  const dispatched = new CounterVec(
    'apiserver_flowcontrol_dispatched_requests_total',
    '[BETA] Number of requests executed by API Priority and Fairness subsystem',
    ['flow_schema', 'priority_level'],
    registry,
  );
  const rejected = new Counter({
    name: 'apiserver_flowcontrol_rejected_requests_total',
    help: '[BETA] Number of requests rejected by API Priority and Fairness subsystem',
    labelNames: ['flow_schema', 'priority_level', 'reason'],
    registers: [registry],
  });
  const waited = new HistogramVec(
    'apiserver_flowcontrol_request_wait_duration_seconds',
    '[BETA] Length of time a request spent waiting in its queue',
    ['execute', 'flow_schema', 'priority_level'],
    WAIT_BUCKETS,
    registry,
  );
  const estimatedSeats = new HistogramVec(
    'apiserver_flowcontrol_work_estimated_seats',
    '[ALPHA] Number of estimated seats (maximum of initial and final seats) associated with requests in API Priority and Fairness',
    ['priority_level', 'flow_schema'],
    SEATS_BUCKETS,
    registry,
  );
  const watchCounts = new HistogramVec(
    'apiserver_flowcontrol_watch_count_samples',
    '[ALPHA] count of watchers for mutating requests in API Priority and Fairness',
    ['priority_level', 'flow_schema'],
    WATCH_COUNT_BUCKETS,
    registry,
  );
  const executionSeconds = new HistogramVec(
    'apiserver_flowcontrol_request_execution_seconds',
    '[ALPHA] Duration of initial stage (for a WATCH) or any (for a non-WATCH) stage of request execution in the API Priority and Fairness subsystem',
    ['priority_level', 'flow_schema', 'type'],
    WAIT_BUCKETS,
    registry,
  );
  const queueLengths = new HistogramVec(
    'apiserver_flowcontrol_request_queue_length_after_enqueue',
    '[ALPHA] Length of queue in the API Priority and Fairness subsystem, as seen by each request after it is enqueued',
    ['priority_level', 'flow_schema'],
    QUEUE_LENGTH_BUCKETS,
    registry,
  );
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
  let source: LevelSource | undefined;
  const read = (): readonly LevelStats[] => source?.levelStats() ?? [];
  // A pair once seen stays, at 0 when nothing of it waits, as upstream's gauge does.
  const inqueuePairs = new Map<string, { fs: string; pl: string }>();
  new Gauge({
    name: 'apiserver_flowcontrol_current_inqueue_requests',
    help: '[BETA] Number of requests currently pending in queues of the API Priority and Fairness subsystem',
    labelNames: ['flow_schema', 'priority_level'],
    registers: [registry],
    collect() {
      this.reset();
      const now = new Map<string, number>();
      for (const [pl, byFs] of source?.waitingByFlowSchema() ?? []) {
        for (const [fs, n] of byFs) {
          const key = `${fs}\u0000${pl}`;
          if (!inqueuePairs.has(key)) inqueuePairs.set(key, { fs, pl });
          now.set(key, n);
        }
      }
      for (const [key, p] of inqueuePairs) this.set({ flow_schema: p.fs, priority_level: p.pl }, now.get(key) ?? 0);
    },
  });
  // One gauge per level figure, read at scrape time.
  const levelGauge = (name: string, help: string, value: (l: LevelStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['priority_level'],
      registers: [registry],
      collect() {
        this.reset();
        for (const l of read()) this.set({ priority_level: l.name }, value(l));
      },
    });
  levelGauge(
    'apiserver_flowcontrol_nominal_limit_seats',
    '[BETA] Nominal number of execution seats configured for each priority level',
    (l) => l.nominalLimit,
  );
  levelGauge(
    'apiserver_flowcontrol_lower_limit_seats',
    '[ALPHA] Configured lower bound on number of execution seats available to each priority level',
    (l) => l.lowerLimit,
  );
  levelGauge(
    'apiserver_flowcontrol_upper_limit_seats',
    '[ALPHA] Configured upper bound on number of execution seats available to each priority level',
    (l) => l.upperLimit,
  );
  levelGauge(
    'apiserver_flowcontrol_demand_seats_high_watermark',
    '[ALPHA] High watermark, over last adjustment period, of demand_seats',
    (l) => l.demandHighWatermark,
  );
  levelGauge(
    'apiserver_flowcontrol_demand_seats_average',
    '[ALPHA] Time-weighted average, over last adjustment period, of demand_seats',
    (l) => l.demandAverage,
  );
  levelGauge(
    'apiserver_flowcontrol_demand_seats_stdev',
    '[ALPHA] Time-weighted standard deviation, over last adjustment period, of demand_seats',
    (l) => l.demandStdDev,
  );
  levelGauge('apiserver_flowcontrol_demand_seats_smoothed', '[ALPHA] Smoothed seat demands', (l) => l.demandSmoothed);
  levelGauge('apiserver_flowcontrol_target_seats', '[ALPHA] Seat allocation targets', (l) => l.target);
  new Gauge({
    name: 'apiserver_flowcontrol_seat_fair_frac',
    help: "[ALPHA] Fair fraction of server's concurrency to allocate to each priority level that can use it",
    registers: [registry],
    collect() {
      this.set(source?.seatFairFrac() ?? 0);
    },
  });
  levelGauge(
    'apiserver_flowcontrol_current_limit_seats',
    '[ALPHA] current derived number of execution seats available to each priority level',
    (l) => l.currentLimit,
  );
  return {
    dispatched: (fs, pl) => dispatched.with(fs, pl).inc(),
    rejected: (fs, pl, reason) => rejected.inc({ flow_schema: fs, priority_level: pl, reason }),
    waited: (fs, pl, executed, seconds) => waited.with(executed ? 'true' : 'false', fs, pl).observe(seconds),
    workEstimatedSeats: (pl, fs, seats) => estimatedSeats.with(pl, fs).observe(seats),
    watchCount: (pl, fs, n) => watchCounts.with(pl, fs).observe(n),
    queueLength: (pl, fs, n) => queueLengths.with(pl, fs).observe(n),
    executed: (pl, fs, watch, seconds) => executionSeconds.with(pl, fs, watch ? 'watch' : 'regular').observe(seconds),
    executing(fs, pl) {
      const key = `${fs}\u0000${pl}`;
      const known = executingCounts.get(key);
      if (known) return known;
      const c = { fs, pl, n: 0 };
      executingCounts.set(key, c);
      return c;
    },
    levels(s) {
      source = s;
    },
  };
}
