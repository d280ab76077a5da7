// CSIDrivers, CSINodes and VolumeAttachments through a real apiserver: upstream's defaults, validation
// messages and immutability rules, the VolumeAttachment /status subresource, discovery, and
// kubectl's columns (the newest kubectl, 1.33 and 1.27).
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

const API = '/apis/storage.k8s.io/v1';
const DRIVERS = `${API}/csidrivers`;
const NODES = `${API}/csinodes`;
const VAS = `${API}/volumeattachments`;
const MERGE = { contentType: 'application/merge-patch+json' };
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const driver = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSIDriver',
  metadata: { name },
  spec,
});
const csiNode = (name: string, drivers: Obj[]): Obj => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSINode',
  metadata: { name },
  spec: { drivers },
});
const va = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'VolumeAttachment',
  metadata: { name },
  spec: { attacher: 'csi.example.com', nodeName: 'node1', source: { persistentVolumeName: 'pv1' }, ...spec },
});

describe('storage.k8s.io/v1 CSI objects', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  const post = (path: string, body: Obj) => adminRequest(fx, 'POST', path, body);
  const patch = (path: string, body: Obj) => adminRequest(fx, 'PATCH', path, body, MERGE);

  describe('CSIDriver', () => {
    it("fills upstream's defaults, starts at generation 1 and drops the gated allocatable period", async () => {
      const got = await adminCreate(
        fx,
        DRIVERS,
        driver('defaults.csi.example.com', { nodeAllocatableUpdatePeriodSeconds: 30 }),
      );
      assert.deepEqual(got.spec, {
        attachRequired: true,
        podInfoOnMount: false,
        storageCapacity: false,
        fsGroupPolicy: 'ReadWriteOnceWithFSType',
        volumeLifecycleModes: ['Persistent'],
        requiresRepublish: false,
        seLinuxMount: false,
      });
      assert.equal(got.metadata.generation, 1);
    });

    it('refuses unknown policies and modes, duplicate audiences and token lifetimes out of range', async () => {
      await expectInvalid(
        post(
          DRIVERS,
          driver('bad.csi.example.com', {
            fsGroupPolicy: 'Always',
            volumeLifecycleModes: ['Persistent', 'Inline'],
            tokenRequests: [
              { audience: 'vault', expirationSeconds: 60 },
              { audience: 'vault' },
              { audience: 'big', expirationSeconds: 2 ** 32 + 1 },
            ],
          }),
        ),
        'CSIDriver.storage.k8s.io "bad.csi.example.com" is invalid: [spec.fsGroupPolicy: Unsupported value: "Always": supported values: "File", "None", "ReadWriteOnceWithFSType", spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes, spec.tokenRequests[1].audience: Duplicate value: "vault", spec.tokenRequests[2].expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds, spec.volumeLifecycleModes: Unsupported value: "Inline": supported values: "Persistent", "Ephemeral"]',
      );
      await expectInvalid(
        post(DRIVERS, driver('Bad_Driver')),
        `CSIDriver.storage.k8s.io "Bad_Driver" is invalid: metadata.name: Invalid value: "Bad_Driver": ${SUBDOMAIN}`,
      );
    });

    it('keeps attachRequired and volumeLifecycleModes, lets the rest change and bumps the generation', async () => {
      const path = `${DRIVERS}/mutable.csi.example.com`;
      await adminCreate(fx, DRIVERS, driver('mutable.csi.example.com'));
      await expectInvalid(
        patch(path, { spec: { attachRequired: false, volumeLifecycleModes: ['Persistent', 'Ephemeral'] } }),
        'CSIDriver.storage.k8s.io "mutable.csi.example.com" is invalid: [spec.attachedRequired: Invalid value: false: field is immutable, spec.volumeLifecycleModes: Invalid value: []storage.VolumeLifecycleMode{"Persistent", "Ephemeral"}: field is immutable]',
      );
      const r = await patch(path, {
        spec: { podInfoOnMount: true, storageCapacity: true, fsGroupPolicy: 'File', seLinuxMount: true },
      });
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.equal(r.json.metadata.generation, 2);
      assert.equal(r.json.spec.fsGroupPolicy, 'File');
      const same = await patch(path, { metadata: { labels: { a: 'b' } } });
      assert.equal(same.json.metadata.generation, 2, 'a metadata change leaves the generation');
    });

    it('refuses a PUT that names no resourceVersion', async () => {
      const got = await adminCreate(fx, DRIVERS, driver('put.csi.example.com'));
      delete got.metadata.resourceVersion;
      await expectInvalid(
        adminRequest(fx, 'PUT', `${DRIVERS}/put.csi.example.com`, got),
        'CSIDriver.storage.k8s.io "put.csi.example.com" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      );
    });
  });

  describe('CSINode', () => {
    it('stores drivers with topologyKeys null when unset, as upstream serializes them', async () => {
      const got = await adminCreate(
        fx,
        NODES,
        csiNode('node-a', [
          { name: 'csi.example.com', nodeID: 'id-a', topologyKeys: ['topology.example.com/zone'] },
          { name: 'other.example.com', nodeID: 'id-a2', allocatable: { count: 8 } },
        ]),
      );
      assert.deepEqual(got.spec.drivers[1], {
        name: 'other.example.com',
        nodeID: 'id-a2',
        topologyKeys: null,
        allocatable: { count: 8 },
      });
    });

    it("checks driver names, node IDs, counts and topology keys with upstream's paths", async () => {
      await expectInvalid(
        post(
          NODES,
          csiNode('node-bad', [
            { name: 'csi.example.com', nodeID: '', allocatable: { count: -1 } },
            { name: 'csi.example.com', nodeID: 'x'.repeat(193), topologyKeys: ['zone', 'zone', 'bad key'] },
          ]),
        ),
        `CSINode.storage.k8s.io "node-bad" is invalid: [spec.drivers[0].nodeID: Required value, spec.drivers[0].allocatable.count: Invalid value: -1: must be greater than or equal to 0, spec.drivers[1].nodeID: Invalid value: "${'x'.repeat(193)}": must be 192 characters or less, spec.drivers[1].name: Duplicate value: "csi.example.com", spec.drivers[1]: Duplicate value: "zone", spec.drivers[1]: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')]`,
      );
      await expectInvalid(
        post(NODES, csiNode('node-name', [{ name: 'Bad_Driver', nodeID: 'n' }])),
        `CSINode.storage.k8s.io "node-name" is invalid: spec.drivers[0].name: Invalid value: "Bad_Driver": ${SUBDOMAIN}`,
      );
    });

    it('lets drivers come and go but not change once registered', async () => {
      const path = `${NODES}/node-b`;
      await adminCreate(fx, NODES, csiNode('node-b', [{ name: 'csi.example.com', nodeID: 'id-b' }]));
      await expectInvalid(
        patch(path, { spec: { drivers: [{ name: 'csi.example.com', nodeID: 'id-b2' }] } }),
        'CSINode.storage.k8s.io "node-b" is invalid: spec.drivers: Invalid value: storage.CSINodeDriver{Name:"csi.example.com", NodeID:"id-b2", TopologyKeys:[]string(nil), Allocatable:(*storage.VolumeNodeResources)(nil)}: field is immutable',
      );
      const added = await patch(path, {
        spec: {
          drivers: [
            { name: 'csi.example.com', nodeID: 'id-b' },
            { name: 'other.example.com', nodeID: 'id-b' },
          ],
        },
      });
      assert.equal(added.code, 200, JSON.stringify(added.json));
      const removed = await patch(path, { spec: { drivers: [{ name: 'other.example.com', nodeID: 'id-b' }] } });
      assert.equal(removed.code, 200, JSON.stringify(removed.json));
      assert.deepEqual(
        removed.json.spec.drivers.map((d: Obj) => d.name),
        ['other.example.com'],
      );
    });

    it('merges drivers by name under a strategic merge patch', async () => {
      await adminCreate(fx, NODES, csiNode('node-c', [{ name: 'csi.example.com', nodeID: 'id-c' }]));
      const r = await kubectl(fx, [
        'patch',
        'csinode',
        'node-c',
        '--type=strategic',
        '-p',
        '{"spec":{"drivers":[{"name":"other.example.com","nodeID":"id-c"}]}}',
      ]);
      assert.equal(r.status, 0, r.err);
      const got = (await adminRequest(fx, 'GET', `${NODES}/node-c`)).json;
      assert.deepEqual(got.spec.drivers.map((d: Obj) => d.name).sort(), ['csi.example.com', 'other.example.com']);
    });
  });

  describe('VolumeAttachment', () => {
    it('starts unattached whatever the request says', async () => {
      const got = await adminCreate(fx, VAS, { ...va('va-new'), status: { attached: true } });
      assert.deepEqual(got.status, { attached: false });
    });

    it('wants exactly one source, an attacher that is a driver name and a node name', async () => {
      await expectInvalid(
        post(VAS, va('va-nosource', { source: {} })),
        'VolumeAttachment.storage.k8s.io "va-nosource" is invalid: spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
      );
      await expectInvalid(
        post(
          VAS,
          va('va-both', {
            source: { persistentVolumeName: 'pv1', inlineVolumeSpec: { accessModes: ['ReadWriteOnce'] } },
          }),
        ),
        'VolumeAttachment.storage.k8s.io "va-both" is invalid: spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
      );
      await expectInvalid(
        post(VAS, va('va-empty', { attacher: '', nodeName: 'Node_1', source: { persistentVolumeName: '' } })),
        `VolumeAttachment.storage.k8s.io "va-empty" is invalid: [spec.attacher: Required value, spec.source.persistentVolumeName: Required value: must specify non empty persistentVolumeName, spec.nodeName: Invalid value: "Node_1": ${SUBDOMAIN}, spec.attacher: Invalid value: "": ${SUBDOMAIN}, spec.source.persistentVolumeName: Invalid value: "": ${SUBDOMAIN}]`,
      );
    });

    it('takes an inline volume only as a CSI source with none of what a PV alone has', async () => {
      await expectInvalid(
        post(
          VAS,
          va('va-inline', {
            source: {
              inlineVolumeSpec: {
                capacity: { storage: '1Gi' },
                accessModes: ['ReadWriteOnce'],
                persistentVolumeReclaimPolicy: 'Delete',
                hostPath: { path: '/data' },
                storageClassName: 'fast',
              },
            },
          }),
        ),
        'VolumeAttachment.storage.k8s.io "va-inline" is invalid: [spec.source.inlineVolumeSpec.capacity: Forbidden: may not be specified in the context of inline volumes, spec.source.inlineVolumeSpec.csi: Required value: has to be specified in the context of inline volumes, spec.source.inlineVolumeSpec.persistentVolumeReclaimPolicy: Forbidden: may only be Retain in the context of inline volumes, spec.source.inlineVolumeSpec.storageClassName: Forbidden: may not be specified in the context of inline volumes]',
      );
      const ok = await adminCreate(
        fx,
        VAS,
        va('va-inline-ok', {
          source: {
            inlineVolumeSpec: {
              accessModes: ['ReadWriteOnce'],
              csi: { driver: 'csi.example.com', volumeHandle: 'h1' },
            },
          },
        }),
      );
      assert.equal(ok.spec.source.inlineVolumeSpec.csi.volumeHandle, 'h1');
    });

    it('keeps the spec fixed and the status to /status', async () => {
      const path = `${VAS}/va-fixed`;
      await adminCreate(fx, VAS, va('va-fixed'));
      await expectInvalid(
        patch(path, { spec: { nodeName: 'node2' } }),
        'VolumeAttachment.storage.k8s.io "va-fixed" is invalid: spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:"csi.example.com", Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:"node2"}: field is immutable',
      );
      const main = await patch(path, { metadata: { labels: { a: 'b' } }, status: { attached: true } });
      assert.equal(main.code, 200, JSON.stringify(main.json));
      assert.equal(main.json.status.attached, false, 'the main resource ignores status');
      const status = await patch(`${path}/status`, {
        spec: { nodeName: 'node2' },
        status: { attached: true, attachmentMetadata: { lun: '3' }, attachError: { message: 'old', errorCode: 5 } },
      });
      assert.equal(status.code, 200, JSON.stringify(status.json));
      assert.equal(status.json.spec.nodeName, 'node1', '/status ignores the spec');
      assert.deepEqual(status.json.status.attachmentMetadata, { lun: '3' });
      assert.equal(status.json.status.attached, true);
      assert.equal(status.json.status.attachError.errorCode, undefined, 'errorCode waits for its gate');
      await expectInvalid(
        patch(`${path}/status`, { status: { detachError: { message: 'x'.repeat(1025) } } }),
        'VolumeAttachment.storage.k8s.io "va-fixed" is invalid: status.detachError.message: Too long: may not be more than 262144 bytes',
      );
    });
  });

  describe('discovery and kubectl', () => {
    before(async () => {
      await adminCreate(
        fx,
        DRIVERS,
        driver('print.csi.example.com', {
          attachRequired: false,
          podInfoOnMount: true,
          volumeLifecycleModes: ['Persistent', 'Ephemeral'],
          tokenRequests: [{ audience: 'vault' }, { audience: 'gcp' }],
          requiresRepublish: true,
        }),
      );
      await adminCreate(
        fx,
        NODES,
        csiNode('node-print', [
          { name: 'csi.example.com', nodeID: 'p1' },
          { name: 'other.example.com', nodeID: 'p2' },
        ]),
      );
      await adminCreate(
        fx,
        VAS,
        va('va-print', { nodeName: 'node-print', source: { persistentVolumeName: 'pv-print' } }),
      );
      await adminCreate(
        fx,
        VAS,
        va('va-print-inline', {
          nodeName: 'node-print',
          source: {
            inlineVolumeSpec: { accessModes: ['ReadWriteOnce'], csi: { driver: 'csi.example.com', volumeHandle: 'h' } },
          },
        }),
      );
      const r = await patch(`${VAS}/va-print/status`, { status: { attached: true } });
      assert.equal(r.code, 200, JSON.stringify(r.json));
    });

    it('lists the three resources without short names', async () => {
      const r = await kubectl(fx, ['api-resources', '--api-group=storage.k8s.io', '--no-headers']);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /^csidrivers\s+storage\.k8s\.io\/v1\s+false\s+CSIDriver$/m);
      assert.match(r.out, /^csinodes\s+storage\.k8s\.io\/v1\s+false\s+CSINode$/m);
      assert.match(r.out, /^volumeattachments\s+storage\.k8s\.io\/v1\s+false\s+VolumeAttachment$/m);
      const status = (await adminRequest(fx, 'GET', API)).json.resources.map((x: Obj) => x.name);
      assert.ok(status.includes('volumeattachments/status'));
      assert.ok(!status.includes('csinodes/status') && !status.includes('csidrivers/status'));
    });

    it('applies twice (the second a patch of what changed) and explains', async () => {
      const file = join(fx.dir, 'csi.json');
      const doc = {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          driver('applied.csi.example.com', { podInfoOnMount: false }),
          csiNode('node-applied', [{ name: 'csi.example.com', nodeID: 'a' }]),
          va('va-applied'),
        ],
      };
      writeFileSync(file, JSON.stringify(doc));
      let r = await kubectl(fx, ['apply', '-f', file]);
      assert.equal(r.status, 0, r.err);
      doc.items[0].spec.podInfoOnMount = true;
      doc.items[1].spec.drivers.push({ name: 'other.example.com', nodeID: 'b' });
      doc.items[2].metadata.labels = { app: 'a' };
      writeFileSync(file, JSON.stringify(doc));
      r = await kubectl(fx, ['apply', '-f', file]);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /csidriver\.storage\.k8s\.io\/applied\.csi\.example\.com configured/);
      assert.match(r.out, /csinode\.storage\.k8s\.io\/node-applied configured/);
      assert.match(r.out, /volumeattachment\.storage\.k8s\.io\/va-applied configured/);
      const got = (await adminRequest(fx, 'GET', `${DRIVERS}/applied.csi.example.com`)).json;
      assert.equal(got.spec.podInfoOnMount, true);
      assert.equal(got.metadata.generation, 2);
      assert.equal((await adminRequest(fx, 'GET', `${NODES}/node-applied`)).json.spec.drivers.length, 2);
      for (const what of ['csidriver', 'csinode.spec', 'volumeattachment.status']) {
        r = await kubectl(fx, ['explain', what]);
        assert.equal(r.status, 0, `${what}: ${r.err}`);
      }
    });

    for (const bin of ['kubectl', 'kubectl.1.33', 'kubectl.1.27']) {
      it(`${bin} prints upstream's columns`, async (t) => {
        const path = bin === 'kubectl' ? bin : kubectlBinary(Number(bin.split('.')[2]));
        if (bin !== 'kubectl' && !existsSync(path)) return t.skip(`${bin} is not installed here`);
        const drivers = await kubectl(fx, ['get', 'csidrivers'], path);
        assert.equal(drivers.status, 0, drivers.err);
        assert.match(
          drivers.out,
          /^NAME\s+ATTACHREQUIRED\s+PODINFOONMOUNT\s+STORAGECAPACITY\s+TOKENREQUESTS\s+REQUIRESREPUBLISH\s+MODES\s+AGE\n/,
        );
        assert.match(
          drivers.out,
          /\nprint\.csi\.example\.com\s+false\s+true\s+false\s+vault,gcp\s+true\s+Persistent,Ephemeral\s+\d+s\n/,
        );
        assert.match(
          drivers.out,
          /\nmutable\.csi\.example\.com\s+true\s+true\s+true\s+<unset>\s+false\s+Persistent\s+\d+s\n/,
        );
        const nodes = await kubectl(fx, ['get', 'csinodes', 'node-print'], path);
        assert.equal(nodes.status, 0, nodes.err);
        assert.match(nodes.out, /^NAME\s+DRIVERS\s+AGE\nnode-print\s+2\s+\d+s\n$/);
        const vas = await kubectl(fx, ['get', 'volumeattachments'], path);
        assert.equal(vas.status, 0, vas.err);
        assert.match(vas.out, /^NAME\s+ATTACHER\s+PV\s+NODE\s+ATTACHED\s+AGE\n/);
        assert.match(vas.out, /\nva-print\s+csi\.example\.com\s+pv-print\s+node-print\s+true\s+\d+s\n/);
        assert.match(vas.out, /\nva-print-inline\s+csi\.example\.com\s+node-print\s+false\s+\d+s\n/);
      });
    }
  });
});
