// The storage admission plugins through a real apiserver, each on (the default) and off:
// DefaultStorageClass, StorageObjectInUseProtection, PersistentVolumeClaimResize; then claims under
// ResourceQuota (admission and the controller's usage computation) and LimitRanger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PersistentVolumeClaim } from '@mkube/shared/api';
import { calculateUsage, EvaluatorRegistry, toList } from '@mkube/shared/quota';
import { admissionPluginProblems, DEFAULT_ENABLED } from '../../src/admission/registry.ts';
import { adminCreate, adminRequest, type Fixture, startFixture } from '../server/fixture.ts';

const PVS = '/api/v1/persistentvolumes';
const SCS = '/apis/storage.k8s.io/v1/storageclasses';
const pvcs = (ns: string) => `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
const STORAGE_PLUGINS = ['DefaultStorageClass', 'StorageObjectInUseProtection', 'PersistentVolumeClaimResize'];

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const pvc = (name: string, spec: Obj = {}, metadata: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, ...metadata },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const sc = (name: string, extra: Obj = {}, annotations: Obj = {}): Obj => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, annotations },
  provisioner: 'example.com/hostpath',
  ...extra,
});
const DEFAULT = { 'storageclass.kubernetes.io/is-default-class': 'true' };
const merge = (fx: Fixture, path: string, body: Obj) =>
  adminRequest(fx, 'PATCH', path, body, { contentType: 'application/merge-patch+json' });
const namespace = (fx: Fixture, name: string) =>
  adminCreate(fx, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** A claim bound as the binder leaves it: volumeName set, status Bound with the volume's capacity. */
async function bound(fx: Fixture, ns: string, name: string, spec: Obj = {}): Promise<void> {
  await adminCreate(fx, pvcs(ns), pvc(name, spec));
  assert.equal((await merge(fx, `${pvcs(ns)}/${name}`, { spec: { volumeName: `pv-${name}` } })).code, 200);
  const st = await merge(fx, `${pvcs(ns)}/${name}/status`, {
    status: { phase: 'Bound', capacity: { storage: '1Gi' } },
  });
  assert.equal(st.code, 200, JSON.stringify(st.json));
}

describe('storage admission plugins', () => {
  it('are known to --enable/--disable-admission-plugins and on by default', () => {
    assert.deepEqual(admissionPluginProblems(STORAGE_PLUGINS, STORAGE_PLUGINS), []);
    for (const p of STORAGE_PLUGINS) assert.ok(DEFAULT_ENABLED.has(p), p);
  });

  describe('on', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture();
      await namespace(fx, 'on');
    });
    after(async () => {
      await fx?.close();
    });

    it('DefaultStorageClass: nothing without a default; then the default, the newest of several', async () => {
      let got = await adminCreate(fx, pvcs('on'), pvc('before-default'));
      assert.equal(got.spec.storageClassName, undefined);
      await adminCreate(fx, SCS, sc('plain'));
      await adminCreate(fx, SCS, sc('old-default', {}, { 'storageclass.beta.kubernetes.io/is-default-class': 'true' }));
      got = await adminCreate(fx, pvcs('on'), pvc('beta-default'));
      assert.equal(got.spec.storageClassName, 'old-default');
      await sleep(1100);
      await adminCreate(fx, SCS, sc('new-default', {}, DEFAULT));
      got = await adminCreate(fx, pvcs('on'), pvc('newest', {}, { generateName: 'x-' }));
      assert.equal(got.spec.storageClassName, 'new-default');
      // A claim that names a class, even "", or carries the beta annotation keeps it.
      got = await adminCreate(fx, pvcs('on'), pvc('empty', { storageClassName: '' }));
      assert.equal(got.spec.storageClassName, '');
      got = await adminCreate(fx, pvcs('on'), pvc('named', { storageClassName: 'plain' }));
      assert.equal(got.spec.storageClassName, 'plain');
      got = await adminCreate(
        fx,
        pvcs('on'),
        pvc('annotated', {}, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'plain' } }),
      );
      assert.equal(got.spec.storageClassName, undefined);
    });

    it('StorageObjectInUseProtection: new claims and volumes carry their protection finalizer', async () => {
      const claim = await adminCreate(fx, pvcs('on'), pvc('protected', {}, { finalizers: ['example.com/keep'] }));
      assert.deepEqual(claim.metadata.finalizers, ['example.com/keep', 'kubernetes.io/pvc-protection']);
      const pv = await adminCreate(fx, PVS, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pv-protected' },
        spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/d' } },
      });
      assert.deepEqual(pv.metadata.finalizers, ['kubernetes.io/pv-protection']);
    });

    it('PersistentVolumeClaimResize: a bound claim grows only when its class allows expansion', async () => {
      await adminCreate(fx, SCS, sc('expandable', { allowVolumeExpansion: true }));
      await adminCreate(fx, SCS, sc('fixed-size'));
      await bound(fx, 'on', 'grows', { storageClassName: 'expandable' });
      await bound(fx, 'on', 'stays', { storageClassName: 'fixed-size' });
      await bound(fx, 'on', 'classless', { storageClassName: '' });
      const ok = await merge(fx, `${pvcs('on')}/grows`, { spec: { resources: { requests: { storage: '2Gi' } } } });
      assert.equal(ok.code, 200, JSON.stringify(ok.json));
      for (const name of ['stays', 'classless']) {
        const r = await merge(fx, `${pvcs('on')}/${name}`, { spec: { resources: { requests: { storage: '2Gi' } } } });
        assert.equal(r.code, 403, JSON.stringify(r.json));
        assert.equal(
          r.json.message,
          `persistentvolumeclaims "${name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`,
        );
      }
    });
  });

  describe('off', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture([`--disable-admission-plugins=${STORAGE_PLUGINS.join(',')}`]);
      await namespace(fx, 'off');
      await adminCreate(fx, SCS, sc('standard', {}, DEFAULT));
    });
    after(async () => {
      await fx?.close();
    });

    it('leave the class unset, add no finalizers, and let any bound claim grow', async () => {
      const got = await adminCreate(fx, pvcs('off'), pvc('plain'));
      assert.equal(got.spec.storageClassName, undefined);
      assert.equal(got.metadata.finalizers, undefined);
      await bound(fx, 'off', 'grows', { storageClassName: 'standard' });
      const r = await merge(fx, `${pvcs('off')}/grows`, { spec: { resources: { requests: { storage: '5Gi' } } } });
      assert.equal(r.code, 200, JSON.stringify(r.json));
    });
  });
});

