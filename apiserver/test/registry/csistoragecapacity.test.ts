// CSIStorageCapacities through a real apiserver: namespaced, quantities written back canonically (a
// value that is none refused at decoding), upstream's validation messages and immutable inputs, and
// kubectl's columns (NAME STORAGECLASSNAME CAPACITY, no AGE, as upstream prints them).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
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

const CAPS = '/apis/storage.k8s.io/v1/namespaces/default/csistoragecapacities';
const MERGE = { contentType: 'application/merge-patch+json' };

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const capacity = (name: string, fields: Obj = {}): Obj => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSIStorageCapacity',
  metadata: { name },
  storageClassName: 'fast',
  nodeTopology: { matchLabels: { 'topology.example.com/zone': 'a' } },
  ...fields,
});

describe('storage.k8s.io/v1 CSIStorageCapacity', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  const post = (body: Obj) => adminRequest(fx, 'POST', CAPS, body);
  const patch = (name: string, body: Obj) => adminRequest(fx, 'PATCH', `${CAPS}/${name}`, body, MERGE);

  it('stores a namespaced capacity with its quantities in canonical form', async () => {
    const got = await adminCreate(fx, CAPS, capacity('zone-a', { capacity: '1024Mi', maximumVolumeSize: '1000m' }));
    assert.equal(got.metadata.namespace, 'default');
    assert.equal(got.capacity, '1Gi');
    assert.equal(got.maximumVolumeSize, '1');
    assert.equal(got.metadata.generation, undefined);
  });

  it("refuses a bad class name, a bad topology and a negative capacity with upstream's messages", async () => {
    await expectInvalid(
      post(capacity('bad', { storageClassName: 'Fast!', capacity: '-1Gi' })),
      "CSIStorageCapacity.storage.k8s.io \"bad\" is invalid: [storageClassName: Invalid value: \"Fast!\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), capacity: Invalid value: \"-1Gi\": must be greater than or equal to 0]",
    );
    await expectInvalid(
      post(capacity('bad', { nodeTopology: { matchExpressions: [{ key: 'zone', operator: 'In' }] } })),
      "CSIStorageCapacity.storage.k8s.io \"bad\" is invalid: nodeTopology.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    );
    const r = await post(capacity('bad', { capacity: 'lots' }));
    assert.equal(r.code, 400, JSON.stringify(r.json));
  });

  it('keeps the class and topology fixed; capacity may change', async () => {
    await expectInvalid(
      patch('zone-a', { storageClassName: 'slow' }),
      'CSIStorageCapacity.storage.k8s.io "zone-a" is invalid: storageClassName: Invalid value: "slow": field is immutable',
    );
    await expectInvalid(
      patch('zone-a', { nodeTopology: { matchLabels: { 'topology.example.com/zone': 'b' } } }),
      'CSIStorageCapacity.storage.k8s.io "zone-a" is invalid: nodeTopology: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"topology.example.com/zone":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    const r = await patch('zone-a', { capacity: '2Gi' });
    assert.equal(r.code, 200, JSON.stringify(r.json));
    assert.equal(r.json.capacity, '2Gi');
  });

  it('is listed in discovery, namespaced, without short names', async () => {
    const r = await kubectl(fx, ['api-resources', '--api-group=storage.k8s.io', '--no-headers']);
    assert.equal(r.status, 0, r.err);
    const row = r.out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((c) => c[0] === 'csistoragecapacities');
    assert.deepEqual(row, ['csistoragecapacities', 'storage.k8s.io/v1', 'true', 'CSIStorageCapacity']);
  });

  for (const bin of ['kubectl', 'kubectl.1.33', 'kubectl.1.27']) {
    it(`${bin}: get csistoragecapacities shows NAME STORAGECLASSNAME CAPACITY`, async (t) => {
      const path = bin === 'kubectl' ? bin : kubectlBinary(Number(bin.split('.')[2]));
      if (bin !== 'kubectl' && !existsSync(path)) return t.skip(`${bin} is not installed here`);
      await adminRequest(fx, 'POST', CAPS, capacity(`unknown-${bin.replace(/\W/g, '')}`));
      const r = await kubectl(fx, ['get', 'csistoragecapacities', 'zone-a', `unknown-${bin.replace(/\W/g, '')}`], path);
      assert.equal(r.status, 0, r.err);
      assert.deepEqual(
        r.out
          .trimEnd()
          .split('\n')
          .map((l) => l.split(/\s+/)),
        [
          ['NAME', 'STORAGECLASSNAME', 'CAPACITY'],
          ['zone-a', 'fast', '2Gi'],
          [`unknown-${bin.replace(/\W/g, '')}`, 'fast', '<unset>'],
        ],
      );
    });
  }
});
