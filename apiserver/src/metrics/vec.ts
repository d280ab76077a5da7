// Labelled counters and histograms for series that move on every request. prom-client validates
// and hashes a labels object on every inc/observe (its labels() children too) and keys histogram
// buckets by their bounds as strings: ~2.5 % of the apiserver's main thread in the join. Here a
// series is found once by its label values and then only adds numbers; the registry reads it
// through prom-client's metric interface (name, help, type, get), so /metrics is unchanged.
import type { Registry } from 'prom-client';

type Labels = Record<string, string | number>;

interface Sample {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
}

const SEP = '\u0000';

abstract class Vec<S> {
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract make(labels: Labels): S;

  /** The series of these label values, in labelNames' order (created at zero on first use). */
  with(...values: readonly string[]): S {
    const key = values.length === 1 ? values[0]! : values.join(SEP);
    let s = this.series.get(key);
    if (s === undefined) {
      if (values.length !== this.labelNames.length) {
        throw new Error(`${this.name}: ${values.length} label values for ${this.labelNames.length} labels`);
      }
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i]!;
      });
      s = this.make(labels);
      this.series.set(key, s);
    }
    return s;
  }
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class CounterVec extends Vec<CounterSeries> {
  readonly type = 'counter';
  protected make(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }
  async get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
  reset(): void {
    for (const s of this.series.values()) s.value = 0;
  }
}

export class HistogramSeries {
  sum = 0;
  count = 0;
  /** Observations per bucket, not cumulative; the last is +Inf. */
  readonly counts: Float64Array;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    if (!Number.isFinite(v)) throw new TypeError(`Value is not a valid number: ${v}`);
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export class HistogramVec extends Vec<HistogramSeries> {
  readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  protected make(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.buckets);
  }
  async get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
