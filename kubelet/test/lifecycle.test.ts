// Container lifecycle hooks on a real kubelet: postStart runs right after the start (a failure is a
// FailedPostStartHook event and the container is killed and restarted); preStop runs before SIGTERM
// when the pod is deleted (a failure is a FailedPreStopHook event, and SIGTERM follows anyway).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, podEvent, podEvents, startNodeCluster } from './fixture.ts';

const NODE = 'node-hooks';

describe('lifecycle hooks', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  let dir = '';
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const events = (pod: string) => podEvents(c, pod);
  const event = (pod: string, re: RegExp) => podEvent(c, pod, re);
  const run = (name: string, container: Container) =>
    pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 10, containers: [container] },
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-hooks-'));
    c = await startNodeCluster();
    const k = await c.startKubelet(NODE);
    await k.kubelet.ready;
  });
  after(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('postStart runs in the container’s folder and env right after the start', async () => {
    await run('hello', {
      name: 'main',
      image: 'busybox',
      command: ['sh', '-c', 'sleep 3600'],
      env: [{ name: 'WHO', value: 'hook' }],
      lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo started by $WHO > poststart'] } } },
    });
    await waitFor('postStart ran', async () => {
      const r = await kubectl(c.fx, ['exec', 'hello', '--', 'cat', 'poststart']);
      return r.status === 0 && r.out === 'started by hook\n' ? true : undefined;
    });
    assert.ok(!(await events('hello')).some((e) => e.includes('FailedPostStartHook')));
  });

  it('a failed postStart is FailedPostStartHook, and the container is killed and restarted', async () => {
    await run('badhook', {
      name: 'main',
      image: 'busybox',
      command: ['sh', '-c', 'sleep 3600'],
      lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo no luck; exit 7'] } } },
    });
    const uid = (await pods().get('badhook')).metadata?.uid;
    await event(
      'badhook',
      new RegExp(
        `^Warning FailedPostStartHook Exec lifecycle hook \\(\\[sh -c echo no luck; exit 7\\]\\) for Container "main" in Pod "badhook_default\\(${uid}\\)" failed - error: command 'sh -c echo no luck; exit 7' exited with 7: , message: "no luck\\\\n"$`,
      ),
    );
    await event('badhook', /^Normal Killing FailedPostStartHook$/);
    await waitFor('badhook restarted', async () =>
      ((await pods().get('badhook')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined,
    );
  });

  it('activeDeadlineSeconds: past it the containers are stopped and the pod fails with DeadlineExceeded', async () => {
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'shortlived', namespace: 'default' },
      spec: {
        nodeName: NODE,
        activeDeadlineSeconds: 2,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }],
      },
    });
    const failed = await waitFor('shortlived Failed', async () => {
      const p = await pods().get('shortlived');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(failed.status?.reason, 'DeadlineExceeded');
    assert.equal(failed.status?.message, 'Pod was active on the node longer than the specified deadline');
    assert.ok(failed.status?.containerStatuses?.[0]?.state?.terminated, JSON.stringify(failed.status));
    await event(
      'shortlived',
      /^Normal DeadlineExceeded Pod was active on the node longer than the specified deadline$/,
    );
  });

  it('preStop runs before SIGTERM when the pod is deleted; a failing one is FailedPreStopHook', async () => {
    const trail = join(dir, 'trail');
    await run('polite', {
      name: 'main',
      image: 'busybox',
      command: ['sh', '-c', `trap 'echo term >> ${trail}; exit 0' TERM; while :; do sleep 0.1; done`],
      lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo prestop >> ${trail}`] } } },
    });
    await run('grumpy', {
      name: 'main',
      image: 'busybox',
      command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'],
      lifecycle: { preStop: { httpGet: { port: 1, path: '/bye' } } },
    });
    for (const name of ['polite', 'grumpy'])
      await waitFor(`${name} running`, async () =>
        (await pods().get(name)).status?.containerStatuses?.[0]?.state?.running ? true : undefined,
      );
    await Promise.all([pods().delete('polite'), pods().delete('grumpy')]);
    await waitFor('polite stopped', async () => (readFileSync(trail, 'utf8').includes('term') ? true : undefined));
    assert.equal(readFileSync(trail, 'utf8'), 'prestop\nterm\n');
    await event(
      'grumpy',
      /^Warning FailedPreStopHook HTTP lifecycle hook \(\/bye\) for Container "main" in Pod "grumpy_default\(.*\)" failed - error: Get "http:\/\/127\.0\.0\.1:1\/bye": dial tcp 127\.0\.0\.1:1: connect: connection refused$/,
    );
  });
});
