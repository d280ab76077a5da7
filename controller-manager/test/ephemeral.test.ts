// ephemeral-volume-controller against a real apiserver (RBAC, each controller as its ServiceAccount,
// OwnerReferencesPermissionEnforcement so that the role's pods/finalizers is put to use) and the
// default controller set: a pod's generic ephemeral volumes get their claims, owned by the pod; a claim
// of that name the pod does not own is left alone with upstream's event; a claim deleted from under a
// live pod comes back, not from under a pod being deleted; the garbage collector takes the claims with
// their pod; and --controllers=-ephemeral-volume-controller turns it off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, PersistentVolumeClaim, PersistentVolumeClaimSpec, Pod, Volume } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A class nothing provisions for: the claims stay Pending, untouched by the binder. */
const CLAIM_SPEC: PersistentVolumeClaimSpec = {
  accessModes: ['ReadWriteOnce'],
  resources: { requests: { storage: '1Gi' } },
  storageClassName: 'ephemeral-test',
};

const ephemeral = (
  name: string,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
) => ({ name, ephemeral: { volumeClaimTemplate: { metadata: meta, spec: CLAIM_SPEC } } }) as Volume;

describe('ephemeral-volume-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster(['--enable-admission-plugins=OwnerReferencesPermissionEnforcement']);
  });
  after(async () => cl?.close());

  const pvcs = () => cl.admin.resource<PersistentVolumeClaim>(PVCS);
  const pods = () => cl.admin.resource<Pod>(PODS);
  const claimOrNone = (name: string) =>
    pvcs()
      .get(name)
      .catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  const pod = (name: string, volumes: Volume[], finalizers?: string[]) =>
    pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS, ...(finalizers ? { finalizers } : {}) },
      spec: { containers: [{ name: 'c', image: 'busybox' }], volumes },
    });
  const waitClaim = (name: string, until: (c: PersistentVolumeClaim) => boolean = () => true) =>
    waitFor(`claim ${name}`, async () => {
      const c = await claimOrNone(name);
      return c && until(c) ? c : undefined;
    });
  const waitGone = (name: string) =>
    waitFor(`claim ${name} gone`, async () => ((await claimOrNone(name)) === undefined ? true : undefined));
  const ownerOf = (p: Pod) => [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      name: p.metadata.name,
      uid: p.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];

  it('is off with --controllers=*,-ephemeral-volume-controller, and on by default', async () => {
    const off = await cl.startKcm(['--leader-elect=false', '--controllers=*,-ephemeral-volume-controller']);
    await pod('early', [ephemeral('data')]);
    // The garbage collector of the same controller-manager is up, so the controllers did start.
    await sleep(2000);
    assert.equal(await claimOrNone('early-data'), undefined, 'no claim while the controller is off');
    await off.stop();
    // Every later test runs against this one, started with no --controllers at all.
    await cl.startKcm(['--leader-elect=false']);
    await waitClaim('early-data');
  });

  it("creates each ephemeral volume's claim <pod>-<volume> from its template, controlled by the pod", async () => {
    const web = await pod('web', [
      ephemeral('scratch', { labels: { app: 'web', tier: 'cache' }, annotations: { 'example.com/note': 'fast' } }),
      ephemeral('logs'),
      { name: 'data', persistentVolumeClaim: { claimName: 'web-shared' } },
      { name: 'tmp', emptyDir: {} },
    ]);
    const scratch = await waitClaim('web-scratch');
    assert.equal(scratch.metadata.namespace, NS);
    assert.deepEqual(scratch.metadata.ownerReferences, ownerOf(web));
    assert.deepEqual(scratch.metadata.labels, { app: 'web', tier: 'cache' });
    assert.equal(scratch.metadata.annotations?.['example.com/note'], 'fast');
    assert.deepEqual(scratch.spec?.accessModes, CLAIM_SPEC.accessModes);
    assert.equal(scratch.spec?.resources?.requests?.storage, '1Gi');
    assert.equal(scratch.spec?.storageClassName, 'ephemeral-test');
    const logs = await waitClaim('web-logs');
    assert.deepEqual(logs.metadata.ownerReferences, ownerOf(web));
    assert.equal(logs.metadata.labels, undefined);
    // A persistentVolumeClaim volume names a claim the user makes: not this controller's to create.
    assert.equal(await claimOrNone('web-shared'), undefined);
    assert.equal(await claimOrNone('web-data'), undefined);
  });

  it('leaves a claim of that name the pod does not own alone, with a FailedBinding event', async () => {
    const foreign = await pvcs().create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'taken-data', namespace: NS, labels: { owner: 'someone-else' } },
      spec: CLAIM_SPEC,
    });
    await pod('taken', [ephemeral('data', { labels: { owner: 'pod' } })]);
    const message =
      'ephemeral volume data: PVC default/taken-data was not created for pod default/taken (pod is not owner)';
    const ev = await waitFor('the FailedBinding event', async () =>
      (await cl.admin.resource<Event>(EVENTS).list()).items.find(
        (e) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === 'taken' && e.message === message,
      ),
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.reason, 'FailedBinding');
    assert.equal(ev.source?.component, 'ephemeral_volume');
    const now = await pvcs().get('taken-data');
    assert.equal(now.metadata.uid, foreign.metadata.uid);
    assert.equal(now.metadata.ownerReferences, undefined);
    assert.deepEqual(now.metadata.labels, { owner: 'someone-else' });
  });

  it('re-creates the claim of a live pod when it is deleted', async () => {
    const web = await pods().get('web');
    const first = await waitClaim('web-scratch');
    await pvcs().delete('web-scratch');
    // The pvc-protection controller lets it go (the pod is not scheduled), then it comes back.
    const again = await waitClaim('web-scratch', (c) => c.metadata.uid !== first.metadata.uid);
    assert.deepEqual(again.metadata.ownerReferences, ownerOf(web));
    assert.deepEqual(again.metadata.labels, { app: 'web', tier: 'cache' });
  });

  it('does not re-create the claim of a pod that is being deleted', async () => {
    await pod('leaving', [ephemeral('data')], ['example.com/hold']);
    await waitClaim('leaving-data');
    await pods().delete('leaving');
    assert.ok((await pods().get('leaving')).metadata.deletionTimestamp, 'held by its finalizer');
    await pvcs().delete('leaving-data');
    await waitGone('leaving-data');
    await sleep(1500);
    assert.equal(await claimOrNone('leaving-data'), undefined);
    const p = await pods().get('leaving');
    await pods().update({ ...p, metadata: { ...p.metadata, finalizers: [] } });
  });

  it('lets the garbage collector delete the claims with their pod, and does not bring them back', async () => {
    await waitClaim('web-scratch');
    await waitClaim('web-logs');
    await pods().delete('web');
    await waitGone('web-scratch');
    await waitGone('web-logs');
    await sleep(1000);
    assert.equal(await claimOrNone('web-scratch'), undefined);
    assert.equal(await claimOrNone('web-logs'), undefined);
  });
});
