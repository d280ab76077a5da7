// The replicaset controller against a real apiserver (no kubelet, no scheduler: the test binds pods
// and reports them Running and Ready as those would): pods made from the template with the
// ReplicaSet as controller, a deleted pod replaced, a scale-down taking the least useful pods first,
// an orphan adopted, a relabelled pod released, and the counts in the status, with minReadySeconds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Pod, ReplicaSet } from '@mkube/shared/api';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const RSS = { group: 'apps', version: 'v1', resource: 'replicasets', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

describe('replicaset-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--controllers=replicaset-controller']);
  });
  after(async () => cl?.close());

  const rss = () => cl.admin.resource<ReplicaSet>(RSS);
  const pods = () => cl.admin.resource<Pod>(PODS);

  function createRS(name: string, replicas: number, extra: Partial<ReplicaSet['spec']> = {}) {
    return rss().create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name, tier: 'web' }, annotations: { note: 'from-template' } },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1' }] },
        },
        ...extra,
      },
    });
  }

  const live = async (selector: string) =>
    (await pods().list({ labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);

  const waitPods = (selector: string, n: number, ms = 10_000) =>
    waitFor(
      `${n} pods ${selector}`,
      async () => {
        const ps = await live(selector);
        return ps.length === n ? ps : undefined;
      },
      ms,
    );

  /** Stays at `n` for a while: the controller does not overshoot while its cache catches up. */
  async function steady(selector: string, n: number): Promise<Pod[]> {
    await waitPods(selector, n);
    await new Promise((r) => setTimeout(r, 600));
    const ps = await live(selector);
    assert.equal(ps.length, n, `still ${n} pods for ${selector}`);
    return ps;
  }

  async function bind(p: Pod, node: string): Promise<void> {
    await cl.admin
      .resource({ group: '', version: 'v1', resource: 'pods', namespace: NS })
      .createSubresource(p.metadata!.name!, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: p.metadata!.name!, namespace: NS },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
  }

  /** What a kubelet reports: Running, and Ready or not. */
  async function report(name: string, ready: boolean): Promise<void> {
    const p = await pods().get(name);
    const t = now();
    await pods().updateSubresource(name, 'status', {
      ...p,
      status: {
        ...p.status,
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t }],
      },
    });
  }

  const events = async (name: string) =>
    (await cl.admin.resource<Event>(EVENTS).list()).items.filter(
      (e) => e.involvedObject?.name === name && e.involvedObject.kind === 'ReplicaSet',
    );

  it('creates the pods from its template, controlled by the ReplicaSet, with Events and status', async () => {
    const rs = await createRS('make', 3);
    const ps = await steady('app=make', 3);
    for (const p of ps) {
      assert.match(p.metadata!.name!, /^make-[a-z0-9]{5}$/);
      assert.equal(p.metadata?.generateName, 'make-');
      assert.deepEqual(p.metadata?.labels, { app: 'make', tier: 'web' });
      assert.equal(p.metadata?.annotations?.note, 'from-template');
      assert.deepEqual(p.metadata?.ownerReferences, [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'make',
          uid: rs.metadata!.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const got = await waitFor('status', async () => {
      const r = await rss().get('make');
      return r.status?.replicas === 3 && r.status.observedGeneration === r.metadata?.generation ? r : undefined;
    });
    assert.equal(got.status?.fullyLabeledReplicas, 3);
    assert.equal(got.status?.readyReplicas ?? 0, 0);
    const created = await waitFor('SuccessfulCreate events', async () => {
      const es = (await events('make')).filter((e) => e.reason === 'SuccessfulCreate');
      return es.length === 3 ? es : undefined;
    });
    const names = new Set(ps.map((p) => `Created pod: ${p.metadata!.name}`));
    for (const e of created) {
      assert.ok(names.has(e.message!), e.message);
      assert.equal(e.type, 'Normal');
      assert.equal(e.source?.component, 'replicaset-controller');
    }
  });

  it('replaces a deleted pod', async () => {
    await createRS('heal', 2);
    const [first] = await steady('app=heal', 2);
    await pods().delete(first!.metadata!.name!);
    const after = await steady('app=heal', 2);
    assert.ok(!after.some((p) => p.metadata?.name === first!.metadata?.name));
  });

  it('scales down unassigned, then not-ready pods before ready ones', async () => {
    await createRS('shrink', 3);
    const [a, b, c] = await steady('app=shrink', 3);
    // a: bound, Running and Ready; b: bound, Running, not Ready; c: unassigned.
    await bind(a!, 'node-a');
    await bind(b!, 'node-b');
    await report(a!.metadata!.name!, true);
    await report(b!.metadata!.name!, false);
    await waitFor('ready counted', async () =>
      (await rss().get('shrink')).status?.readyReplicas === 1 ? 1 : undefined,
    );
    const cur = await rss().get('shrink');
    await rss().update({ ...cur, spec: { ...cur.spec!, replicas: 1 } });
    const left = await steady('app=shrink', 1);
    assert.equal(left[0]!.metadata?.name, a!.metadata?.name);
    const deleted = await waitFor('SuccessfulDelete events', async () => {
      const es = (await events('shrink')).filter((e) => e.reason === 'SuccessfulDelete');
      return es.length === 2 ? es : undefined;
    });
    assert.deepEqual(
      deleted.map((e) => e.message).sort(),
      [`Deleted pod: ${b!.metadata!.name}`, `Deleted pod: ${c!.metadata!.name}`].sort(),
    );
  });

  it('adopts a matching orphan instead of creating a pod', async () => {
    const orphan = await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', namespace: NS, labels: { app: 'adopt', tier: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
    });
    const rs = await createRS('adopt', 2);
    const ps = await steady('app=adopt', 2);
    const adopted = ps.find((p) => p.metadata?.name === 'orphan');
    assert.ok(adopted, 'the orphan is one of the two');
    assert.equal(adopted.metadata?.uid, orphan.metadata?.uid);
    assert.deepEqual(
      adopted.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller, r.blockOwnerDeletion]),
      [['ReplicaSet', 'adopt', rs.metadata!.uid, true, true]],
    );
  });

  it('releases a pod relabelled out of its selector and replaces it', async () => {
    await createRS('release', 2);
    const [p] = await steady('app=release', 2);
    const name = p!.metadata!.name!;
    const cur = await pods().get(name);
    await pods().update({ ...cur, metadata: { ...cur.metadata, labels: { app: 'elsewhere' } } });
    const freed = await waitFor('ownerReference removed', async () => {
      const x = await pods().get(name);
      return x.metadata?.ownerReferences?.length ? undefined : x;
    });
    assert.equal(freed.metadata?.deletionTimestamp, undefined);
    await steady('app=release', 2);
  });

  it('counts ready pods, and available ones only after minReadySeconds', async () => {
    await createRS('ready', 2, { minReadySeconds: 2 });
    const ps = await steady('app=ready', 2);
    for (const p of ps) await bind(p, 'node-r');
    for (const p of ps) await report(p.metadata!.name!, true);
    const readyAt = Date.now();
    const r1 = await waitFor('ready 2', async () => {
      const r = await rss().get('ready');
      return r.status?.readyReplicas === 2 ? r : undefined;
    });
    if (Date.now() - readyAt < 1500) assert.equal(r1.status?.availableReplicas ?? 0, 0, 'not yet available');
    // No pod event comes after minReadySeconds: the controller must requeue itself.
    const r2 = await waitFor(
      'available 2',
      async () => {
        const r = await rss().get('ready');
        return r.status?.availableReplicas === 2 ? r : undefined;
      },
      8000,
    );
    assert.ok(Date.now() - readyAt >= 2000, 'available only after minReadySeconds');
    assert.equal(r2.status?.fullyLabeledReplicas, 2);
  });

  it('ignores finished pods and keeps the count with active ones', async () => {
    await createRS('finish', 1);
    const [p] = await steady('app=finish', 1);
    await bind(p!, 'node-f');
    const cur = await pods().get(p!.metadata!.name!);
    await pods().updateSubresource(cur.metadata!.name!, 'status', {
      ...cur,
      status: { ...cur.status, phase: 'Failed' },
    });
    await waitFor('a replacement', async () => {
      const ps = await live('app=finish');
      return ps.filter((x) => x.status?.phase !== 'Failed').length === 1 ? true : undefined;
    });
    const r = await waitFor('status counts one', async () => {
      const x = await rss().get('finish');
      return x.status?.replicas === 1 && (await live('app=finish')).length === 2 ? x : undefined;
    });
    assert.equal(r.status?.replicas, 1);
  });
});
