// The replicationcontroller controller (the replicaset controller over ReplicationControllers, as
// upstream's replication manager) against a real apiserver, as its own ServiceAccount with only its
// role: pods made from the template with a v1 ReplicationController controller reference, a
// scale-down, an orphan adopted by the map selector, a relabelled pod released, Events from
// `replication-controller`, the garbage collector deleting its pods after a cascading DELETE, and
// the disruption controller finding an RC's scale for a maxUnavailable budget.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Pod, PodDisruptionBudget, ReplicationController } from '@mkube/shared/api';
import { PatchType } from '@mkube/shared/client';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const RCS = { group: '', version: 'v1', resource: 'replicationcontrollers', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;
const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace: NS } as const;

describe('replicationcontroller-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    // Every controller on by default (the disruption controller needs more than itself); rc among them.
    await cl.startKcm(['--leader-elect=false']);
  });
  after(async () => cl?.close());

  const rcs = () => cl.admin.resource<ReplicationController>(RCS);
  const pods = () => cl.admin.resource<Pod>(PODS);

  function createRC(name: string, replicas: number) {
    return rcs().create({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        selector: { app: name },
        template: {
          metadata: { labels: { app: name, tier: 'web' } },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1' }] },
        },
      },
    });
  }

  const live = async (selector: string) =>
    (await pods().list({ labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);

  /** Reaches `n` pods and stays there: the controller does not overshoot while its cache catches up. */
  async function steady(selector: string, n: number): Promise<Pod[]> {
    await waitFor(`${n} pods ${selector}`, async () => ((await live(selector)).length === n ? true : undefined));
    await new Promise((r) => setTimeout(r, 600));
    const ps = await live(selector);
    assert.equal(ps.length, n, `still ${n} pods for ${selector}`);
    return ps;
  }

  it('creates its pods, controlled by the ReplicationController, with Events and status', async () => {
    const rc = await createRC('make', 3);
    const ps = await steady('app=make', 3);
    for (const p of ps) {
      assert.match(p.metadata!.name!, /^make-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata?.labels, { app: 'make', tier: 'web' });
      assert.deepEqual(p.metadata?.ownerReferences, [
        {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          name: 'make',
          uid: rc.metadata!.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const got = await waitFor('status', async () => {
      const r = await rcs().get('make');
      return r.status?.replicas === 3 && r.status.observedGeneration === r.metadata?.generation ? r : undefined;
    });
    assert.equal(got.status?.fullyLabeledReplicas, 3);
    const created = await waitFor('SuccessfulCreate events', async () => {
      const es = (await cl.admin.resource<Event>(EVENTS).list()).items.filter(
        (e) =>
          e.involvedObject?.name === 'make' &&
          e.involvedObject.kind === 'ReplicationController' &&
          e.reason === 'SuccessfulCreate',
      );
      return es.length === 3 ? es : undefined;
    });
    for (const e of created) assert.equal(e.source?.component, 'replication-controller');
  });

  it('scales down through /scale', async () => {
    await createRC('shrink', 3);
    await steady('app=shrink', 3);
    await rcs().patch('shrink', PatchType.Merge, { spec: { replicas: 1 } }, { subresource: 'scale' });
    await steady('app=shrink', 1);
    await waitFor('status 1', async () => ((await rcs().get('shrink')).status?.replicas === 1 ? true : undefined));
  });

  it('adopts a matching orphan instead of creating a pod', async () => {
    const orphan = await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', namespace: NS, labels: { app: 'adopt' } },
      spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
    });
    const rc = await createRC('adopt', 2);
    const ps = await steady('app=adopt', 2);
    const adopted = ps.find((p) => p.metadata?.name === 'orphan');
    assert.ok(adopted, 'the orphan is one of the two');
    assert.equal(adopted.metadata?.uid, orphan.metadata?.uid);
    assert.deepEqual(
      adopted.metadata?.ownerReferences?.map((r) => [r.apiVersion, r.kind, r.name, r.uid, r.controller]),
      [['v1', 'ReplicationController', 'adopt', rc.metadata!.uid, true]],
    );
    // Its labels are not the template's: selected, yet not fully labelled.
    const r = await waitFor('status', async () => {
      const x = await rcs().get('adopt');
      return x.status?.replicas === 2 ? x : undefined;
    });
    assert.equal(r.status?.fullyLabeledReplicas, 1);
  });

  it('releases a pod relabelled out of its selector and replaces it', async () => {
    await createRC('release', 2);
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

  it('gives a maxUnavailable budget over its pods its scale (getPodReplicationController)', async () => {
    await createRC('budget', 3);
    await steady('app=budget', 3);
    await cl.admin.resource<PodDisruptionBudget>(PDBS).create({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'budget', namespace: NS },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'budget' } } },
    });
    const b = await waitFor('3 expected pods', async () => {
      const x = await cl.admin.resource<PodDisruptionBudget>(PDBS).get('budget');
      return x.status?.expectedPods === 3 ? x : undefined;
    });
    assert.equal(b.status?.desiredHealthy, 2);
  });

  it('leaves its pods to the garbage collector on a cascading delete, and orphans them by default', async () => {
    await createRC('cascade', 2);
    await steady('app=cascade', 2);
    await rcs().delete('cascade', { propagationPolicy: 'Background' });
    await waitFor('pods collected', async () => ((await live('app=cascade')).length === 0 ? true : undefined), 20_000);

    await createRC('orphans', 2);
    await steady('app=orphans', 2);
    // No policy named: v1 orphans, the collector only takes the owner reference away.
    await rcs().delete('orphans');
    await waitFor(
      'rc gone',
      async () => ((await rcs().list()).items.some((x) => x.metadata?.name === 'orphans') ? undefined : true),
      20_000,
    );
    const left = await waitFor(
      'pods orphaned',
      async () => {
        const ps = await live('app=orphans');
        return ps.length === 2 && ps.every((x) => !x.metadata?.ownerReferences?.length) ? ps : undefined;
      },
      20_000,
    );
    assert.equal(left.length, 2);
  });
});
