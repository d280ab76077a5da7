// PersistentVolumes, PersistentVolumeClaims and StorageClasses through a real apiserver: upstream's
// validation messages, the claim update rules, kubectl's columns (1.33 and 1.27), apply and patch.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  adminCreate,
  adminRequest,
  expectInvalid,
  type Fixture,
  kubectl,
  kubectlBinary,
  startFixture,
} from '../server/fixture.ts';

const PVS = '/api/v1/persistentvolumes';
const PVCS = '/api/v1/namespaces/default/persistentvolumeclaims';
const SCS = '/apis/storage.k8s.io/v1/storageclasses';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const pv = (name: string, spec: Obj = {}, metadata: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, ...metadata },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' }, ...spec },
});
const pvc = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const sc = (name: string, extra: Obj = {}): Obj => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name },
  provisioner: 'example.com/hostpath',
  ...extra,
});

const LOCAL_AFFINITY = {
  required: {
    nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }],
  },
};

describe('PersistentVolume validation', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--disable-admission-plugins=DefaultStorageClass,StorageObjectInUseProtection']);
  });
  after(async () => {
    await fx?.close();
  });

  const create = (body: Obj) => adminRequest(fx, 'POST', PVS, body);

  it('defaults reclaim policy, volume mode, the hostPath type and a Pending phase', async () => {
    const got = await adminCreate(fx, PVS, pv('pv-defaults'));
    assert.equal(got.spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.equal(got.spec.volumeMode, 'Filesystem');
    assert.equal(got.spec.hostPath.type, '');
    assert.equal(got.status.phase, 'Pending');
    assert.ok(got.status.lastPhaseTransitionTime);
  });

  it('requires capacity (storage only, positive) and access modes', async () => {
    await expectInvalid(
      create(pv('pv-nocap', { capacity: undefined })),
      'PersistentVolume "pv-nocap" is invalid: [spec.capacity: Required value, spec.capacity: Unsupported value: core.ResourceList(nil): supported values: "storage"]',
    );
    await expectInvalid(
      create(pv('pv-cpu', { capacity: { storage: '1Gi', cpu: '1' } })),
      'PersistentVolume "pv-cpu" is invalid: spec.capacity: Unsupported value: core.ResourceList{"cpu":resource.Quantity{i:resource.int64Amount{value:1, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}, "storage":resource.Quantity{i:resource.int64Amount{value:1073741824, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"BinarySI"}}: supported values: "storage"',
    );
    await expectInvalid(
      create(pv('pv-zero', { capacity: { storage: '0' } })),
      'PersistentVolume "pv-zero" is invalid: spec.capacity[storage]: Invalid value: "0": must be greater than zero',
    );
    await expectInvalid(
      create(pv('pv-nomodes', { accessModes: [] })),
      'PersistentVolume "pv-nomodes" is invalid: spec.accessModes: Required value',
    );
    await expectInvalid(
      create(pv('pv-badmode', { accessModes: ['ReadWriteSometimes'] })),
      'PersistentVolume "pv-badmode" is invalid: spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    );
    await expectInvalid(
      create(pv('pv-rwop', { accessModes: ['ReadWriteOncePod', 'ReadWriteOnce'] })),
      'PersistentVolume "pv-rwop" is invalid: spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
    );
  });

  it('checks reclaim policy, volume mode and the storage class name', async () => {
    await expectInvalid(
      create(pv('pv-reclaim', { persistentVolumeReclaimPolicy: 'Keep' })),
      'PersistentVolume "pv-reclaim" is invalid: spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
    );
    await expectInvalid(
      create(pv('pv-mode', { volumeMode: 'Raw' })),
      'PersistentVolume "pv-mode" is invalid: spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
    );
    await expectInvalid(
      create(pv('pv-class', { storageClassName: 'Fast_SSD' })),
      `PersistentVolume "pv-class" is invalid: spec.storageClassName: Invalid value: "Fast_SSD": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    await expectInvalid(
      create(pv('pv-recycle-root', { persistentVolumeReclaimPolicy: 'Recycle', hostPath: { path: '/tmp/..' } })),
      `PersistentVolume "pv-recycle-root" is invalid: [spec.hostPath.path: Invalid value: "/tmp/..": must not contain '..', spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/']`,
    );
  });

  it('wants exactly one source, each checked as upstream', async () => {
    await expectInvalid(
      create(pv('pv-nosource', { hostPath: undefined })),
      'PersistentVolume "pv-nosource" is invalid: spec: Required value: must specify a volume type',
    );
    await expectInvalid(
      create(pv('pv-two', { nfs: { server: 'nfs.example.com', path: '/exports' } })),
      'PersistentVolume "pv-two" is invalid: spec.nfs: Forbidden: may not specify more than 1 volume type',
    );
    await expectInvalid(
      create(pv('pv-hp', { hostPath: { path: '' } })),
      'PersistentVolume "pv-hp" is invalid: spec.hostPath.path: Required value',
    );
    await expectInvalid(
      create(pv('pv-hptype', { hostPath: { path: '/data', type: 'Folder' } })),
      'PersistentVolume "pv-hptype" is invalid: spec.hostPath.type: Unsupported value: "Folder": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
    );
    await expectInvalid(
      create(pv('pv-nfs', { hostPath: undefined, nfs: { server: '', path: 'exports' } })),
      'PersistentVolume "pv-nfs" is invalid: [spec.nfs.server: Required value, spec.nfs.path: Invalid value: "exports": must be an absolute path]',
    );
    await expectInvalid(
      create(pv('pv-csi', { hostPath: undefined, csi: { driver: '', volumeHandle: '' } })),
      `PersistentVolume "pv-csi" is invalid: [spec.csi.driver: Required value, spec.csi.driver: Invalid value: "": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.csi.volumeHandle: Required value]`,
    );
  });

  it('wants node affinity for a local volume, and checks its selector', async () => {
    await expectInvalid(
      create(pv('pv-local', { hostPath: undefined, local: { path: '/mnt/disks/../x' } })),
      `PersistentVolume "pv-local" is invalid: [spec.local.path: Invalid value: "/mnt/disks/../x": must not contain '..', spec.nodeAffinity: Required value: Local volume requires node affinity]`,
    );
    await expectInvalid(
      create(
        pv('pv-aff', {
          hostPath: undefined,
          local: { path: '/mnt/d' },
          nodeAffinity: { required: { nodeSelectorTerms: [] } },
        }),
      ),
      'PersistentVolume "pv-aff" is invalid: spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have at least one node selector term',
    );
    await expectInvalid(
      create(
        pv('pv-aff2', {
          hostPath: undefined,
          local: { path: '/mnt/d' },
          nodeAffinity: {
            required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] }] },
          },
        }),
      ),
      'PersistentVolume "pv-aff2" is invalid: spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
    );
    await expectInvalid(
      create(pv('pv-aff3', { nodeAffinity: {} })),
      'PersistentVolume "pv-aff3" is invalid: spec.nodeAffinity.required: Required value: must specify required node constraints',
    );
    const ok = await adminCreate(
      fx,
      PVS,
      pv('pv-local-ok', { hostPath: undefined, local: { path: '/mnt/d' }, nodeAffinity: LOCAL_AFFINITY }),
    );
    assert.equal(ok.spec.local.path, '/mnt/d');
  });

  it('takes mount options only for sources that support them (the beta annotation)', async () => {
    await expectInvalid(
      create(pv('pv-mount', {}, { annotations: { 'volume.beta.kubernetes.io/mount-options': 'ro' } })),
      'PersistentVolume "pv-mount" is invalid: metadata.annotations.volume.beta.kubernetes.io/mount-options: Forbidden: may not specify mount options for this volume type',
    );
    await adminCreate(
      fx,
      PVS,
      pv(
        'pv-mount-nfs',
        { hostPath: undefined, nfs: { server: 'nfs', path: '/x' } },
        { annotations: { 'volume.beta.kubernetes.io/mount-options': 'ro' } },
      ),
    );
  });

  it('keeps the source, volume mode and node affinity as created', async () => {
    await adminCreate(fx, PVS, pv('pv-upd'));
    const r = await adminRequest(
      fx,
      'PATCH',
      `${PVS}/pv-upd`,
      { spec: { hostPath: { path: '/other' }, volumeMode: 'Block' } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.equal(r.code, 422, JSON.stringify(r.json));
    assert.match(
      r.json.message,
      /^PersistentVolume "pv-upd" is invalid: \[spec\.persistentvolumesource: Forbidden: spec\.persistentvolumesource is immutable after creation\n/,
    );
    assert.match(r.json.message, /volumeMode: Invalid value: "Block": field is immutable\]$/);
    // A volume may gain an affinity, and keeps it then.
    const add = await adminRequest(
      fx,
      'PATCH',
      `${PVS}/pv-upd`,
      { spec: { nodeAffinity: LOCAL_AFFINITY } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.equal(add.code, 200, JSON.stringify(add.json));
    const change = await adminRequest(
      fx,
      'PATCH',
      `${PVS}/pv-upd`,
      {
        spec: {
          nodeAffinity: {
            required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }] },
          },
        },
      },
      { contentType: 'application/merge-patch+json' },
    );
    assert.equal(change.code, 422);
    assert.match(change.json.message, /nodeAffinity: Invalid value: .*: field is immutable$/);
    // The claimRef and reclaim policy may change.
    const claim = await kubectl(fx, [
      'patch',
      'pv',
      'pv-upd',
      '-p',
      '{"spec":{"claimRef":{"namespace":"default","name":"c"},"persistentVolumeReclaimPolicy":"Delete"}}',
    ]);
    assert.equal(claim.status, 0, claim.err);
  });

  it('warns that Recycle is deprecated', async () => {
    const r = await create(pv('pv-recycle', { persistentVolumeReclaimPolicy: 'Recycle' }));
    assert.equal(r.code, 201, JSON.stringify(r.json));
    assert.match(r.warning ?? '', /The Recycle reclaim policy is deprecated/);
  });
});