describe('claims under ResourceQuota and LimitRanger', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--disable-admission-plugins=DefaultStorageClass']);
  });
  after(async () => {
    await fx?.close();
  });

  /** A quota and the status the controller would give it. */
  async function quota(ns: string, hard: Record<string, string>, used: Record<string, string>) {
    const path = `/api/v1/namespaces/${ns}/resourcequotas`;
    await adminCreate(fx, path, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard } });
    const r = await merge(fx, `${path}/q/status`, { status: { hard, used } });
    assert.equal(r.code, 200, JSON.stringify(r.json));
  }
  const usedOf = async (ns: string) =>
    (await adminRequest(fx, 'GET', `/api/v1/namespaces/${ns}/resourcequotas/q`)).json.status.used;

  it('charges claims, their storage and their class, and refuses the one past the limit', async () => {
    await namespace(fx, 'quota');
    const hard = {
      persistentvolumeclaims: '3',
      'count/persistentvolumeclaims': '3',
      'requests.storage': '5Gi',
      'gold.storageclass.storage.k8s.io/requests.storage': '2Gi',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '2',
    };
    await quota('quota', hard, Object.fromEntries(Object.keys(hard).map((k) => [k, '0'])));
    await adminCreate(fx, pvcs('quota'), pvc('a', { storageClassName: 'gold' }));
    assert.deepEqual(await usedOf('quota'), {
      'count/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '1Gi',
      persistentvolumeclaims: '1',
      'requests.storage': '1Gi',
    });
    const gold = await adminRequest(
      fx,
      'POST',
      pvcs('quota'),
      pvc('b', { storageClassName: 'gold', resources: { requests: { storage: '2Gi' } } }),
    );
    assert.equal(gold.code, 403, JSON.stringify(gold.json));
    assert.equal(
      gold.json.message,
      'persistentvolumeclaims "b" is forbidden: exceeded quota: q, requested: gold.storageclass.storage.k8s.io/requests.storage=2Gi, used: gold.storageclass.storage.k8s.io/requests.storage=1Gi, limited: gold.storageclass.storage.k8s.io/requests.storage=2Gi',
    );
    await adminCreate(fx, pvcs('quota'), pvc('c', { resources: { requests: { storage: '4Gi' } } }));
    const total = await adminRequest(fx, 'POST', pvcs('quota'), pvc('d'));
    assert.equal(total.code, 403, JSON.stringify(total.json));
    assert.equal(
      total.json.message,
      'persistentvolumeclaims "d" is forbidden: exceeded quota: q, requested: requests.storage=1Gi, used: requests.storage=5Gi, limited: requests.storage=5Gi',
    );
  });

  it('counts what the resourcequota controller writes to status.used', () => {
    const claims: PersistentVolumeClaim[] = [
      pvc('a', { storageClassName: 'gold', resources: { requests: { storage: '1.5' } } }),
      {
        ...pvc('b', { resources: { requests: { storage: '1Gi' } } }),
        status: { allocatedResources: { storage: '2Gi' } },
      },
    ];
    const spec = {
      hard: {
        persistentvolumeclaims: '10',
        'requests.storage': '10Gi',
        'gold.storageclass.storage.k8s.io/requests.storage': '1Gi',
        'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '5',
        'silver.storageclass.storage.k8s.io/persistentvolumeclaims': '5',
      },
    };
    const { used, unavailable } = calculateUsage(
      'ns',
      spec,
      new EvaluatorRegistry(),
      (e) => (e.resource === 'persistentvolumeclaims' ? claims : []),
      0,
    );
    assert.deepEqual(unavailable, []);
    // Storage is counted in whole bytes (1.5 → 2), and an allocation above the request is charged.
    assert.deepEqual(toList(used), {
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '2',
      persistentvolumeclaims: '2',
      'requests.storage': '2147483650',
      'silver.storageclass.storage.k8s.io/persistentvolumeclaims': '0',
    });
  });

  it('LimitRanger holds claims to the PersistentVolumeClaim min and max, on create and resize', async () => {
    await namespace(fx, 'limits');
    await adminCreate(fx, '/api/v1/namespaces/limits/limitranges', {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'storage' },
      spec: { limits: [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } }] },
    });
    const small = await adminRequest(
      fx,
      'POST',
      pvcs('limits'),
      pvc('small', { resources: { requests: { storage: '500Mi' } } }),
    );
    assert.equal(small.code, 403, JSON.stringify(small.json));
    assert.equal(
      small.json.message,
      'persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi',
    );
    const big = await adminRequest(
      fx,
      'POST',
      pvcs('limits'),
      pvc('big', { resources: { requests: { storage: '3Gi' } } }),
    );
    assert.equal(big.code, 403);
    assert.equal(
      big.json.message,
      'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi',
    );
    await adminCreate(fx, SCS, sc('expandable', { allowVolumeExpansion: true }));
    await bound(fx, 'limits', 'fits', { storageClassName: 'expandable' });
    const grow = await merge(fx, `${pvcs('limits')}/fits`, { spec: { resources: { requests: { storage: '3Gi' } } } });
    assert.equal(grow.code, 403, JSON.stringify(grow.json));
    assert.match(grow.json.message, /maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi/);
  });
});
