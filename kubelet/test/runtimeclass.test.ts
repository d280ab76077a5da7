// A pod's RuntimeClass on the process runtime, end to end (apiserver with Node,RBAC, kubelet): the
// kubelet reads the class with its node identity and starts the pod only when the class exists and
// its handler is `runc`; otherwise the pod stays Pending with its containers in ContainerCreating
// and a Warning FailedCreatePodSandBox event worded as the real kubelet (and containerd) word it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod, RuntimeClass } from '@mkube/shared/api';
import { type NodeCluster, podEvent, startNodeCluster, type TestKubelet, until } from './fixture.ts';

describe('RuntimeClass (process runtime)', () => {
  let c: NodeCluster;
  let k: TestKubelet;
  const NODE = 'node-rc';
  before(async () => {
    c = await startNodeCluster();
    k = await c.startKubelet(NODE);
    await k.kubelet.ready;
  });
  after(async () => {
    await c?.close();
  });

  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const classes = () =>
    c.admin.resource<RuntimeClass>({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses' });
  const makeClass = (name: string, handler: string) =>
    classes().create({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler });
  const app = (name: string, runtimeClassName: string, nodeName?: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      runtimeClassName,
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo ran'] }],
    },
  });
  const logOf = (p: Pod) => {
    try {
      return readFileSync(
        join(k.rootDir, 'pods', `default_${p.metadata.name}_${p.metadata.uid}`, 'app', '0.log'),
        'utf8',
      );
    } catch {
      return '';
    }
  };
  const ran = (p: Pod) => until(`${p.metadata.name} ran`, async () => (/ran/.test(logOf(p)) ? true : undefined));
  const stuck = async (name: string) => {
    const p = await until(`${name} reported`, async () => {
      const got = await pods().get(name);
      return got.status?.containerStatuses?.length ? got : undefined;
    });
    assert.equal(p.status?.phase, 'Pending');
    assert.deepEqual(p.status?.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
    return p;
  };

  it('runs a pod whose class has the runc handler', async () => {
    await makeClass('standard', 'runc');
    const p = await pods().create(app('standard', 'standard', NODE));
    await ran(p);
  });

  it("does not start a pod whose class's handler the runtime lacks", async () => {
    await makeClass('kata', 'kata-qemu');
    const p = await pods().create(app('kata', 'kata', NODE));
    await podEvent(
      c,
      'kata',
      /^Warning FailedCreatePodSandBox Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "kata-qemu" is configured$/,
    );
    await stuck('kata');
    assert.equal(logOf(p), '');
  });

  it('does not start a pod whose class is gone, and starts it once the class is back', async () => {
    // Admission needs the class when the pod is made; it goes before the pod is bound to the node.
    await makeClass('fleeting', 'runc');
    const p = await pods().create(app('fleeting', 'fleeting'));
    await classes().delete('fleeting');
    await pods().createSubresource('fleeting', 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'fleeting' },
      target: { apiVersion: 'v1', kind: 'Node', name: NODE },
    });
    await podEvent(
      c,
      'fleeting',
      /^Warning FailedCreatePodSandBox Failed to create pod sandbox: runtimeclass\.node\.k8s\.io "fleeting" not found$/,
    );
    await stuck('fleeting');
    assert.equal(logOf(p), '');
    await makeClass('fleeting', 'runc');
    await ran(p);
  });
});
