// The statefulset controller against a real apiserver (no kubelet, no scheduler: the test reports
// pods Running and Ready as a kubelet would): OrderedReady creates web-0, then web-1 only once web-0
// is Ready, with the identity labels, hostname and subdomain; scaling down removes the highest
// ordinal first; a template change rolls out from the highest ordinal down, and status names the
// current and update revisions until the rollout completes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ControllerRevision, Event, PersistentVolumeClaim, Pod, StatefulSet } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const STS = { group: 'apps', version: 'v1', resource: 'statefulsets', namespace: NS } as const;
const REVS = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespace: NS } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('statefulset-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--controllers=statefulset-controller']);
  });
  after(async () => cl?.close());

  const sets = () => cl.admin.resource<StatefulSet>(STS);
  const pods = () => cl.admin.resource<Pod>(PODS);
  const claims = () => cl.admin.resource<PersistentVolumeClaim>(PVCS);

  async function createSet(name: string, replicas: number, extra: Partial<StatefulSet['spec']> = {}) {
    return sets().create({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        serviceName: `${name}-svc`,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'nginx:1' }] },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: { tier: 'store' } },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
        ...extra,
      },
    } as StatefulSet);
  }

  const names = async (set: string) =>
    (await pods().list({ labelSelector: `app=${set}` })).items
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name ?? '')
      .sort();
  const waitNames = (set: string, want: string[], ms = 15_000) =>
    waitFor(
      `${set} pods ${want.join(',')}`,
      async () => {
        const n = await names(set);
        return JSON.stringify(n) === JSON.stringify(want) ? n : undefined;
      },
      ms,
    );
  const waitSet = (name: string, what: string, until: (s: StatefulSet) => boolean, ms = 15_000) =>
    waitFor(
      `${name}: ${what}`,
      async () => {
        const s = await sets().get(name);
        return until(s) ? s : undefined;
      },
      ms,
    );

  /** What a kubelet reports once the pod's containers run and pass readiness. */
  async function ready(name: string): Promise<void> {
    const cur = await pods().get(name);
    await pods().updateSubresource(name, 'status', {
      ...cur,
      status: { ...cur.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }

  it('creates web-0, then web-1 only once web-0 is Running and Ready (OrderedReady)', async () => {
    const set = await createSet('web', 2);
    await waitNames('web', ['web-0']);
    await sleep(500);
    assert.deepEqual(await names('web'), ['web-0'], 'web-1 waits for web-0');
    const p0 = await pods().get('web-0');
    assert.equal(p0.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(p0.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.equal(p0.spec?.hostname, 'web-0');
    assert.equal((p0.spec as { subdomain?: string }).subdomain, 'web-svc');
    assert.deepEqual(p0.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'web',
        uid: set.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.deepEqual(p0.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }]);
    const claim = await claims().get('data-web-0');
    assert.deepEqual(claim.metadata.labels, { tier: 'store', app: 'web' }, "the template's labels and the selector's");
    assert.deepEqual(claim.spec?.resources, { requests: { storage: '1Gi' } });
    assert.equal(claim.metadata.ownerReferences, undefined, 'Retain by default: nobody owns it');
    const rev = p0.metadata.labels?.['controller-revision-hash'] ?? '';
    assert.match(rev, /^web-[a-z0-9]+$/);
    const cr = await cl.admin.resource<ControllerRevision>(REVS).get(rev);
    assert.equal(cr.revision, 1);
    assert.equal(cr.metadata.labels?.['controller.kubernetes.io/hash'], rev.slice('web-'.length));

    await ready('web-0');
    await waitNames('web', ['web-0', 'web-1']);
    await ready('web-1');
    const s = await waitSet('web', '2 ready', (x) => x.status?.readyReplicas === 2);
    assert.deepEqual(
      {
        replicas: s.status?.replicas,
        readyReplicas: s.status?.readyReplicas,
        availableReplicas: s.status?.availableReplicas,
        currentReplicas: s.status?.currentReplicas,
        updatedReplicas: s.status?.updatedReplicas,
        currentRevision: s.status?.currentRevision,
        updateRevision: s.status?.updateRevision,
        observedGeneration: s.status?.observedGeneration,
        collisionCount: s.status?.collisionCount,
      },
      {
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        currentReplicas: 2,
        updatedReplicas: 2,
        currentRevision: rev,
        updateRevision: rev,
        observedGeneration: 1,
        collisionCount: 0,
      },
    );
    const events = await waitFor('four events', async () => {
      const found = (await cl.admin.resource<Event>(EVENTS).list()).items
        .filter((e) => e.involvedObject?.kind === 'StatefulSet' && e.involvedObject?.name === 'web')
        .map((e) => `${e.reason}: ${e.message}`)
        .sort();
      return found.length >= 4 ? found : undefined;
    });
    assert.deepEqual(events, [
      'SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success',
      'SuccessfulCreate: create Claim data-web-1 Pod web-1 in StatefulSet web success',
      'SuccessfulCreate: create Pod web-0 in StatefulSet web successful',
      'SuccessfulCreate: create Pod web-1 in StatefulSet web successful',
    ]);
  });

  it('scales down from the highest ordinal, one at a time', async () => {
    await createSet('db', 3, { ordinals: { start: 5 } });
    for (const n of ['db-5', 'db-6', 'db-7']) {
      await waitFor(`${n} created`, () =>
        pods()
          .get(n)
          .catch(() => undefined),
      );
      await ready(n);
    }
    await waitSet('db', '3 ready', (x) => x.status?.readyReplicas === 3);
    const cur = await sets().get('db');
    await sets().update({ ...cur, spec: { ...(cur.spec as NonNullable<StatefulSet['spec']>), replicas: 1 } });
    await waitNames('db', ['db-5']);
    // Event names sort by creation time: db-7 went before db-6. Events are written after the deletes.
    const deletes = await waitFor('two delete events', async () => {
      const found = (await cl.admin.resource<Event>(EVENTS).list()).items
        .filter((e) => e.involvedObject?.name === 'db' && e.reason === 'SuccessfulDelete')
        .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
        .map((e) => e.message);
      return found.length >= 2 ? found : undefined;
    });
    assert.deepEqual(deletes, [
      'delete Pod db-7 in StatefulSet db successful',
      'delete Pod db-6 in StatefulSet db successful',
    ]);
    const s = await waitSet('db', 'replicas 1', (x) => x.status?.replicas === 1);
    assert.equal(s.status?.readyReplicas, 1);
  });

  it('rolls a template change out from the highest ordinal down, then makes it current', async () => {
    await createSet('roll', 3);
    for (const n of ['roll-0', 'roll-1', 'roll-2']) {
      await waitFor(`${n} created`, () =>
        pods()
          .get(n)
          .catch(() => undefined),
      );
      await ready(n);
    }
    const before = await waitSet('roll', '3 ready', (x) => x.status?.readyReplicas === 3);
    const oldRev = before.status?.currentRevision ?? '';
    const cur = await sets().get('roll');
    const spec = cur.spec as NonNullable<StatefulSet['spec']>;
    await sets().update({
      ...cur,
      spec: {
        ...spec,
        template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ name: 'c', image: 'nginx:2' }] } },
      },
    });
    const mid = await waitSet(
      'roll',
      'a new update revision',
      (x) => !!x.status?.updateRevision && x.status.updateRevision !== oldRev,
    );
    const newRev = mid.status?.updateRevision ?? '';
    assert.equal(mid.status?.currentRevision, oldRev);

    const order: string[] = [];
    for (const n of ['roll-2', 'roll-1', 'roll-0']) {
      const p = await waitFor(`${n} at the new revision`, async () => {
        const x = await pods()
          .get(n)
          .catch(() => undefined);
        return x && x.metadata.labels?.['controller-revision-hash'] === newRev ? x : undefined;
      });
      // Lower ordinals are still at the old revision while this one is not Ready.
      for (const lower of ['roll-0', 'roll-1', 'roll-2'].filter((l) => l < n)) {
        assert.equal(
          (await pods().get(lower)).metadata.labels?.['controller-revision-hash'],
          oldRev,
          `${lower} waits for ${n}`,
        );
      }
      order.push(p.metadata.name ?? '');
      await ready(n);
    }
    assert.deepEqual(order, ['roll-2', 'roll-1', 'roll-0']);
    // (Between deleting roll-0 and seeing its replacement, upstream's status counts 2 of 2 updated and
    // briefly names the new revision current; the rollout is complete once all 3 are.)
    const done = await waitSet(
      'roll',
      'rollout complete',
      (x) => x.status?.currentRevision === newRev && x.status?.readyReplicas === 3,
    );
    assert.equal(done.status?.updateRevision, newRev);
    assert.equal(done.status?.currentReplicas, 3);
    assert.equal(done.status?.updatedReplicas, 3);
    assert.equal(done.status?.observedGeneration, 2);
    const revs = (await cl.admin.resource<ControllerRevision>(REVS).list()).items
      .filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === cur.metadata.uid))
      .map((r) => `${r.metadata.name}:${r.revision}`)
      .sort();
    assert.deepEqual(revs, [`${oldRev}:1`, `${newRev}:2`].sort());
  });

  it('creates all pods at once with Parallel', async () => {
    await createSet('par', 3, { podManagementPolicy: 'Parallel' });
    await waitNames('par', ['par-0', 'par-1', 'par-2']);
  });

  it('owns claims by the set (whenDeleted: Delete) and by a scaled-down pod (whenScaled: Delete), and waits for a stale one to go', async () => {
    const set = await createSet('ret', 2, {
      podManagementPolicy: 'Parallel',
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
    });
    const setRef = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'ret',
      uid: set.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    const scale = (name: string, replicas: number) =>
      waitFor(`${name} scaled to ${replicas}`, async () => {
        const cur = await sets().get(name);
        return sets().update({ ...cur, spec: { ...cur.spec!, replicas } });
      });
    const owners = (name: string, want: unknown) =>
      waitFor(`${name} owned by ${JSON.stringify(want)}`, async () => {
        const c = await claims().get(name);
        return JSON.stringify(c.metadata.ownerReferences) === JSON.stringify(want) ? c : undefined;
      });
    await owners('data-ret-0', [setRef]);
    await owners('data-ret-1', [setRef]);
    const ret1 = await pods().get('ret-1');

    await scale('ret', 1);
    await owners('data-ret-1', [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        name: 'ret-1',
        uid: ret1.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    await waitNames('ret', ['ret-0']);
    await owners('data-ret-0', [setRef]);

    // Scaled up again before the garbage collector removed the old pod's claim: ret-1 waits for it.
    await scale('ret', 2);
    await sleep(1000);
    assert.deepEqual(await names('ret'), ['ret-0'], 'a claim owned by the old ret-1 blocks the new one');
    // What the garbage collector does (it does not run here).
    await claims().delete('data-ret-1');
    const gone = await claims()
      .get('data-ret-1')
      .catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (gone) await claims().update({ ...gone, metadata: { ...gone.metadata, finalizers: [] } });
    await waitNames('ret', ['ret-0', 'ret-1']);
    await owners('data-ret-1', [setRef]);
  });
});
