// The daemonset controller against a real apiserver (no kubelet, no scheduler: the test creates
// Node objects, binds pods and reports them Running and Ready as those would): one pod per eligible
// node with upstream's exact affinity, tolerations, labels and owner, none on a node whose taint is
// not tolerated, a pod for a new node and none left for a removed one, a template change rolled out
// one node at a time under a new ControllerRevision, and the status counts through /status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ControllerRevision, DaemonSet, Event, Node, Pod, Taint } from '@mkube/shared/api';
import { isConflict } from '@mkube/shared/apierrors';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const DS = { group: 'apps', version: 'v1', resource: 'daemonsets', namespace: NS } as const;
const REVS = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;

const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

describe('daemonset-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--controllers=daemonset-controller']);
  });
  after(async () => cl?.close());

  const dss = () => cl.admin.resource<DaemonSet>(DS);
  const pods = () => cl.admin.resource<Pod>(PODS);
  const nodes = () => cl.admin.resource<Node>(NODES);

  /** Each test's nodes carry its own `suite` label and its DaemonSet selects only them. */
  /**
   * A Ready node: admission taints a new node node.kubernetes.io/not-ready:NoSchedule, which no
   * daemon pod tolerates, until the node lifecycle controller sees it Ready and lifts it; the test
   * does both.
   */
  async function createNode(name: string, suite: string, taints: Taint[] = []): Promise<Node> {
    const n = await nodes().create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { suite } } });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ready = await nodes().updateSubresource(name, 'status', {
      ...n,
      status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: now, lastTransitionTime: now }] },
    });
    return nodes().update({ ...ready, spec: { ...ready.spec, taints } });
  }

  async function createDaemonSet(name: string, suite: string, extra: Partial<DaemonSet['spec']> = {}) {
    return dss().create({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: NS },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            nodeSelector: { suite },
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'c', image: 'busybox:1' }],
          },
        },
        ...extra,
      },
    } as DaemonSet);
  }

  const podsOf = async (ds: string) =>
    (await pods().list({ labelSelector: `app=${ds}` })).items.filter((p) => !p.metadata.deletionTimestamp);
  const targetOf = (p: Pod) =>
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]
      ?.matchFields?.[0]?.values?.[0];
  const waitPods = (ds: string, what: string, until: (ps: Pod[]) => boolean, ms = 15_000) =>
    waitFor(
      `${ds}: ${what}`,
      async () => {
        const ps = await podsOf(ds);
        return until(ps) ? ps : undefined;
      },
      ms,
    );
  const onNodes = (ps: Pod[]) => ps.map(targetOf).sort();
  const waitDs = (name: string, what: string, until: (d: DaemonSet) => boolean, ms = 15_000) =>
    waitFor(
      `${name}: ${what}`,
      async () => {
        const d = await dss().get(name);
        return until(d) ? d : undefined;
      },
      ms,
    );

  /** What the scheduler and the kubelet would do: bind the pod to its node, report it Running and Ready. */
  async function runPod(p: Pod): Promise<void> {
    const name = p.metadata.name ?? '';
    const node = targetOf(p) ?? '';
    await pods().createSubresource(name, 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace: NS },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
    const cur = await pods().get(name);
    const now = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    await pods().updateSubresource(name, 'status', {
      ...cur,
      status: {
        ...cur.status,
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      },
    });
  }

  it('runs one pod per eligible node, with upstream affinity, tolerations, labels and owner', async () => {
    await createNode('a-n1', 'a');
    await createNode('a-n2', 'a');
    await createNode('a-tainted', 'a', [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    await createNode('other', 'elsewhere');
    const ds = await createDaemonSet('a', 'a');
    const ps = await waitPods('a', 'a pod on a-n1 and a-n2', (p) => p.length === 2);
    assert.deepEqual(onNodes(ps), ['a-n1', 'a-n2']);

    const revs = (await cl.admin.resource<ControllerRevision>(REVS).list()).items.filter((r) =>
      r.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid),
    );
    assert.equal(revs.length, 1);
    const rev = revs[0] as ControllerRevision;
    const hash = rev.metadata.labels?.['controller-revision-hash'] ?? '';
    assert.equal(rev.metadata.name, `a-${hash}`);
    assert.equal(rev.revision, 1);
    assert.equal((rev.data as { spec: { template: { $patch: string } } }).spec.template.$patch, 'replace');

    for (const p of ps) {
      const node = targetOf(p);
      assert.match(p.metadata.name ?? '', /^a-[a-z0-9]{5}$/);
      assert.equal(p.metadata.generateName, 'a-');
      assert.deepEqual(p.metadata.labels, {
        app: 'a',
        'controller-revision-hash': hash,
        'pod-template-generation': '1',
      });
      assert.deepEqual(p.metadata.ownerReferences, [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: 'a',
          uid: ds.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.deepEqual(p.spec?.affinity, {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
          },
        },
      });
      assert.deepEqual(p.spec?.tolerations, DAEMON_TOLERATIONS);
      assert.equal(p.spec?.nodeName, undefined, 'left for the scheduler to bind');
    }
    // Events are written after the pods they report: wait for both, then compare them whole.
    const want = ps.map((p) => `Normal SuccessfulCreate Created pod: ${p.metadata.name}`).sort();
    const list = async () =>
      (await cl.admin.resource<Event>(EVENTS).list()).items.filter(
        (e) => e.involvedObject?.kind === 'DaemonSet' && e.involvedObject?.name === 'a',
      );
    await waitFor('one SuccessfulCreate event per pod', async () =>
      (await list()).length >= want.length ? true : undefined,
    );
    const events = await list();
    assert.deepEqual(events.map((e) => `${e.type} ${e.reason} ${e.message}`).sort(), want);
    assert.equal(events[0]?.source?.component, 'daemonset-controller');

    // Status before and after the pods run.
    let d = await waitDs('a', 'status of 2 unavailable pods', (x) => x.status?.currentNumberScheduled === 2);
    assert.deepEqual(
      { ...d.status, conditions: undefined },
      {
        conditions: undefined,
        currentNumberScheduled: 2,
        numberMisscheduled: 0,
        desiredNumberScheduled: 2,
        numberReady: 0,
        observedGeneration: 1,
        updatedNumberScheduled: 2,
        numberAvailable: 0,
        numberUnavailable: 2,
      },
    );
    for (const p of ps) await runPod(p);
    d = await waitDs('a', '2 available', (x) => x.status?.numberAvailable === 2);
    assert.equal(d.status?.numberReady, 2);
    assert.equal(d.status?.numberUnavailable, 0);

    // A NoSchedule taint keeps the running pod; an untolerated NoExecute one removes it and counts
    // the node out.
    const n2 = await nodes().get('a-n2');
    await nodes().update({ ...n2, spec: { ...n2.spec, taints: [{ key: 'k', effect: 'NoSchedule' }] } });
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(onNodes(await podsOf('a')), ['a-n1', 'a-n2']);
    const n2b = await nodes().get('a-n2');
    await nodes().update({ ...n2b, spec: { ...n2b.spec, taints: [{ key: 'k', effect: 'NoExecute' }] } });
    await waitPods('a', 'the pod on a-n2 deleted', (p) => p.length === 1 && targetOf(p[0] as Pod) === 'a-n1');
    // The sync that deletes the pod may write its status before the deletion is seen: the next one
    // counts it gone.
    d = await waitDs(
      'a',
      'desired 1, current 1, none misscheduled',
      (x) =>
        x.status?.desiredNumberScheduled === 1 &&
        x.status?.currentNumberScheduled === 1 &&
        x.status?.numberMisscheduled === 0,
    );
    assert.equal(d.status?.currentNumberScheduled, 1);
  });

  it('gives a new node a pod and deletes the pod of a removed node', async () => {
    await createNode('b-n1', 'b');
    await createDaemonSet('b', 'b');
    await waitPods('b', 'one pod', (p) => p.length === 1);
    await createNode('b-n2', 'b');
    const ps = await waitPods('b', 'a pod on the new node', (p) => p.length === 2);
    assert.deepEqual(onNodes(ps), ['b-n1', 'b-n2']);
    await nodes().delete('b-n2');
    const left = await waitPods('b', "the removed node's pod gone", (p) => p.length === 1);
    assert.deepEqual(onNodes(left), ['b-n1']);
    // A node that no longer matches the selector loses its pod too (misscheduled until then).
    const n1 = await nodes().get('b-n1');
    await nodes().update({ ...n1, metadata: { ...n1.metadata, labels: { suite: 'moved' } } });
    await waitPods('b', 'no pods', (p) => p.length === 0);
    const d = await waitDs('b', 'desired 0', (x) => x.status?.desiredNumberScheduled === 0);
    assert.equal(d.status?.currentNumberScheduled, 0);
  });

  it('rolls a template change out one node at a time under a new ControllerRevision', async () => {
    for (const n of ['c-n1', 'c-n2', 'c-n3']) await createNode(n, 'c');
    await createDaemonSet('c', 'c', {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    });
    const first = await waitPods('c', 'three pods', (p) => p.length === 3);
    for (const p of first) await runPod(p);
    await waitDs('c', '3 available', (x) => x.status?.numberAvailable === 3);
    const oldHash = first[0]?.metadata.labels?.['controller-revision-hash'];

    const cur = await dss().get('c');
    const tpl = cur.spec?.template;
    await dss().update({
      ...cur,
      spec: {
        ...(cur.spec as NonNullable<DaemonSet['spec']>),
        template: {
          ...tpl,
          spec: {
            ...(tpl?.spec as NonNullable<typeof tpl>['spec'] & object),
            containers: [{ name: 'c', image: 'busybox:2' }],
          },
        },
      },
    });
    // One old pod is replaced; the other two stay while the new one is not Ready.
    const firstNew = await waitPods('c', 'one new pod', (ps) =>
      ps.some((p) => p.metadata.labels?.['controller-revision-hash'] !== oldHash),
    );
    await new Promise((r) => setTimeout(r, 500));
    let now = await podsOf('c');
    assert.equal(now.filter((p) => p.metadata.labels?.['controller-revision-hash'] === oldHash).length, 2);
    assert.equal(now.length, 3);
    const newHash = firstNew.find((p) => p.metadata.labels?.['controller-revision-hash'] !== oldHash)?.metadata
      .labels?.['controller-revision-hash'];
    assert.ok(newHash);
    // Keep starting new pods as they come, as kubelets would, until every node runs the new template.
    const started = new Set<string>();
    await waitFor(
      'every pod updated and running',
      async () => {
        now = await podsOf('c');
        for (const p of now) {
          const name = p.metadata.name ?? '';
          if (p.metadata.labels?.['controller-revision-hash'] === newHash && !started.has(name)) {
            started.add(name);
            await runPod(p);
          }
        }
        return now.length === 3 && now.every((p) => p.metadata.labels?.['controller-revision-hash'] === newHash)
          ? now
          : undefined;
      },
      20_000,
    );
    assert.equal(started.size, 3);
    for (const p of now) assert.equal(p.metadata.labels?.['pod-template-generation'], '2');
    const d = await waitDs(
      'c',
      'rolled out',
      (x) => x.status?.updatedNumberScheduled === 3 && x.status?.numberAvailable === 3,
    );
    assert.equal(d.status?.observedGeneration, d.metadata.generation);
    const revs = (await cl.admin.resource<ControllerRevision>(REVS).list()).items
      .filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid))
      .map((r) => `${r.metadata.name}:${r.revision}`)
      .sort();
    assert.deepEqual(revs, [`c-${oldHash}:1`, `c-${newHash}:2`].sort());
    const r = await kubectl(cl.fx, ['rollout', 'status', 'ds/c', '-n', NS, '--timeout=20s']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /daemon set "c" successfully rolled out/);
  });

  it('does nothing for OnDelete until an old pod is deleted', async () => {
    await createNode('d-n1', 'd');
    await createDaemonSet('d', 'd', { updateStrategy: { type: 'OnDelete' } });
    const [p] = await waitPods('d', 'one pod', (ps) => ps.length === 1);
    const oldHash = p?.metadata.labels?.['controller-revision-hash'];
    // The controller writes status meanwhile: read again and retry on a conflict, as a client would.
    for (let attempt = 0; ; attempt++) {
      const cur = await dss().get('d');
      const tpl = cur.spec?.template;
      try {
        await dss().update({
          ...cur,
          spec: {
            ...(cur.spec as NonNullable<DaemonSet['spec']>),
            template: { ...tpl, metadata: { labels: { app: 'd', v: '2' } } },
          },
        });
        break;
      } catch (e) {
        if (!isConflict(e) || attempt >= 5) throw e;
      }
    }
    const d = await waitDs('d', 'observed generation 2', (x) => x.status?.observedGeneration === 2);
    assert.equal(d.status?.updatedNumberScheduled, 0);
    assert.equal((await podsOf('d'))[0]?.metadata.name, p?.metadata.name);
    await pods().delete(p?.metadata.name ?? '');
    const [q] = await waitPods(
      'd',
      'a replacement',
      (ps) => ps.length === 1 && ps[0]?.metadata.name !== p?.metadata.name,
    );
    assert.notEqual(q?.metadata.labels?.['controller-revision-hash'], oldHash);
    assert.equal(q?.metadata.labels?.v, '2');
  });
});
