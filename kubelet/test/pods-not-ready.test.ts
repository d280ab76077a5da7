// A node that stops reporting has its pods marked not ready by the node controller (MarkPodsNotReady:
// Ready=False and a Warning NodeNotReady Event on each pod, seen by kubectl); a kubelet that finds its
// pod marked so while it runs the pod writes the status it knows again (the status manager's
// reconcile), and one started again reports the pod Ready.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, startNodeCluster, type TestKubelet } from './fixture.ts';

const NODE = 'node-silent';
const readyOf = (conds: readonly { type: string; status: string }[] | undefined) =>
  conds?.find((c) => c.type === 'Ready')?.status;

describe('pods of a node that stops reporting', () => {
  let c: NodeCluster;
  let k: TestKubelet;
  const extra = ['--node-lease-duration-seconds=4'];
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });

  before(async () => {
    c = await startNodeCluster({ kcmArgs: ['--node-monitor-grace-period=3s'] });
    k = await c.startKubelet(NODE, { extra });
    await k.kubelet.ready;
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sleeper', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] },
    });
    await waitFor('sleeper Ready', async () =>
      readyOf((await pods().get('sleeper')).status?.conditions) === 'True' ? true : undefined,
    );
  });
  after(async () => c?.close());

  it('a running kubelet puts back a Ready its pod lost in the API', async () => {
    const cur = await pods().get('sleeper');
    const conditions = (cur.status?.conditions ?? []).map((x) => (x.type === 'Ready' ? { ...x, status: 'False' } : x));
    const marked = await pods().updateSubresource('sleeper', 'status', {
      ...cur,
      status: { ...cur.status, conditions },
    });
    assert.equal(readyOf(marked.status?.conditions), 'False');
    await waitFor('Ready put back by the kubelet', async () =>
      readyOf((await pods().get('sleeper')).status?.conditions) === 'True' ? true : undefined,
    );
  });

  it('the node controller marks the pods of a silent node not ready, with an Event; a restarted kubelet reports Ready', async () => {
    const before = await pods().get('sleeper');
    await k.stop();
    const marked = await waitFor(
      'sleeper marked not ready',
      async () => {
        const p = await pods().get('sleeper');
        return readyOf(p.status?.conditions) === 'False' ? p : undefined;
      },
      20_000,
    );
    const node = await c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).get(NODE);
    assert.equal(readyOf(node.status?.conditions), 'Unknown');
    const cond = marked.status!.conditions!.find((x) => x.type === 'Ready')!;
    const was = before.status!.conditions!.find((x) => x.type === 'Ready')!;
    assert.ok(cond.lastTransitionTime! > was.lastTransitionTime!, 'a new transition time');
    // Only Ready changes: the other conditions are as the kubelet left them.
    assert.equal(readyOf(marked.status?.conditions?.filter((x) => x.type !== 'Ready')), undefined);
    assert.equal(
      marked.status?.conditions?.find((x) => x.type === 'ContainersReady')?.status,
      before.status?.conditions?.find((x) => x.type === 'ContainersReady')?.status,
    );
    const described = await waitFor('the NodeNotReady Event in kubectl describe', async () => {
      const d = await kubectl(c.fx, ['describe', 'pod', 'sleeper']);
      return /Warning\s+NodeNotReady\s+.*node-controller\s+Node is not ready/.test(d.out) ? d.out : undefined;
    });
    assert.match(described, /Ready\s+False/);

    const again = await c.startKubelet(NODE, { rootDir: k.rootDir, extra });
    await again.kubelet.ready;
    await waitFor(
      'sleeper Ready again',
      async () => (readyOf((await pods().get('sleeper')).status?.conditions) === 'True' ? true : undefined),
      20_000,
    );
  });
});
