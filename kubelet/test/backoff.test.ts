// The crash-loop back-off's sequence, as flowcontrol.Backoff gives it to doBackOff: at once, then
// 10 s doubling to 5 min, each period counted from the exit; back to "at once" after 10 min
// without a restart; and Go's way of printing the period.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContainerBackoff, goSeconds } from '../src/runtime/backoff.ts';

describe('ContainerBackoff', () => {
  it('restarts at once, then waits 10 s doubling to 5 min', () => {
    const b = new ContainerBackoff();
    let t = 1_000_000;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { waitMs, started } = b.next(t);
      waits.push(waitMs);
      started();
      t += waitMs + 1_000; // it runs for a second, then exits again
    }
    assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts over after ten minutes without a restart', () => {
    const b = new ContainerBackoff();
    b.next(0).started();
    const second = b.next(5_000);
    assert.equal(second.waitMs, 10_000);
    second.started();
    assert.equal(b.next(5_000 + 600_001).waitMs, 0);
    assert.equal(b.next(5_000 + 600_002).waitMs, 10_000);
  });

  it('prints periods as Go durations', () => {
    assert.deepEqual([10_000, 80_000, 160_000, 300_000].map(goSeconds), ['10s', '1m20s', '2m40s', '5m0s']);
  });
});