describe('PersistentVolumeClaim validation', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture([
      '--disable-admission-plugins=DefaultStorageClass,StorageObjectInUseProtection,PersistentVolumeClaimResize',
    ]);
  });
  after(async () => {
    await fx?.close();
  });

  const create = (body: Obj) => adminRequest(fx, 'POST', PVCS, body);
  const merge = (name: string, body: Obj, sub = '') =>
    adminRequest(fx, 'PATCH', `${PVCS}/${name}${sub}`, body, { contentType: 'application/merge-patch+json' });

  it('defaults the volume mode and starts Pending', async () => {
    const got = await adminCreate(fx, PVCS, pvc('c-defaults', { volumeAttributesClassName: 'gold' }));
    assert.equal(got.spec.volumeMode, 'Filesystem');
    assert.equal(got.status.phase, 'Pending');
    // The VolumeAttributesClass gate is off in 1.33: the field is dropped.
    assert.equal(got.spec.volumeAttributesClassName, undefined);
  });

  it('requires access modes and a positive storage request', async () => {
    await expectInvalid(
      create(pvc('c-nomodes', { accessModes: [] })),
      'PersistentVolumeClaim "c-nomodes" is invalid: spec.accessModes: Required value: at least 1 access mode is required',
    );
    await expectInvalid(
      create(pvc('c-nostorage', { resources: { requests: {} } })),
      'PersistentVolumeClaim "c-nostorage" is invalid: spec.resources[storage]: Required value',
    );
    await expectInvalid(
      create(pvc('c-zero', { resources: { requests: { storage: '0Gi' } } })),
      'PersistentVolumeClaim "c-zero" is invalid: spec.resources[storage]: Invalid value: "0": must be greater than zero',
    );
    const bad = await create(pvc('c-badq', { resources: { requests: { storage: 'lots' } } }));
    assert.equal(bad.code, 400, JSON.stringify(bad.json));
    assert.match(bad.json.message, /quantities must match the regular expression/);
  });

  it('checks the selector, the class name, the volume mode and the data source', async () => {
    await expectInvalid(
      create(pvc('c-sel', { selector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } })),
      "PersistentVolumeClaim \"c-sel\" is invalid: spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    );
    await expectInvalid(
      create(pvc('c-mode', { volumeMode: 'Raw' })),
      'PersistentVolumeClaim "c-mode" is invalid: spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
    );
    await expectInvalid(
      create(pvc('c-ds', { dataSource: { kind: 'Snapshot', name: '' } })),
      'PersistentVolumeClaim "c-ds" is invalid: [spec.dataSource.name: Required value, spec.dataSource: Invalid value: "Snapshot": must be \'PersistentVolumeClaim\' when referencing the default apiGroup, spec.dataSourceRef.name: Required value, spec.dataSourceRef: Invalid value: "Snapshot": must be \'PersistentVolumeClaim\' when referencing the default apiGroup]',
    );
    // dataSource alone is mirrored into dataSourceRef.
    const got = await adminCreate(
      fx,
      PVCS,
      pvc('c-clone', { dataSource: { kind: 'PersistentVolumeClaim', name: 'src' } }),
    );
    assert.deepEqual(got.spec.dataSourceRef, { kind: 'PersistentVolumeClaim', name: 'src' });
  });

  it("keeps the spec of a claim but for a bound one's requests; volumeName may be set once", async () => {
    await adminCreate(fx, PVCS, pvc('c-upd', { storageClassName: 'fast' }));
    const grow = await merge('c-upd', { spec: { resources: { requests: { storage: '2Gi' } } } });
    assert.equal(grow.code, 422, JSON.stringify(grow.json));
    assert.match(
      grow.json.message,
      /^PersistentVolumeClaim "c-upd" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n/,
    );
    const cls = await merge('c-upd', { spec: { storageClassName: 'slow' } });
    assert.equal(cls.code, 422);
    assert.match(cls.json.message, /StorageClassName/);
    const bind = await merge('c-upd', { spec: { volumeName: 'pv-1' } });
    assert.equal(bind.code, 200, JSON.stringify(bind.json));
    const rebind = await merge('c-upd', { spec: { volumeName: 'pv-2' } });
    assert.equal(rebind.code, 422);
    // Bound (as the binder would write it through /status), the request may grow, and shrink no lower than the capacity.
    const status = await merge(
      'c-upd',
      { status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } },
      '/status',
    );
    assert.equal(status.code, 200, JSON.stringify(status.json));
    const grown = await merge('c-upd', { spec: { resources: { requests: { storage: '3Gi' } } } });
    assert.equal(grown.code, 200, JSON.stringify(grown.json));
    assert.equal(grown.json.spec.resources.requests.storage, '3Gi');
    const back = await merge('c-upd', { spec: { resources: { requests: { storage: '2Gi' } } } });
    assert.equal(back.code, 200, JSON.stringify(back.json));
    await expectInvalid(
      merge('c-upd', { spec: { resources: { requests: { storage: '1Gi' } } } }),
      'PersistentVolumeClaim "c-upd" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity',
    );
    // The diff after the first line approximates go-cmp's report: the changed field, old and new.
    const mode = await merge('c-upd', { spec: { volumeMode: 'Block' } });
    assert.equal(mode.code, 422, JSON.stringify(mode.json));
    assert.match(
      mode.json.message,
      /^PersistentVolumeClaim "c-upd" is invalid: \[spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n {2}core.PersistentVolumeClaimSpec\{\n- \tVolumeMode: "Filesystem",\n\+ \tVolumeMode: "Block",\n/,
    );
    assert.match(mode.json.message, /, volumeMode: Invalid value: "Block": field is immutable\]$/);
  });

  it('lets a claim that named no class be given one', async () => {
    await adminCreate(fx, PVCS, pvc('c-noclass'));
    const r = await merge('c-noclass', { spec: { storageClassName: 'standard' } });
    assert.equal(r.code, 200, JSON.stringify(r.json));
  });

  it('checks status updates', async () => {
    await adminCreate(fx, PVCS, pvc('c-status'));
    await expectInvalid(
      merge('c-status', { status: { allocatedResourceStatuses: { storage: 'Resizing' } } }, '/status'),
      'PersistentVolumeClaim "c-status" is invalid: status.allocatedResourceStatus: Unsupported value: "storage": supported values: "ControllerResizeInProgress", "ControllerResizeInfeasible", "NodeResizeInProgress", "NodeResizeInfeasible", "NodeResizePending"',
    );
    await expectInvalid(
      merge('c-status', { status: { allocatedResources: { cpu: '1' } } }, '/status'),
      'PersistentVolumeClaim "c-status" is invalid: status.allocatedResources: Unsupported value: "cpu": supported values: "storage"',
    );
  });
});

