// Termination messages on a real kubelet, read back through the apiserver and `kubectl describe`:
// what a container wrote to its terminationMessagePath, and under FallbackToLogsOnError the end of
// a failed container's output (not of one that succeeded, nor when the file has something).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Container, ContainerStatus, Pod } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, startNodeCluster } from './fixture.ts';

const NODE = 'node-term';

describe('termination messages', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const run = (name: string, containers: Container[]) =>
    pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName: NODE, restartPolicy: 'Never', containers },
    });
  const terminated = (pod: string, container: string) =>
    waitFor(`${pod}/${container} terminated`, async () => {
      const statuses: ContainerStatus[] = (await pods().get(pod)).status?.containerStatuses ?? [];
      return statuses.find((s) => s.name === container)?.state?.terminated;
    });

  before(async () => {
    c = await startNodeCluster();
    const k = await c.startKubelet(NODE);
    await k.kubelet.ready;
  });
  after(async () => c?.close());

  it('the file at terminationMessagePath, at its default path and at another', async () => {
    await run('wrote', [
      { name: 'main', image: 'busybox', command: ['sh', '-c', 'printf "disk full" > dev/termination-log; exit 3'] },
    ]);
    const t = await terminated('wrote', 'main');
    assert.equal(t.exitCode, 3);
    assert.equal(t.reason, 'Error');
    assert.equal(t.message, 'disk full');
    const d = await kubectl(c.fx, ['describe', 'pod', 'wrote']);
    assert.match(d.out, /Message:\s+disk full/);

    await run('elsewhere', [
      {
        name: 'main',
        image: 'busybox',
        terminationMessagePath: '/var/run/why',
        command: ['sh', '-c', 'echo done fine > var/run/why'],
      },
    ]);
    const ok = await terminated('elsewhere', 'main');
    assert.deepEqual([ok.exitCode, ok.reason, ok.message], [0, 'Completed', 'done fine\n']);
  });

  it('FallbackToLogsOnError: the last 80 lines of a failed container, nothing for a success', async () => {
    const lines = 'for i in $(seq 1 100); do echo line $i; done';
    await run('fallback', [
      {
        name: 'fails',
        image: 'busybox',
        terminationMessagePath: '/tmp/fails',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        command: ['sh', '-c', `${lines}; echo oops >&2; exit 1`],
      },
      {
        name: 'succeeds',
        image: 'busybox',
        terminationMessagePath: '/tmp/succeeds',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        command: ['sh', '-c', lines],
      },
      {
        name: 'says',
        image: 'busybox',
        terminationMessagePath: '/tmp/says',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        command: ['sh', '-c', 'echo noise; printf "from the file" > tmp/says; exit 2'],
      },
    ]);
    const fails = await terminated('fallback', 'fails');
    const expected = `${Array.from({ length: 79 }, (_, i) => `line ${i + 22}`).join('\n')}\noops\n`;
    assert.equal(fails.message, expected);
    const succeeds = await terminated('fallback', 'succeeds');
    assert.equal(succeeds.exitCode, 0);
    assert.equal(succeeds.message, undefined);
    assert.equal((await terminated('fallback', 'says')).message, 'from the file');
  });

  it('all of a container’s output reaches its log, even what the pipe still held when it exited', async () => {
    await run('chatty', [{ name: 'main', image: 'busybox', command: ['seq', '1', '300000'] }]);
    assert.equal((await terminated('chatty', 'main')).exitCode, 0);
    const logs = await kubectl(c.fx, ['logs', 'chatty']);
    assert.equal(logs.status, 0, logs.err);
    const lines = logs.out.split('\n');
    assert.equal(lines.length, 300_001, 'every line, and the final newline');
    assert.deepEqual(lines.slice(-2), ['300000', '']);
  });

  it('what the main process leaves behind dies with it, as in a PID namespace', async () => {
    await run('orphans', [
      { name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 313 & sleep 0.2; echo left one; exit 0'] },
    ]);
    assert.equal((await terminated('orphans', 'main')).exitCode, 0);
    const lingering = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x00313\x00';
          } catch {
            return false;
          }
        });
    await waitFor('no sleep 313 left', async () => (lingering().length === 0 ? true : undefined));
    assert.equal((await kubectl(c.fx, ['logs', 'orphans'])).out, 'left one\n');
  });

  it('a path two containers name is nobody’s: the file stays empty and no link is made', async () => {
    await run('shared', [
      { name: 'a', image: 'busybox', command: ['sh', '-c', 'test -L dev/termination-log && exit 9; exit 0'] },
      { name: 'b', image: 'busybox', command: ['sh', '-c', 'exit 0'] },
    ]);
    const a = await terminated('shared', 'a');
    assert.equal(a.exitCode, 0, 'no symlink at the shared path');
    assert.equal(a.message, undefined);
  });
});
