// raceTimeout: the promise's value when it comes first, the stand-in when the time does, and no
// timer left behind either way.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { raceTimeout } from '../src/util/deadline.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

it('gives the value when the promise wins and clears its timer', async () => {
  const before = timers();
  assert.equal(await raceTimeout(Promise.resolve(7), 60_000, 'late'), 7);
  assert.equal(timers(), before);
});

it('gives the stand-in when the time runs out first', async () => {
  const never = new Promise<number>(() => {});
  assert.equal(await raceTimeout(never, 10, 'late' as const), 'late');
});

it('passes a rejection through and clears its timer', async () => {
  const before = timers();
  await assert.rejects(raceTimeout(Promise.reject(new Error('boom')), 60_000, 'late'), /boom/);
  assert.equal(timers(), before);
});
