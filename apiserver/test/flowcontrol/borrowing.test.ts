// The pieces of API Priority and Fairness' borrowing and Retry-After: the seat allocation (upstream's
// conc_alloc.go), the time-weighted demand integrator, and the dropped-requests tracker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AllocationItem, computeConcurrencyAllocation } from '../../src/flowcontrol/allocation.ts';
import { DroppedRequestsTracker } from '../../src/flowcontrol/droppedrequests.ts';
import { Integrator } from '../../src/flowcontrol/integrator.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} ≠ ${b}`);

/** The defining properties of an allocation: sums to the total, each item is fairFrac × target or pinned to the bound fairFrac × target is beyond. */
function checkAllocation(required: number, items: AllocationItem[]): number[] {
  const result = computeConcurrencyAllocation(required, items);
  assert.ok(!(result instanceof Error), String(result));
  const { allocs, fairFrac } = result;
  close(
    allocs.reduce((a, b) => a + b, 0),
    required,
    'sum',
  );
  for (const [i, it] of items.entries()) {
    const want = fairFrac * Math.max(it.target, 0.001);
    const a = allocs[i]!;
    assert.ok(a >= it.lowerBound - 1e-9 && a <= it.upperBound + 1e-9, `item ${i} ${a} outside its bounds`);
    if (Math.abs(a - want) > 1e-6) {
      const pinnedLow = Math.abs(a - it.lowerBound) < 1e-6 && it.lowerBound > want;
      const pinnedHigh = Math.abs(a - it.upperBound) < 1e-6 && it.upperBound < want;
      assert.ok(
        pinnedLow || pinnedHigh,
        `item ${i}: ${a}, fair share ${want}, bounds [${it.lowerBound}, ${it.upperBound}]`,
      );
    }
  }
  return allocs;
}

describe('computeConcurrencyAllocation', () => {
  it('shares in proportion to the targets when no bound matters', () => {
    const allocs = checkAllocation(100, [
      { target: 10, lowerBound: 0, upperBound: 100 },
      { target: 30, lowerBound: 0, upperBound: 100 },
    ]);
    assert.deepEqual(allocs, [25, 75]);
  });

  it('pins items to their bounds and shares the rest among the others', () => {
    // The second wants 3/4 of 100 but may have at most 50; the first takes the rest.
    assert.deepEqual(
      checkAllocation(100, [
        { target: 10, lowerBound: 0, upperBound: 100 },
        { target: 30, lowerBound: 0, upperBound: 50 },
      ]),
      [50, 50],
    );
    // A lower bound above the fair share holds.
    assert.deepEqual(
      checkAllocation(100, [
        { target: 40, lowerBound: 40, upperBound: 100 },
        { target: 1, lowerBound: 1, upperBound: 100 },
        { target: 99, lowerBound: 0, upperBound: 100 },
      ]).map((a) => Math.round(a * 1000) / 1000),
      [40, 1, 59],
    );
  });

  it('gives every item its lower (upper) bound when those sum to the total', () => {
    assert.deepEqual(
      checkAllocation(10, [
        { target: 9, lowerBound: 4, upperBound: 9 },
        { target: 8, lowerBound: 6, upperBound: 8 },
      ]),
      [4, 6],
    );
    assert.deepEqual(
      checkAllocation(17, [
        { target: 9, lowerBound: 4, upperBound: 9 },
        { target: 8, lowerBound: 6, upperBound: 8 },
      ]),
      [9, 8],
    );
  });

  it('says why there is no allocation', () => {
    const err = (r: unknown) => (r instanceof Error ? r.message : `no error: ${JSON.stringify(r)}`);
    assert.match(
      err(computeConcurrencyAllocation(5, [{ target: 9, lowerBound: 6, upperBound: 9 }])),
      /lower bounds sum to 6, which is higher than the required sum of 5/,
    );
    assert.match(
      err(computeConcurrencyAllocation(50, [{ target: 9, lowerBound: 6, upperBound: 9 }])),
      /upper bounds sum to 9, which is lower than the required sum of 50/,
    );
    assert.match(
      err(computeConcurrencyAllocation(5, [{ target: 1, lowerBound: 2, upperBound: 9 }])),
      /target 0 is 1, which is below its lower bound of 2/,
    );
  });

  it('holds its properties over random problems', () => {
    // A small deterministic generator, so that a failure can be replayed.
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 500; round++) {
      const n = 1 + Math.floor(rand() * 8);
      const items: AllocationItem[] = [];
      let low = 0;
      let high = 0;
      for (let i = 0; i < n; i++) {
        const lowerBound = rand() < 0.3 ? 0 : Math.floor(rand() * 50);
        const upperBound = lowerBound + Math.floor(rand() * 600);
        const target = rand() < 0.2 ? lowerBound : lowerBound + rand() * 300;
        items.push({ target, lowerBound, upperBound });
        low += lowerBound;
        high += upperBound;
      }
      const required = Math.round(low + rand() * (high - low));
      checkAllocation(required, items);
    }
  });
});

