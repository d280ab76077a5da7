// Init containers on a real kubelet, seen through the API and the real kubectl: they run in order,
// each to completion, before the regular containers start; while they run the pod is Pending and
// not Initialized; a failing one is run again under Always (with the crash-loop back-off) and fails
// the pod under Never.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Container, Event, Pod } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, startNodeCluster } from './fixture.ts';

const NODE = 'node-init';

describe('init containers', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const sh = (name: string, script: string): Container => ({ name, image: 'busybox', command: ['sh', '-c', script] });
  const run = (name: string, initContainers: Container[], containers: Container[], restartPolicy = 'Always') =>
    pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: NODE,
        restartPolicy: restartPolicy as 'Always',
        terminationGracePeriodSeconds: 1,
        initContainers,
        containers,
      },
    });
  const kubectlStatus = async (name: string) =>
    (await kubectl(c.fx, ['get', 'pod', name, '--no-headers', '-o', 'custom-columns=S:.status.phase'])).out.trim();
  const printed = async (name: string) => (await kubectl(c.fx, ['get', 'pod', name, '--no-headers'])).out;
  const condition = (p: Pod, type: string) => p.status?.conditions?.find((x) => x.type === type);

  before(async () => {
    c = await startNodeCluster();
    const k = await c.startKubelet(NODE);
    await k.kubelet.ready;
  });
  after(async () => {
    await c?.close();
  });

  it('run in order, each to completion, before the regular containers; the pod waits Pending meanwhile', async () => {
    await run(
      'ordered',
      [sh('first', 'echo one >> order; sleep 2'), sh('second', 'echo two >> order')],
      [sh('main', 'cat order; sleep 3600')],
    );
    const pending = await waitFor('first running', async () => {
      const p = await pods().get('ordered');
      return p.status?.initContainerStatuses?.[0]?.state?.running ? p : undefined;
    });
    assert.equal(pending.status?.phase, 'Pending');
    assert.deepEqual(
      [condition(pending, 'Initialized')?.status, condition(pending, 'Initialized')?.message],
      ['False', 'containers with incomplete status: [first second]'],
    );
    assert.equal(condition(pending, 'Initialized')?.reason, 'ContainersNotInitialized');
    assert.equal(pending.status?.initContainerStatuses?.[1]?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(pending.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    assert.match(await printed('ordered'), /^ordered\s+0\/1\s+Init:0\/2\s+0\s/);
    // Nothing to read yet from a container that has not started: kubectl says why.
    const early = await kubectl(c.fx, ['logs', 'ordered', '-c', 'main']);
    assert.notEqual(early.status, 0);
    assert.equal(
      early.err.trim(),
      'Error from server (BadRequest): container "main" in pod "ordered" is waiting to start: PodInitializing',
    );

    const running = await waitFor('main running', async () => {
      const p = await pods().get('ordered');
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    assert.equal(running.status?.phase, 'Running');
    assert.equal(condition(running, 'Initialized')?.status, 'True');
    for (const s of running.status?.initContainerStatuses ?? []) {
      assert.equal(s.state?.terminated?.exitCode, 0, s.name);
      assert.equal(s.state?.terminated?.reason, 'Completed');
      assert.equal(s.ready, true);
    }
    // The regular container saw what both init containers wrote, in their order.
    await waitFor('main log', async () =>
      (await kubectl(c.fx, ['logs', 'ordered', '-c', 'main'])).out === 'one\ntwo\n' ? true : undefined,
    );
    assert.equal((await kubectl(c.fx, ['logs', 'ordered', '-c', 'second'])).out, '');
    assert.match(await printed('ordered'), /^ordered\s+1\/1\s+Running\s+0\s/);
    // Their Events name them as init containers.
    const events = (
      await c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' }).list()
    ).items.filter((e) => e.involvedObject?.name === 'ordered' && e.reason === 'Started');
    assert.deepEqual(events.map((e) => e.involvedObject?.fieldPath).sort(), [
      'spec.containers{main}',
      'spec.initContainers{first}',
      'spec.initContainers{second}',
    ]);
  });

  it('under restartPolicy Never a failed init container fails the pod; the regular ones never start', async () => {
    await run('doomed', [sh('setup', 'echo broken >&2; exit 3')], [sh('main', 'sleep 3600')], 'Never');
    const failed = await waitFor('doomed Failed', async () => {
      const p = await pods().get('doomed');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(failed.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 3);
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(await kubectlStatus('doomed'), 'Failed');
    assert.match(await printed('doomed'), /^doomed\s+0\/1\s+Init:Error\s+0\s/);
    assert.equal((await kubectl(c.fx, ['logs', 'doomed', '-c', 'setup'])).out, 'broken\n');
  });

  it('a sidecar (restartPolicy Always) starts in order, keeps running beside the regular containers and is restarted', async () => {
    await run(
      'sidecar',
      [
        { ...sh('proxy', 'echo proxy up >> order; sleep 3600'), restartPolicy: 'Always' },
        sh('setup', 'echo setup >> order'),
      ],
      [sh('main', 'cat order; sleep 3600')],
    );
    const up = await waitFor('main running', async () => {
      const p = await pods().get('sidecar');
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    const [proxy, setup] = up.status?.initContainerStatuses ?? [];
    assert.ok(proxy?.state?.running, JSON.stringify(proxy));
    assert.equal(proxy?.ready, true);
    assert.equal(proxy?.started, true);
    assert.equal(setup?.state?.terminated?.reason, 'Completed');
    assert.equal(condition(up, 'Initialized')?.status, 'True');
    await waitFor('Ready', async () =>
      condition(await pods().get('sidecar'), 'Ready')?.status === 'True' ? true : undefined,
    );
    await waitFor('main log', async () =>
      (await kubectl(c.fx, ['logs', 'sidecar', '-c', 'main'])).out === 'proxy up\nsetup\n' ? true : undefined,
    );
    assert.match(await printed('sidecar'), /^sidecar\s+2\/2\s+Running\s+0\s/);
    // The sidecar exits: it is started again (the pod's own policy is not asked), and the pod stays Initialized.
    const pid = Number(/^process:\/\/(\d+)$/.exec(proxy?.containerID ?? '')?.[1]);
    assert.ok(pid > 0, JSON.stringify(proxy));
    process.kill(-pid, 'SIGTERM');
    const again = await waitFor('proxy restarted', async () => {
      const p = await pods().get('sidecar');
      const s0 = p.status?.initContainerStatuses?.[0];
      return s0?.restartCount === 1 && s0.state?.running ? p : undefined;
    });
    assert.equal(condition(again, 'Initialized')?.status, 'True');
  });

  it('a Job-like pod (restartPolicy Never) ends Succeeded: its sidecar is stopped once the regular container is done', async () => {
    await run(
      'jobpod',
      [{ ...sh('logger', 'trap "exit 0" TERM; while :; do sleep 0.1; done'), restartPolicy: 'Always' }],
      [sh('work', 'sleep 1; exit 0')],
      'Never',
    );
    const done = await waitFor(
      'jobpod Succeeded',
      async () => {
        const p = await pods().get('jobpod');
        return p.status?.phase === 'Succeeded' ? p : undefined;
      },
      20_000,
    );
    assert.ok(done.status?.initContainerStatuses?.[0]?.state?.terminated, JSON.stringify(done.status));
  });

  it('a failed init container under Never fails the pod and stops the sidecar started before it', async () => {
    await run(
      'halfway',
      [
        { ...sh('logger', 'trap "exit 0" TERM; while :; do sleep 0.1; done'), restartPolicy: 'Always' },
        sh('setup', 'sleep 0.5; exit 4'),
      ],
      [sh('main', 'sleep 3600')],
      'Never',
    );
    const failed = await waitFor(
      'halfway Failed, its sidecar stopped',
      async () => {
        const p = await pods().get('halfway');
        return p.status?.phase === 'Failed' && p.status.initContainerStatuses?.[0]?.state?.terminated ? p : undefined;
      },
      20_000,
    );
    assert.equal(failed.status?.initContainerStatuses?.[1]?.state?.terminated?.exitCode, 4);
  });

  it('under restartPolicy Always a failed init container is run again, then backs off', async () => {
    await run('retrying', [sh('setup', 'exit 1')], [sh('main', 'sleep 3600')]);
    const looping = await waitFor('Init:CrashLoopBackOff', async () => {
      const p = await pods().get('retrying');
      return p.status?.initContainerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    assert.equal(looping.status?.phase, 'Pending');
    assert.equal(looping.status?.initContainerStatuses?.[0]?.restartCount, 1);
    assert.match(await printed('retrying'), /^retrying\s+0\/1\s+Init:CrashLoopBackOff\s+1 \(\S+ ago\)\s/);
  });
});
