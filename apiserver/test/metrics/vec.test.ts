// The request-path series (CounterVec, HistogramVec) against prom-client's own Counter and
// Histogram: the same observations must print the same /metrics text, in both exposition formats.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterVec, HistogramVec } from '../../src/metrics/vec.js';

const BUCKETS = [0.005, 0.025, 0.1, 1, 10];

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('CounterVec and HistogramVec', () => {
  for (const type of [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE]) {
    it(`print what prom-client prints for the same observations (${type.split(';')[0]})`, async () => {
      const theirs = new Registry();
      const ours = new Registry();
      theirs.setContentType(type as never);
      ours.setContentType(type as never);
      const c1 = new Counter({ name: 'reqs_total', help: 'h "c"', labelNames: ['verb', 'code'], registers: [theirs] });
      const c2 = new CounterVec('reqs_total', 'h "c"', ['verb', 'code'], ours);
      const h1 = new Histogram({ name: 'lat', help: 'l', labelNames: ['verb'], buckets: BUCKETS, registers: [theirs] });
      const h2 = new HistogramVec('lat', 'l', ['verb'], BUCKETS, ours);
      const r = rng(7);
      for (let i = 0; i < 2_000; i++) {
        const verb = ['GET', 'LIST', 'POST', 'we"ird\\'][Math.floor(r() * 4)]!;
        const code = r() < 0.9 ? '200' : '429';
        // Bucket bounds themselves, and values past the last one.
        const v = r() < 0.2 ? BUCKETS[Math.floor(r() * BUCKETS.length)]! : r() * 20;
        c1.inc({ verb, code });
        c2.with(verb, code).inc();
        h1.observe({ verb }, v);
        h2.with(verb).observe(v);
      }
      assert.equal(await ours.metrics(), await theirs.metrics());
      theirs.resetMetrics();
      ours.resetMetrics();
      c1.inc({ verb: 'GET', code: '200' }, 3);
      c2.with('GET', '200').inc(3);
      assert.equal((await ours.getMetricsAsJSON()).length, 2);
    });
  }

  it('refuses the wrong number of label values and a value that is no number', () => {
    const reg = new Registry();
    const h = new HistogramVec('x', 'x', ['a', 'b'], BUCKETS, reg);
    assert.throws(() => h.with('1'), /1 label values for 2 labels/);
    assert.throws(() => h.with('1', '2').observe(Number.NaN), TypeError);
  });
});
