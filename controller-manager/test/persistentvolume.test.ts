// The volume controllers against a real apiserver (no scheduler, no kubelet: the test plays the
// scheduler's part where one is needed): the binder matches static volumes by size, access modes,
// volumeMode, class and selector, honours pre-bound volumes and named volumes, releases or fails
// volumes by reclaim policy, provisions host-path volumes (directory and all) and deletes them, waits
// for the scheduler on WaitForFirstConsumer classes, and leaves external provisioners their work;
// the protection controllers hold deleted claims and volumes only while they are in use.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type {
  Event,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  PersistentVolumeSpec,
  Pod,
  StorageClass,
} from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { HOST_PATH_PROVISIONER_ROOT } from '../src/volume/hostpath.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' } as const;
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespace: NS } as const;
const CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('volume controllers', () => {
  let cl: Cluster;
  /** Host-path directories the provisioner made for these tests, removed whatever happens. */
  const made = new Set<string>();
  before(async () => {
    cl = await startCluster();
    await cl.startKcm([
      '--leader-elect=false',
      '--controllers=persistentvolume-binder,pvc-protection,pv-protection',
      '--enable-hostpath-provisioner',
      '--pvclaimbinder-sync-period=1s',
    ]);
  });
  after(async () => {
    await cl?.close();
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  const pvs = () => cl.admin.resource<PersistentVolume>(PVS);
  const pvcs = () => cl.admin.resource<PersistentVolumeClaim>(PVCS);

  const pv = (name: string, storage: string, spec: PersistentVolumeSpec = {}, labels?: Record<string, string>) =>
    pvs().create({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, ...(labels ? { labels } : {}) },
      spec: {
        capacity: { storage },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/tmp/mkube-pv-test/${name}` },
        storageClassName: '',
        ...spec,
      },
    });
  const pvc = (name: string, storage: string, spec: PersistentVolumeClaimSpec = {}) =>
    pvcs().create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: NS },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage } },
        storageClassName: '',
        ...spec,
      },
    });
  const storageClass = (name: string, provisioner: string, extra: Partial<StorageClass> = {}) =>
    cl.admin.resource<StorageClass>(CLASSES).create({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name },
      provisioner,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      ...extra,
    });

  const waitClaim = (name: string, what: string, until: (c: PersistentVolumeClaim) => boolean, ms = 15_000) =>
    waitFor(
      `claim ${name}: ${what}`,
      async () => {
        const c = await pvcs().get(name);
        return until(c) ? c : undefined;
      },
      ms,
    );
  const waitVolume = (name: string, what: string, until: (v: PersistentVolume) => boolean, ms = 15_000) =>
    waitFor(
      `volume ${name}: ${what}`,
      async () => {
        const v = await pvs().get(name);
        return until(v) ? v : undefined;
      },
      ms,
    );
  const waitGone = (what: string, get: () => Promise<unknown>, ms = 15_000) =>
    waitFor(
      `${what} gone`,
      async () => {
        try {
          await get();
          return undefined;
        } catch (e) {
          if (isNotFound(e)) return true;
          throw e;
        }
      },
      ms,
    );
  /** The events about an object, as `reason: message`. */
  const eventsOf = async (kind: string, name: string, namespace = NS) =>
    (await cl.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace }).list()).items
      .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
      .map((e) => `${e.reason}: ${e.message}`);
  const waitEvent = (kind: string, name: string, prefix: string, namespace = NS) =>
    waitFor(`${kind} ${name} event ${prefix}`, async () =>
      (await eventsOf(kind, name, namespace)).find((e) => e.startsWith(prefix)),
    );

  it('binds claims to the smallest fitting Available volume of their access modes, volumeMode, class and selector', async () => {
    await pv('m-1g', '1Gi');
    await pv('m-3g', '3Gi');
    await pv('m-10g', '10Gi');
    await pv('m-2g-rwx', '2Gi', { accessModes: ['ReadWriteOnce', 'ReadWriteMany'] });
    await pv('m-2g-gold', '2Gi', { storageClassName: 'gold' });
    await pv('m-4g-db', '4Gi', {}, { tier: 'db' });
    await pv('m-2g-block', '2Gi', { volumeMode: 'Block' });
    // Only Available volumes are matched: a claim made sooner might miss one still Pending.
    for (const v of ['m-1g', 'm-3g', 'm-10g', 'm-2g-rwx', 'm-2g-gold', 'm-4g-db', 'm-2g-block'])
      await waitVolume(v, 'Available', (x) => x.status?.phase === 'Available');
    const want = {
      // The RWO-only volumes are searched before the RWO+RWX one, whatever its size.
      'want-2g': ['2Gi', {}, 'm-3g'],
      'want-rwx': ['1Gi', { accessModes: ['ReadWriteMany'] }, 'm-2g-rwx'],
      'want-gold': ['1Gi', { storageClassName: 'gold' }, 'm-2g-gold'],
      'want-db': ['1Gi', { selector: { matchLabels: { tier: 'db' } } }, 'm-4g-db'],
      'want-block': ['1Gi', { volumeMode: 'Block' }, 'm-2g-block'],
    } as const;
    for (const [name, [size, spec]] of Object.entries(want)) await pvc(name, size, spec as PersistentVolumeClaimSpec);
    const huge = await pvc('want-huge', '100Gi');

    for (const [name, [, , volume]] of Object.entries(want)) {
      const c = await waitClaim(name, 'Bound', (x) => x.status?.phase === 'Bound');
      assert.equal(c.spec?.volumeName, volume, name);
      assert.equal(c.metadata.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
      assert.equal(c.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
      const v = await waitVolume(volume, 'Bound', (x) => x.status?.phase === 'Bound');
      assert.deepEqual(c.status?.accessModes, v.spec?.accessModes);
      assert.deepEqual(c.status?.capacity, v.spec?.capacity);
      assert.equal(v.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
      assert.deepEqual(
        { ...v.spec?.claimRef, resourceVersion: undefined },
        {
          kind: 'PersistentVolumeClaim',
          namespace: NS,
          name,
          uid: c.metadata.uid,
          apiVersion: 'v1',
          resourceVersion: undefined,
        },
      );
    }
    await waitEvent(
      'PersistentVolumeClaim',
      'want-huge',
      'FailedBinding: no persistent volumes available for this claim and no storage class is set',
    );
    assert.equal((await pvcs().get('want-huge')).status?.phase, 'Pending');
    assert.equal(huge.spec?.volumeName, undefined);
    for (const v of ['m-1g', 'm-10g'])
      assert.equal(
        (await waitVolume(v, 'Available', (x) => x.status?.phase === 'Available')).spec?.claimRef,
        undefined,
      );
  });

  it('binds a volume pre-bound to the claim and a volume the claim names, and refuses a named one that does not fit', async () => {
    await pv('pre-5g', '5Gi', { storageClassName: 'pre', claimRef: { namespace: NS, name: 'pre-claim' } });
    await pv('pre-1g', '1Gi', { storageClassName: 'pre' });
    await pv('pre-small', '1Gi', { storageClassName: 'pre' });
    const pre = await pvc('pre-claim', '1Gi', { storageClassName: 'pre' });
    const c = await waitClaim('pre-claim', 'Bound', (x) => x.status?.phase === 'Bound');
    assert.equal(c.spec?.volumeName, 'pre-5g', 'the pre-bound volume wins over a smaller one');
    const v = await waitVolume('pre-5g', 'Bound', (x) => x.status?.phase === 'Bound');
    assert.equal(v.spec?.claimRef?.uid, pre.metadata.uid);
    assert.equal(v.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined, "the user's binding");

    await pvc('named', '1Gi', { storageClassName: 'pre', volumeName: 'pre-small' });
    const named = await waitClaim('named', 'Bound', (x) => x.status?.phase === 'Bound');
    assert.equal(named.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined, "the user's choice");
    const small = await waitVolume('pre-small', 'Bound', (x) => x.status?.phase === 'Bound');
    assert.equal(small.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');

    await pvc('named-too-big', '2Gi', { storageClassName: 'pre', volumeName: 'pre-1g' });
    await waitEvent(
      'PersistentVolumeClaim',
      'named-too-big',
      'VolumeMismatch: Cannot bind to requested volume "pre-1g": requested PV is too small',
    );
    assert.equal((await pvcs().get('named-too-big')).status?.phase, 'Pending');
    assert.equal((await pvs().get('pre-1g')).spec?.claimRef, undefined);
  });

  it('releases a Retain volume when its claim goes, keeping the claimRef; fails Recycle and a Delete outside /tmp', async () => {
    await pv('keep', '1Gi', { storageClassName: 'reclaim', persistentVolumeReclaimPolicy: 'Retain' });
    await pvc('keep-claim', '1Gi', { storageClassName: 'reclaim', volumeName: 'keep' });
    await pv('recycle', '1Gi', { storageClassName: 'reclaim', persistentVolumeReclaimPolicy: 'Recycle' });
    await pvc('recycle-claim', '1Gi', { storageClassName: 'reclaim', volumeName: 'recycle' });
    await pv('outside', '1Gi', {
      storageClassName: 'reclaim',
      persistentVolumeReclaimPolicy: 'Delete',
      hostPath: { path: '/var/lib/mkube-pv-test' },
    });
    await pvc('outside-claim', '1Gi', { storageClassName: 'reclaim', volumeName: 'outside' });
    for (const c of ['keep-claim', 'recycle-claim', 'outside-claim']) {
      await waitClaim(c, 'Bound', (x) => x.status?.phase === 'Bound');
      await pvcs().delete(c);
      await waitGone(`claim ${c}`, () => pvcs().get(c));
    }
    const kept = await waitVolume('keep', 'Released', (x) => x.status?.phase === 'Released');
    assert.equal(kept.spec?.claimRef?.name, 'keep-claim', 'a released volume keeps its claimRef');
    await sleep(1500);
    assert.equal((await pvs().get('keep')).status?.phase, 'Released', 'and stays Released');

    await waitVolume('recycle', 'Failed', (x) => x.status?.phase === 'Failed');
    await waitEvent(
      'PersistentVolume',
      'recycle',
      'VolumeFailedRecycle: Recycle failed: recycling is not supported',
      'default',
    );
    const outside = await waitVolume('outside', 'Failed', (x) => x.status?.phase === 'Failed');
    assert.equal(
      outside.status?.message,
      'host_path deleter only supports /tmp/.+ but received provided /var/lib/mkube-pv-test',
    );
  });

  it('provisions a host-path volume for a claim of an Immediate class, and deletes directory and volume with the claim', async () => {
    await storageClass('hostpath', 'kubernetes.io/host-path');
    const claim = await pvc('hp', '2Gi', { storageClassName: 'hostpath' });
    const name = `pvc-${claim.metadata.uid}`;
    const v = await waitVolume(name, 'Bound', (x) => x.status?.phase === 'Bound');
    const path = v.spec?.hostPath?.path ?? '';
    made.add(path);
    assert.match(path, new RegExp(`^${HOST_PATH_PROVISIONER_ROOT}/[0-9a-f-]{36}$`));
    assert.ok(existsSync(path), 'the directory is made');
    assert.deepEqual(v.spec?.capacity, { storage: '2Gi' });
    assert.equal(v.spec?.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(v.spec?.storageClassName, 'hostpath');
    assert.equal(v.spec?.claimRef?.uid, claim.metadata.uid);
    assert.equal(v.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'kubernetes.io/host-path');
    assert.ok(v.metadata.finalizers?.includes('kubernetes.io/pv-controller'));
    const c = await waitClaim('hp', 'Bound', (x) => x.status?.phase === 'Bound');
    assert.equal(c.spec?.volumeName, name);
    assert.equal(c.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'], 'kubernetes.io/host-path');
    assert.equal(c.metadata.annotations?.['volume.beta.kubernetes.io/storage-provisioner'], 'kubernetes.io/host-path');
    await waitEvent(
      'PersistentVolumeClaim',
      'hp',
      `ProvisioningSucceeded: Successfully provisioned volume ${name} using kubernetes.io/host-path`,
    );

    await pvcs().delete('hp');
    await waitGone(`volume ${name}`, () => pvs().get(name));
    assert.ok(!existsSync(path), 'the directory is removed');

    // A host path takes no mount options: upstream's plugin refuses the class.
    await storageClass('hostpath-opts', 'kubernetes.io/host-path', { mountOptions: ['ro'] });
    await pvc('hp-opts', '1Gi', { storageClassName: 'hostpath-opts' });
    await waitEvent(
      'PersistentVolumeClaim',
      'hp-opts',
      'ProvisioningFailed: Mount options are not supported by the provisioner but StorageClass "hostpath-opts" has mount options [ro]',
    );
  });

  it('waits on WaitForFirstConsumer classes for the node the scheduler selects, or the volume it pre-binds', async () => {
    await storageClass('hostpath-wffc', 'kubernetes.io/host-path', { volumeBindingMode: 'WaitForFirstConsumer' });
    await pvc('late', '1Gi', { storageClassName: 'hostpath-wffc' });
    await waitEvent(
      'PersistentVolumeClaim',
      'late',
      'WaitForFirstConsumer: waiting for first consumer to be created before binding',
    );
    await sleep(1500);
    assert.equal((await pvcs().get('late')).status?.phase, 'Pending');
    assert.deepEqual(
      (await pvs().list()).items.filter((v) => v.spec?.storageClassName === 'hostpath-wffc'),
      [],
      'nothing provisioned before a node is chosen',
    );
    await cl.admin.resource<Node>(NODES).create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'wffc-node' } });
    const cur = await pvcs().get('late');
    cur.metadata.annotations = { ...cur.metadata.annotations, 'volume.kubernetes.io/selected-node': 'wffc-node' };
    await pvcs().update(cur);
    const c = await waitClaim('late', 'Bound', (x) => x.status?.phase === 'Bound');
    const v = await pvs().get(c.spec?.volumeName ?? '');
    made.add(v.spec?.hostPath?.path ?? '');
    assert.equal(v.spec?.storageClassName, 'hostpath-wffc');

    // A static volume of a WaitForFirstConsumer class: the binder leaves it to the scheduler.
    await storageClass('local-wffc', 'kubernetes.io/no-provisioner', {
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Retain',
    });
    await pv('local-1', '1Gi', { storageClassName: 'local-wffc' });
    const claim = await pvc('local-claim', '1Gi', { storageClassName: 'local-wffc' });
    await waitEvent('PersistentVolumeClaim', 'local-claim', 'WaitForFirstConsumer: ');
    await sleep(1500);
    assert.equal((await pvs().get('local-1')).spec?.claimRef, undefined);
    // What the scheduler's VolumeBinding does once it has placed the pod: pre-bind the volume.
    const vol = await pvs().get('local-1');
    vol.spec = {
      ...vol.spec,
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: NS,
        name: 'local-claim',
        uid: claim.metadata.uid,
      },
    };
    vol.metadata.annotations = { ...vol.metadata.annotations, 'pv.kubernetes.io/bound-by-controller': 'yes' };
    await pvs().update(vol);
    const bound = await waitClaim('local-claim', 'Bound', (x) => x.status?.phase === 'Bound');
    assert.equal(bound.spec?.volumeName, 'local-1');
    await waitVolume('local-1', 'Bound', (x) => x.status?.phase === 'Bound');
  });

  it('names an external provisioner on the claim and leaves the volume it made to it on delete', async () => {
    await storageClass('external', 'example.com/nfs');
    const claim = await pvc('ext', '1Gi', { storageClassName: 'external' });
    const c = await waitClaim(
      'ext',
      'annotated',
      (x) => x.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'] === 'example.com/nfs',
    );
    assert.equal(c.metadata.annotations?.['volume.beta.kubernetes.io/storage-provisioner'], 'example.com/nfs');
    await waitEvent(
      'PersistentVolumeClaim',
      'ext',
      "ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'example.com/nfs' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
    );
    // What the external provisioner saves.
    const name = `pvc-${claim.metadata.uid}`;
    await pvs().create({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'example.com/nfs' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        nfs: { server: 'nfs.example.com', path: '/exports/x' },
        storageClassName: 'external',
        persistentVolumeReclaimPolicy: 'Delete',
        claimRef: {
          kind: 'PersistentVolumeClaim',
          apiVersion: 'v1',
          namespace: NS,
          name: 'ext',
          uid: claim.metadata.uid,
        },
      },
    });
    await waitClaim('ext', 'Bound', (x) => x.status?.phase === 'Bound' && x.spec?.volumeName === name);
    await pvcs().delete('ext');
    await waitVolume(name, 'Released', (x) => x.status?.phase === 'Released');
    await sleep(1500);
    const left = await pvs().get(name);
    assert.equal(left.status?.phase, 'Released', 'left for its provisioner to delete');
    assert.equal(left.metadata.deletionTimestamp, undefined);
  });

  it('keeps a deleted claim while a scheduled pod uses it, and a deleted volume while it is Bound', async () => {
    await pv('prot', '1Gi', { storageClassName: 'prot', persistentVolumeReclaimPolicy: 'Retain' });
    await pvc('prot-claim', '1Gi', { storageClassName: 'prot' });
    const claim = await waitClaim(
      'prot-claim',
      'Bound and protected',
      (x) => x.status?.phase === 'Bound' && !!x.metadata.finalizers?.includes('kubernetes.io/pvc-protection'),
    );
    await waitVolume('prot', 'protected', (x) => !!x.metadata.finalizers?.includes('kubernetes.io/pv-protection'));
    const pods = cl.admin.resource<Pod>(PODS);
    await pods.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user', namespace: NS },
      spec: {
        nodeName: 'some-node',
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'prot-claim' } }],
      },
    });
    await pvcs().delete('prot-claim');
    await pvs().delete('prot');
    await sleep(1500);
    const held = await pvcs().get('prot-claim');
    assert.ok(held.metadata.deletionTimestamp, 'being deleted');
    assert.deepEqual(held.metadata.finalizers, ['kubernetes.io/pvc-protection'], 'held while the pod uses it');
    assert.equal(held.metadata.uid, claim.metadata.uid);
    const heldVolume = await pvs().get('prot');
    assert.ok(heldVolume.metadata.deletionTimestamp);
    assert.equal(heldVolume.status?.phase, 'Bound', 'held while Bound');

    await pods.delete('user', { gracePeriodSeconds: 0 });
    await waitGone('claim prot-claim', () => pvcs().get('prot-claim'));
    // The claim gone, the Retain volume is Released, no longer Bound, and may go too.
    await waitGone('volume prot', () => pvs().get('prot'));
  });
});
