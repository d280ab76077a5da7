// Ephemeral containers with the real `kubectl debug`: pods/ephemeralcontainers adds one to a running
// pod, the kubelet starts it once in the pod's folder and env (never restarts it, nor counts it in
// Ready), its output is `kubectl logs -c`, and its status is in ephemeralContainerStatuses. What may
// not happen is refused: changing one, one with ports, a node adding one, a plain pod update adding one.
// A restarted kubelet runs none of them again: the one that had exited keeps its state and log, the
// one it took down with it is reported terminated.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus, Pod } from '@mkube/shared/api';
import { curl, kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, runningPod, startNodeCluster } from './fixture.ts';

const NODE = 'node-debug';

describe('ephemeral containers (kubectl debug)', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  let k: Awaited<ReturnType<NodeCluster['startKubelet']>>;
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const ephemeralStatus = (name: string) =>
    waitFor(`${name} finished`, async () => {
      const all: ContainerStatus[] = (await pods().get('target')).status?.ephemeralContainerStatuses ?? [];
      const s = all.find((x) => x.name === name);
      return s?.state?.terminated ? s : undefined;
    });

  before(async () => {
    c = await startNodeCluster();
    k = await c.startKubelet(NODE);
    await k.kubelet.ready;
    await runningPod(c, 'target', NODE, {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'sleep 3600'],
          env: [{ name: 'MODE', value: 'prod' }],
        },
      ],
    });
  });
  after(async () => c?.close());

  it('kubectl debug adds one; it runs once in the pod, and its logs and status are there', async () => {
    const r = await kubectl(c.fx, [
      'debug',
      'target',
      '--image=busybox',
      '-c',
      'dbg',
      '--target=app',
      '--',
      'sh',
      '-c',
      'echo debugging $POD_NAME; exit 5',
    ]);
    assert.equal(r.status, 0, r.err);
    const s = await ephemeralStatus('dbg');
    assert.equal(s.state?.terminated?.exitCode, 5);
    assert.equal(s.ready, false);
    assert.equal(s.restartCount, 0);
    const logs = await kubectl(c.fx, ['logs', 'target', '-c', 'dbg']);
    assert.equal(logs.status, 0, logs.err);
    assert.equal(logs.out, 'debugging target\n');
    const pod = await pods().get('target');
    const spec = pod.spec?.ephemeralContainers?.[0];
    assert.equal(spec?.targetContainerName, 'app');
    assert.equal(spec?.terminationMessagePolicy, 'File', 'defaulted as any container');
    // Not restarted, and the pod is Ready on its regular container alone.
    await new Promise((res) => setTimeout(res, 1500));
    const again = await pods().get('target');
    assert.equal(again.status?.ephemeralContainerStatuses?.[0]?.restartCount, 0);
    assert.equal(again.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
    const described = await kubectl(c.fx, ['describe', 'pod', 'target']);
    assert.match(described.out, /Ephemeral Containers:\n\s+dbg:/);
  });

  it('refuses a change to an existing one, ports, and a node or a plain update adding one', async () => {
    const path = '/api/v1/namespaces/default/pods/target/ephemeralcontainers';
    const patch = (data: string, type = 'strategic-merge-patch') =>
      curl(c.fx, path, ['-X', 'PATCH', '-H', `Content-Type: application/${type}+json`, '-d', data]);
    const changed = await patch('{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox:1.36"}]}}');
    assert.equal(changed.code, 422, changed.body);
    assert.match(
      changed.body,
      /spec\.ephemeralContainers: Forbidden: existing ephemeral containers \\"dbg\\" may not be changed/,
    );
    const removed = await patch('{"spec":{"ephemeralContainers":[]}}', 'merge-patch');
    assert.equal(removed.code, 422, removed.body);
    assert.match(removed.body, /existing ephemeral containers \\"dbg\\" may not be removed/);

    const body = (extra: object) =>
      JSON.stringify({
        spec: { ephemeralContainers: [{ name: 'web', image: 'busybox', command: ['true'], ...extra }] },
      });
    const ports = await patch(body({ ports: [{ containerPort: 80 }] }));
    assert.equal(ports.code, 422, ports.body);
    assert.match(
      ports.body,
      /spec\.ephemeralContainers\[\d\]\.ports: Forbidden: cannot be set for an Ephemeral Container/,
    );

    // Not even the pod's own node may start processes in it this way (the Node authorizer has no
    // opinion on the subresource, and system:node grants nothing on it).
    const node = await kubectl(c.fx, [
      `--as=system:node:${NODE}`,
      '--as-group=system:nodes',
      '--as-group=system:authenticated',
      'debug',
      'target',
      '--image=busybox',
      '-c',
      'fromnode',
      '--',
      'true',
    ]);
    assert.notEqual(node.status, 0);
    assert.match(
      node.err,
      new RegExp(`forbidden: User "system:node:${NODE}" cannot patch resource "pods/ephemeralcontainers"`),
    );

    // PodSecurity judges what pods/ephemeralcontainers adds, as it does a pod: sysadmin's privileged
    // debug container is refused in a baseline namespace.
    for (const args of [
      ['create', 'namespace', 'guarded'],
      ['label', 'namespace', 'guarded', 'pod-security.kubernetes.io/enforce=baseline'],
      [
        'run',
        'guarded',
        '-n',
        'guarded',
        '--image=busybox',
        `--overrides={"spec":{"nodeName":"${NODE}"}}`,
        '--command',
        '--',
        'sleep',
        '600',
      ],
    ]) {
      const r = await kubectl(c.fx, args);
      assert.equal(r.status, 0, r.err);
    }
    const privileged = await kubectl(c.fx, [
      'debug',
      '-n',
      'guarded',
      'guarded',
      '--image=busybox',
      '--profile=sysadmin',
      '-c',
      'root',
      '--',
      'true',
    ]);
    assert.notEqual(privileged.status, 0);
    assert.match(
      privileged.err,
      /violates PodSecurity "baseline:latest": privileged \(container "root" must not set securityContext\.privileged=true\)/,
    );

    // The main resource keeps the stored list: a merge patch there neither adds nor drops one.
    const plain = await kubectl(c.fx, [
      'patch',
      'pod',
      'target',
      '--type=merge',
      '-p',
      '{"spec":{"ephemeralContainers":[{"name":"sneaky","image":"busybox","command":["true"]}]}}',
    ]);
    assert.equal(plain.status, 0, plain.err);
    const names = (await pods().get('target')).spec?.ephemeralContainers?.map((e) => e.name);
    assert.deepEqual(names, ['dbg']);
  });

  it('a restarted kubelet starts no ephemeral container again', async () => {
    const r = await kubectl(c.fx, ['debug', 'target', '--image=busybox', '-c', 'long', '--', 'sleep', '3600']);
    assert.equal(r.status, 0, r.err);
    await waitFor('long running', async () =>
      (await pods().get('target')).status?.ephemeralContainerStatuses?.find((x) => x.name === 'long')?.state?.running
        ? true
        : undefined,
    );
    await k.stop();
    k = await c.startKubelet(NODE, { rootDir: k.rootDir });
    await k.kubelet.ready;
    await waitFor('app running under the new kubelet', async () => {
      const p = await pods().get('target');
      const app = p.status?.containerStatuses?.find((x) => x.name === 'app');
      return app?.state?.running && p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True'
        ? true
        : undefined;
    });
    await new Promise((res) => setTimeout(res, 1500));
    const statuses = (await pods().get('target')).status?.ephemeralContainerStatuses ?? [];
    const dbg = statuses.find((x) => x.name === 'dbg');
    const long = statuses.find((x) => x.name === 'long');
    assert.equal(dbg?.state?.terminated?.exitCode, 5, JSON.stringify(dbg));
    assert.equal(long?.state?.running, undefined, JSON.stringify(long));
    assert.ok(long?.state?.terminated, JSON.stringify(long));
    const logs = await kubectl(c.fx, ['logs', 'target', '-c', 'dbg']);
    assert.equal(logs.out, 'debugging target\n', 'not run a second time');
  });
});
