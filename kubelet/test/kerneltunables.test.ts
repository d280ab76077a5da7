// protectKernelDefaults' check: the six tunables upstream's container manager wants, each that differs
// or cannot be read named as upstream's error names it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { aggregateMessages as aggregate } from '@mkube/shared/apierrors';
import { DESIRED_KERNEL_TUNABLES, kernelTunableProblems } from '../src/cm/kerneltunables.ts';

describe('kernel tunables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-sysctl-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (values: Record<string, number>) => {
    for (const [flag, v] of Object.entries(values)) {
      mkdirSync(dirname(join(dir, flag)), { recursive: true });
      writeFileSync(join(dir, flag), `${v}\n`);
    }
  };

  it('finds none wrong when all are the kubelet’s, and names each that is not', () => {
    write(Object.fromEntries(DESIRED_KERNEL_TUNABLES));
    assert.deepEqual(kernelTunableProblems(dir), []);
    write({ 'vm/overcommit_memory': 0, 'kernel/panic': 1 });
    const problems = kernelTunableProblems(dir);
    assert.deepEqual(problems, [
      'invalid kernel flag: vm/overcommit_memory, expected value: 1, actual value: 0',
      'invalid kernel flag: kernel/panic, expected value: 10, actual value: 1',
    ]);
    assert.equal(aggregate(problems), `[${problems.join(', ')}]`);
    rmSync(join(dir, 'vm/panic_on_oom'));
    assert.match(kernelTunableProblems(dir)[1]!, /^open .*vm\/panic_on_oom: ENOENT$/);
  });
});
