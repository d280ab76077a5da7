// A node that stops reporting has its pods marked not ready by the node controller (MarkPodsNotReady:
// Ready=False and a Warning NodeNotReady Event on each pod, seen by kubectl) and is tainted
// unreachable (NoSchedule and NoExecute); the taint eviction controller deletes a pod whose
// toleration of that runs out — Terminating until the kubelet, back, stops it and confirms — and
// leaves one with the default 300 s (DefaultTolerationSeconds). A
// kubelet that finds its pod marked not ready while it runs the pod writes the status it knows again
// (the status manager's reconcile); one started again reports the pod Ready and the taints go.
// A second kubelet keeps running: with every node silent the node controller would add no NoExecute
// taint (master disruption mode).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Node, Pod } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, startNodeCluster, type TestKubelet } from './fixture.ts';

const NODE = 'node-silent';
const readyOf = (conds: readonly { type: string; status: string }[] | undefined) =>
  conds?.find((c) => c.type === 'Ready')?.status;

describe('pods of a node that stops reporting', () => {
  let c: NodeCluster;
  let k: TestKubelet;
  let steady: TestKubelet;
  const extra = ['--node-lease-duration-seconds=4'];
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });

  before(async () => {
    c = await startNodeCluster({
      kcmArgs: ['--node-monitor-grace-period=3s', '--node-monitor-period=1s', '--node-eviction-rate=10'],
    });
    k = await c.startKubelet(NODE, { extra });
    steady = await c.startKubelet('node-steady', { extra });
    await Promise.all([k.kubelet.ready, steady.kubelet.ready]);
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sleeper', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] },
    });
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'short', namespace: 'default' },
      spec: {
        nodeName: NODE,
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }],
        // Tolerates an unreachable node for 2 s only.
        tolerations: [
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
        ],
      },
    });
    await waitFor('sleeper Ready', async () =>
      readyOf((await pods().get('sleeper')).status?.conditions) === 'True' ? true : undefined,
    );
  });

  const nodeTaints = async () =>
    (await c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).get(NODE)).spec?.taints ?? [];

  it('new pods get the default tolerations; a Ready node loses the not-ready taint it was registered with', async () => {
    const sleeper = await pods().get('sleeper');
    assert.deepEqual(sleeper.spec?.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    // Its own unreachable toleration is kept; only not-ready is added.
    assert.deepEqual(
      (await pods().get('short')).spec?.tolerations?.map((t) => [t.key, t.tolerationSeconds]),
      [
        ['node.kubernetes.io/unreachable', 2],
        ['node.kubernetes.io/not-ready', 300],
      ],
    );
    await waitFor('no taints on the Ready node', async () => ((await nodeTaints()).length === 0 ? true : undefined));
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

    // Tainted unreachable: NoSchedule from the condition, NoExecute with the time it was added.
    const taints = await waitFor('unreachable taints', async () => {
      const t = await nodeTaints();
      return t.length === 2 ? t : undefined;
    });
    assert.deepEqual(taints.map((t) => `${t.key}:${t.effect}`).sort(), [
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/unreachable:NoSchedule',
    ]);
    assert.match(taints.find((t) => t.effect === 'NoExecute')?.timeAdded ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const describedNode = await kubectl(c.fx, ['describe', 'node', NODE]);
    assert.match(
      describedNode.out,
      /Taints:\s+node\.kubernetes\.io\/unreachable:NoExecute\n\s+node\.kubernetes\.io\/unreachable:NoSchedule/,
    );
    // 'short' tolerates it for 2 s: then it is deleted, with the taint eviction controller's Event.
    // Deleted gracefully: Terminating until its kubelet confirms, which a silent one cannot.
    const evicted = await waitFor(
      'short evicted',
      async () => {
        const p = await pods().get('short');
        return p.metadata?.deletionTimestamp ? p : undefined;
      },
      15_000,
    );
    assert.equal(evicted.metadata?.deletionGracePeriodSeconds, 30);
    assert.equal(
      evicted.status?.conditions?.find((x) => x.type === 'DisruptionTarget')?.reason,
      'DeletionByTaintManager',
    );
    assert.match((await kubectl(c.fx, ['get', 'pod', 'short', '--no-headers'])).out, /\sTerminating\s/);
    const events = (
      await c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' }).list()
    ).items.filter((e) => e.involvedObject?.name === 'short' && e.reason === 'TaintManagerEviction');
    assert.deepEqual(
      events.map((e) => [e.type, e.message, e.source?.component]),
      [['Normal', 'Marking for deletion Pod default/short', 'taint-eviction-controller']],
    );
    // 'sleeper' has 300 s: still there.
    assert.equal((await pods().get('sleeper')).metadata?.name, 'sleeper');

    const again = await c.startKubelet(NODE, { rootDir: k.rootDir, extra });
    await again.kubelet.ready;
    await waitFor(
      'sleeper Ready again',
      async () => (readyOf((await pods().get('sleeper')).status?.conditions) === 'True' ? true : undefined),
      20_000,
    );
    await waitFor('the taints lifted', async () => ((await nodeTaints()).length === 0 ? true : undefined));
    // The kubelet back finds 'short' being deleted: it stops it and confirms, and the pod is gone.
    await waitFor(
      'short deleted by its kubelet',
      async () => {
        try {
          await pods().get('short');
          return undefined;
        } catch {
          return true;
        }
      },
      20_000,
    );
    // The scheduled eviction of 'sleeper' was cancelled, and said so.
    const cancelled = await waitFor('the cancellation Event', async () => {
      const evs = (
        await c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' }).list()
      ).items.filter((e) => e.involvedObject?.name === 'sleeper' && e.reason === 'TaintManagerEviction');
      return evs.length > 0 ? evs : undefined;
    });
    assert.equal(cancelled[0]!.message, 'Cancelling deletion of Pod default/sleeper');
  });
});
