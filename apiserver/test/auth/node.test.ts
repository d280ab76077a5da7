// --authorization-mode=Node,RBAC with NodeRestriction, through the real server with two kubelet
// identities (system:node:n1 and system:node:n2 in system:nodes) and real curl.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { type Fixture, kubectl, run, startFixture } from '../server/fixture.ts';

describe('Node authorizer and NodeRestriction', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction']);
    const ca = CertificateAuthority.fromPem(readFileSync(fx.pki.caCrt), readFileSync(join(fx.dir, 'ca.key')));
    for (const n of ['n1', 'n2']) {
      const key = await generateKeyPair();
      const cert = ca.issue({
        subject: { commonName: `system:node:${n}`, organizations: ['system:nodes'] },
        publicKey: key.publicKey,
        usages: ['digital signature', 'client auth'],
        ttlMs: 3600_000,
      });
      writeFileSync(join(fx.dir, `${n}.crt`), cert.pem);
      writeFileSync(join(fx.dir, `${n}.key`), encodePrivateKeyPem(key), { mode: 0o600 });
    }
    const objects = [
      ...['n1', 'n2'].map((n) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } })),
      ...['s1', 's2'].map((s) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: s, namespace: 'default' },
        stringData: { k: s },
      })),
      ...[
        ['p1', 'n1', 's1'],
        ['p2', 'n2', 's2'],
      ].map(([p, n, s]) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: p, namespace: 'default' },
        spec: {
          nodeName: n,
          containers: [{ name: 'c', image: 'busybox' }],
          volumes: [{ name: 'v', secret: { secretName: s } }],
        },
      })),
      ...['n1', 'n2'].map((n) => ({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: n, namespace: 'kube-node-lease' },
        spec: { holderIdentity: n },
      })),
    ];
    writeFileSync(join(fx.dir, 'objects.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    const r = await kubectl(fx, ['create', '-f', join(fx.dir, 'objects.json')]);
    assert.equal(r.status, 0, r.err);
    await new Promise((res) => setTimeout(res, 300));
  });
  after(async () => fx?.close());

  const as = (node: string, method: string, path: string, body?: object, type = 'application/merge-patch+json') =>
    run('curl', [
      '-s',
      '-w',
      '\n%{http_code}',
      '--cacert',
      fx.pki.caCrt,
      '--cert',
      join(fx.dir, `${node}.crt`),
      '--key',
      join(fx.dir, `${node}.key`),
      '-X',
      method,
      ...(body ? ['-H', `Content-Type: ${type}`, '--data-binary', JSON.stringify(body)] : []),
      `${fx.url}${path}`,
    ]).then((r) => ({ code: r.stdout.slice(-3), body: r.stdout.slice(0, -4) }));

  it("reads the secret of its own pod, not another node's pod's, and never lists secrets", async () => {
    assert.equal((await as('n1', 'GET', '/api/v1/namespaces/default/secrets/s1')).code, '200');
    const denied = await as('n1', 'GET', '/api/v1/namespaces/default/secrets/s2');
    assert.equal(denied.code, '403');
    assert.equal(
      JSON.parse(denied.body).message,
      `secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`,
    );
    assert.equal((await as('n1', 'GET', '/api/v1/namespaces/default/secrets')).code, '403');
  });

  it("reads its own Node (by name or by a metadata.name field selector), not another's, and lists none", async () => {
    assert.equal((await as('n1', 'GET', '/api/v1/nodes/n1')).code, '200');
    assert.equal((await as('n1', 'GET', '/api/v1/nodes?fieldSelector=metadata.name%3Dn1')).code, '200');
    const other = await as('n1', 'GET', '/api/v1/nodes/n2');
    assert.equal(other.code, '403');
    assert.equal(
      JSON.parse(other.body).message,
      `nodes "n2" is forbidden: User "system:node:n1" cannot get resource "nodes" in API group "" at the cluster scope: node 'n1' cannot read 'n2', only its own Node object`,
    );
    const all = await as('n1', 'GET', '/api/v1/nodes');
    assert.equal(all.code, '403');
    assert.equal(
      JSON.parse(all.body).message,
      `nodes is forbidden: User "system:node:n1" cannot list resource "nodes" in API group "" at the cluster scope: node 'n1' cannot read all nodes, only its own Node object`,
    );
  });

  it("lists and watches its own pods by spec.nodeName, not all pods or another node's", async () => {
    const own = await as('n1', 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1');
    assert.equal(own.code, '200');
    assert.deepEqual(
      JSON.parse(own.body).items.map((p: { metadata: { name: string } }) => p.metadata.name),
      ['p1'],
    );
    assert.equal(
      (await as('n1', 'GET', '/api/v1/pods?watch=1&timeoutSeconds=1&fieldSelector=spec.nodeName%3Dn1')).code,
      '200',
    );
    for (const path of [
      '/api/v1/pods',
      '/api/v1/namespaces/default/pods',
      '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2',
    ]) {
      const r = await as('n1', 'GET', path);
      assert.equal(r.code, '403', path);
      assert.match(JSON.parse(r.body).message, /: can only list\/watch pods with spec.nodeName field selector$/, path);
    }
    // One related pod by name (a metadata.name field selector), and not an unrelated one.
    assert.equal(
      (await as('n1', 'GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp1')).code,
      '200',
    );
    const other = await as('n1', 'GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp2');
    assert.equal(other.code, '403');
    assert.match(JSON.parse(other.body).message, /no relationship found between node 'n1' and this object/);
  });

  it('updates its own Node status and Lease, not those of another node', async () => {
    assert.equal((await as('n1', 'PATCH', '/api/v1/nodes/n1/status', { status: { phase: 'Running' } })).code, '200');
    const other = await as('n1', 'PATCH', '/api/v1/nodes/n2/status', { status: { phase: 'Running' } });
    assert.equal(other.code, '403');
    assert.match(JSON.parse(other.body).message, /node "n1" is not allowed to modify node "n2"/);
    assert.equal((await as('n1', 'GET', '/api/v1/nodes/n2')).code, '403');
    assert.equal(
      (
        await as('n1', 'PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', {
          spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 },
        })
      ).code,
      '200',
    );
    assert.equal(
      (
        await as('n1', 'PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n2', {
          spec: { holderIdentity: 'n1' },
        })
      ).code,
      '403',
    );
  });

  it('may create its own Lease (the authorizer cannot see a name on create; NodeRestriction checks it)', async () => {
    const lease = (name: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name },
    });
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    const own = await as('n1', 'DELETE', `${path}/n1`);
    assert.equal(own.code, '200', own.body);
    const created = await as('n1', 'POST', path, lease('n1'), 'application/json');
    assert.equal(created.code, '201', created.body);
    const other = await as('n1', 'POST', path, lease('n3'), 'application/json');
    assert.equal(other.code, '403');
    assert.match(
      JSON.parse(other.body).message,
      /can only access node lease with the same name as the requesting node/,
    );
    const elsewhere = await as(
      'n1',
      'POST',
      '/apis/coordination.k8s.io/v1/namespaces/default/leases',
      lease('n1'),
      'application/json',
    );
    assert.equal(elsewhere.code, '403');
  });

  it('may not set node-restriction labels, change its taints, or create ordinary pods', async () => {
    const label = await as('n1', 'PATCH', '/api/v1/nodes/n1', {
      metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'yes' } },
    });
    assert.equal(label.code, '403');
    assert.match(
      JSON.parse(label.body).message,
      /node "n1" is not allowed to modify labels: node-restriction.kubernetes.io\/trusted/,
    );
    assert.equal(
      (await as('n1', 'PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'kubernetes.io/hostname': 'n1' } } })).code,
      '200',
    );
    const taint = await as('n1', 'PATCH', '/api/v1/nodes/n1', {
      spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] },
    });
    assert.match(JSON.parse(taint.body).message, /not allowed to modify taints/);
    const pod = await as(
      'n1',
      'POST',
      '/api/v1/namespaces/default/pods',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'sneaky' },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
      },
      'application/json',
    );
    assert.equal(pod.code, '403');
    assert.match(JSON.parse(pod.body).message, /can only create mirror pods/);
  });

  it('may still do what the system:node rules allow (create a CSR), and nothing the graph denies', async () => {
    assert.equal((await as('n1', 'GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')).code, '200');
    assert.equal((await as('n1', 'GET', '/api/v1/namespaces/kube-system/configmaps/kube-root-ca.crt')).code, '403');
  });
});
