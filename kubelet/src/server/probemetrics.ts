// GET /metrics/probes: the prober's own registry (upstream serves ProberResults and ProberDuration
// there, apart from /metrics), with their names, labels, help texts and stability prefixes.
import { labelValue } from '@mkube/shared/metrics';
import type { ProbeType } from '../runtime/probeworker.js';

export type ProbeMetricResult = 'successful' | 'failed' | 'unknown';

export interface ProbeLabels {
  readonly container: string;
  readonly pod: string;
  readonly namespace: string;
  readonly podUID: string;
}

// Prometheus' DefBuckets, which ProberDuration leaves in place.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  readonly labels: string;
  readonly counts: number[];
  sum: number;
  count: number;
}

export class ProbeMetrics {
  readonly #totals = new Map<string, number>();
  readonly #durations = new Map<string, Histogram>();

  /**
   * One probe run, as the worker's doProbe counts it: every result in prober_probe_total, the
   * duration of successful and unknown ones in prober_probe_duration_seconds.
   */
  observe(type: ProbeType, result: ProbeMetricResult, l: ProbeLabels, seconds: number): void {
    const total = `container="${labelValue(l.container)}",namespace="${labelValue(l.namespace)}",pod="${labelValue(l.pod)}",pod_uid="${labelValue(l.podUID)}",probe_type="${type}",result="${result}"`;
    this.#totals.set(total, (this.#totals.get(total) ?? 0) + 1);
    if (result === 'failed') return;
    const key = `container="${labelValue(l.container)}",namespace="${labelValue(l.namespace)}",pod="${labelValue(l.pod)}",probe_type="${type}"`;
    let h = this.#durations.get(key);
    if (!h) {
      h = { labels: key, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#durations.set(key, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** The text exposition; a family without samples is left out, as Prometheus' gatherer does. */
  render(): string {
    const lines: string[] = [];
    if (this.#durations.size > 0) {
      lines.push(
        '# HELP prober_probe_duration_seconds [ALPHA] Duration in seconds for a probe response.',
        '# TYPE prober_probe_duration_seconds histogram',
      );
      for (const key of [...this.#durations.keys()].sort()) {
        const h = this.#durations.get(key)!;
        for (let i = 0; i < BUCKETS.length; i++)
          lines.push(`prober_probe_duration_seconds_bucket{${h.labels},le="${BUCKETS[i]}"} ${h.counts[i]}`);
        lines.push(`prober_probe_duration_seconds_bucket{${h.labels},le="+Inf"} ${h.count}`);
        lines.push(`prober_probe_duration_seconds_sum{${h.labels}} ${h.sum}`);
        lines.push(`prober_probe_duration_seconds_count{${h.labels}} ${h.count}`);
      }
    }
    if (this.#totals.size > 0) {
      lines.push(
        '# HELP prober_probe_total [BETA] Cumulative number of a liveness, readiness or startup probe for a container by result.',
        '# TYPE prober_probe_total counter',
      );
      for (const key of [...this.#totals.keys()].sort())
        lines.push(`prober_probe_total{${key}} ${this.#totals.get(key)}`);
    }
    return lines.length > 0 ? `${lines.join('\n')}\n` : '';
  }
}