describe('StorageClass validation', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await fx?.close();
  });
  const create = (body: Obj) => adminRequest(fx, 'POST', SCS, body);

  it('defaults Delete and Immediate', async () => {
    const got = await adminCreate(fx, SCS, sc('defaults'));
    assert.equal(got.reclaimPolicy, 'Delete');
    assert.equal(got.volumeBindingMode, 'Immediate');
  });

  it('checks provisioner, parameters, reclaim policy, binding mode and topologies', async () => {
    await expectInvalid(
      create(sc('noprov', { provisioner: '' })),
      'StorageClass.storage.k8s.io "noprov" is invalid: provisioner: Required value',
    );
    await expectInvalid(
      create(sc('badprov', { provisioner: 'a/b/c' })),
      `StorageClass.storage.k8s.io "badprov" is invalid: provisioner: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    );
    await expectInvalid(
      create(sc('recycle', { reclaimPolicy: 'Recycle' })),
      'StorageClass.storage.k8s.io "recycle" is invalid: reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
    );
    await expectInvalid(
      create(sc('binding', { volumeBindingMode: 'Later' })),
      'StorageClass.storage.k8s.io "binding" is invalid: volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
    );
    const params = Object.fromEntries(Array.from({ length: 513 }, (_, i) => [`k${i}`, 'v']));
    await expectInvalid(
      create(sc('params', { parameters: params })),
      'StorageClass.storage.k8s.io "params" is invalid: parameters: Too long: may not be more than 512 bytes',
    );
    await expectInvalid(
      create(
        sc('topo', {
          allowedTopologies: [
            {
              matchLabelExpressions: [
                { key: 'zone', values: ['a', 'a'] },
                { key: 'zone', values: [] },
              ],
            },
          ],
        }),
      ),
      'StorageClass.storage.k8s.io "topo" is invalid: [allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: "a", allowedTopologies[0].matchLabelExpressions[1].values: Required value, allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "zone"]',
    );
  });

  it('fixes parameters, provisioner, reclaim policy and binding mode at creation', async () => {
    await adminCreate(fx, SCS, sc('fixed', { parameters: { type: 'ssd' } }));
    const r = await adminRequest(
      fx,
      'PATCH',
      `${SCS}/fixed`,
      {
        provisioner: 'other.io/x',
        parameters: { type: 'hdd' },
        reclaimPolicy: 'Retain',
        volumeBindingMode: 'WaitForFirstConsumer',
      },
      { contentType: 'application/merge-patch+json' },
    );
    await expectInvalid(
      r,
      'StorageClass.storage.k8s.io "fixed" is invalid: [parameters: Forbidden: updates to parameters are forbidden., provisioner: Forbidden: updates to provisioner are forbidden., reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden., volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable]',
    );
    const expand = await kubectl(fx, ['patch', 'sc', 'fixed', '-p', '{"allowVolumeExpansion":true}']);
    assert.equal(expand.status, 0, expand.err);
  });
});

describe('storage kubectl columns, apply and patch', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    await adminCreate(
      fx,
      SCS,
      sc('standard', {
        metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        volumeBindingMode: 'WaitForFirstConsumer',
        allowVolumeExpansion: true,
      }),
    );
    await adminCreate(fx, SCS, sc('slow', { reclaimPolicy: 'Retain' }));
    await adminCreate(
      fx,
      PVS,
      pv('pv-a', {
        accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'],
        capacity: { storage: '1024Mi' },
        storageClassName: 'slow',
        claimRef: { namespace: 'default', name: 'data' },
      }),
    );
    await adminCreate(fx, PVCS, pvc('data'));
    await adminRequest(
      fx,
      'PATCH',
      `${PVCS}/data`,
      { spec: { volumeName: 'pv-a' } },
      { contentType: 'application/merge-patch+json' },
    );
    await adminRequest(
      fx,
      'PATCH',
      `${PVCS}/data/status`,
      { status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] } },
      { contentType: 'application/merge-patch+json' },
    );
    await adminCreate(fx, PVCS, pvc('pending', { storageClassName: 'slow' }));
  });
  after(async () => {
    await fx?.close();
  });

  for (const minor of [33, 27]) {
    const bin = minor === 33 ? 'kubectl' : kubectlBinary(minor);
    it(`kubectl 1.${minor} prints upstream's columns`, async (t) => {
      if (minor !== 33 && !existsSync(bin)) return t.skip(`kubectl.1.${minor} is not installed here`);
      const pvs = await kubectl(fx, ['get', 'pv', 'pv-a', '-o', 'wide'], bin);
      assert.equal(pvs.status, 0, pvs.err);
      assert.match(
        pvs.out,
        /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE\s+VOLUMEMODE\n/,
      );
      assert.match(
        pvs.out,
        /\npv-a\s+1Gi\s+RWO,ROX,RWX\s+Retain\s+Pending\s+default\/data\s+slow\s+<unset>\s+\d+s\s+Filesystem\n$/,
      );
      const pvcs = await kubectl(fx, ['get', 'pvc', '-o', 'wide'], bin);
      assert.equal(pvcs.status, 0, pvcs.err);
      assert.match(
        pvcs.out,
        /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\s+VOLUMEMODE\n/,
      );
      assert.match(pvcs.out, /\ndata\s+Bound\s+pv-a\s+1Gi\s+RWO,RWX\s+standard\s+<unset>\s+\d+s\s+Filesystem\n/);
      assert.match(pvcs.out, /\npending\s+Pending\s+slow\s+<unset>\s+\d+s\s+Filesystem\n/);
      const scs = await kubectl(fx, ['get', 'sc'], bin);
      assert.equal(scs.status, 0, scs.err);
      assert.match(scs.out, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\n/);
      assert.match(scs.out, /\nslow\s+example\.com\/hostpath\s+Retain\s+Immediate\s+false\s+\d+s\n/);
      assert.match(
        scs.out,
        /\nstandard \(default\)\s+example\.com\/hostpath\s+Delete\s+WaitForFirstConsumer\s+true\s+\d+s\n/,
      );
    });
  }

  it('applies, patches and explains', async () => {
    const file = join(fx.dir, 'storage.json');
    const doc = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        sc('applied', { mountOptions: ['noatime'], parameters: { type: 'ssd' } }),
        pv('pv-applied', { mountOptions: ['hard'], hostPath: undefined, nfs: { server: 'nfs', path: '/x' } }),
        { ...pvc('applied'), metadata: { name: 'applied', namespace: 'default', labels: { app: 'a' } } },
      ],
    };
    writeFileSync(file, JSON.stringify(doc));
    let r = await kubectl(fx, ['apply', '-f', file]);
    assert.equal(r.status, 0, r.err);
    doc.items[0].metadata.labels = { tier: 'fast' };
    doc.items[2].metadata.labels = { app: 'b' };
    writeFileSync(file, JSON.stringify(doc));
    r = await kubectl(fx, ['apply', '-f', file]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /storageclass.storage.k8s.io\/applied configured/);
    assert.match(r.out, /persistentvolumeclaim\/applied configured/);
    const got = (await adminRequest(fx, 'GET', `${PVCS}/applied`)).json;
    assert.deepEqual(got.metadata.labels, { app: 'b' });
    r = await kubectl(fx, [
      'patch',
      'pv',
      'pv-applied',
      '--type=strategic',
      '-p',
      '{"spec":{"mountOptions":["soft"]}}',
    ]);
    assert.equal(r.status, 0, r.err);
    assert.deepEqual((await adminRequest(fx, 'GET', `${PVS}/pv-applied`)).json.spec.mountOptions, ['soft']);
    r = await kubectl(fx, [
      'patch',
      'pvc',
      'applied',
      '--subresource=status',
      '-p',
      '{"status":{"conditions":[{"type":"Resizing","status":"True"}]}}',
    ]);
    assert.equal(r.status, 0, r.err);
    r = await kubectl(fx, ['explain', 'pv']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /KIND:\s+PersistentVolume/);
    r = await kubectl(fx, ['explain', 'sc.provisioner']);
    assert.equal(r.status, 0, r.err);
  });
});
