import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { DAEMON_HEAP_GROWING_PERCENT, limitHeapGrowth } from '../src/heap/index.ts';

test('the daemons cap V8 heap growth unless the operator chose a factor', () => {
  assert.equal(limitHeapGrowth([]), `--heap-growing-percent=${DAEMON_HEAP_GROWING_PERCENT}`);
  assert.equal(limitHeapGrowth(['--inspect']), `--heap-growing-percent=${DAEMON_HEAP_GROWING_PERCENT}`);
  for (const given of ['--heap-growing-percent=100', '--heap_growing_percent=0', '--heap-growing-percent'])
    assert.equal(limitHeapGrowth(['--trace-gc', given]), undefined, given);
});

test('with the cap, the heap stays near what survives the last full GC', () => {
  // A child keeps ~40 MB alive while churning through old objects and reports the largest heap V8
  // used; with V8's own factor (up to 4× what survived) it grows about twice as far.
  const child = (cap: boolean) =>
    Number(
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `
          import { getHeapStatistics } from 'node:v8';
          if (${cap}) (await import(process.env.HEAP_MODULE)).limitHeapGrowth([]);
          const kept = [];
          let peak = 0;
          for (let i = 0; i < 1200; i++) {
            kept.push(Array.from({ length: 5000 }, (_, j) => ({ i, j })));
            if (kept.length > 200) kept.shift();
            if (i % 20 === 0) peak = Math.max(peak, getHeapStatistics().used_heap_size);
          }
          process.stdout.write(String(peak));
          `,
        ],
        { env: { ...process.env, HEAP_MODULE: new URL('../src/heap/index.ts', import.meta.url).href } },
      ).toString(),
    );
  const capped = child(true);
  const uncapped = child(false);
  assert.ok(capped < 0.7 * uncapped, `peak heap ${capped >> 20} MB with the cap, ${uncapped >> 20} MB without`);
});