describe('Integrator', () => {
  it('time-weights the average and deviation, keeps min and max, and starts again at reset', () => {
    const igr = new Integrator(0);
    igr.set(10, 1_000); // 0 for 1 s
    igr.set(2, 4_000); // 10 for 3 s
    const r = igr.reset(5_000); // 2 for 1 s
    close(r.duration, 5, 'duration');
    close(r.average, (0 * 1 + 10 * 3 + 2 * 1) / 5, 'average');
    const meanSq = (0 + 100 * 3 + 4 * 1) / 5;
    close(r.deviation, Math.sqrt(meanSq - r.average ** 2), 'deviation');
    assert.deepEqual([r.min, r.max], [0, 10]);
    // The next period starts at the current value.
    const empty = igr.reset(5_000);
    assert.equal(empty.duration, 0);
    assert.ok(Number.isNaN(empty.average));
    assert.deepEqual([empty.min, empty.max], [2, 2]);
    const next = igr.reset(7_000);
    close(next.average, 2, 'steady average');
    close(next.deviation, 0, 'steady deviation');
  });
});

describe('DroppedRequestsTracker', () => {
  it('starts at 1 s, doubles after 3 × retryAfter drops, no sooner than retryAfter after a rise, and comes down by 1 s', () => {
    let now = 100;
    const t = new DroppedRequestsTracker(() => now);
    const drop = (n: number) => {
      for (let i = 0; i < n; i++) t.recordDroppedRequest('pl');
    };
    assert.equal(t.retryAfter('pl'), 1);
    drop(5);
    assert.equal(t.retryAfter('pl'), 1, 'worked out only when a new second starts');
    now = 101;
    drop(1); // 5 in [100, 101) ≥ 3 × 1
    assert.equal(t.retryAfter('pl'), 2);
    now = 102;
    drop(1); // 6 in [100, 102) ≥ 3 × 2, but the last rise was 1 s ago
    assert.equal(t.retryAfter('pl'), 2);
    now = 103;
    drop(10); // 2 in [101, 103): neither 6 nor fewer than 2
    assert.equal(t.retryAfter('pl'), 2);
    now = 104;
    drop(1); // 11 in [102, 104) ≥ 6, 2 s after the rise
    assert.equal(t.retryAfter('pl'), 4);
    now = 110;
    drop(1); // nothing in [106, 110)
    assert.equal(t.retryAfter('pl'), 3);
    now = 120;
    drop(1);
    assert.equal(t.retryAfter('pl'), 2);
    assert.equal(t.retryAfter('other'), 1, 'per priority level');
  });

  it('never goes past 32 s', () => {
    let now = 1_000;
    const t = new DroppedRequestsTracker(() => now);
    for (let s = 0; s < 200; s++) {
      now = 1_000 + s;
      for (let i = 0; i < 200; i++) t.recordDroppedRequest('pl');
    }
    assert.equal(t.retryAfter('pl'), 32);
  });
});
