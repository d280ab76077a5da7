// The Node authorizer's VolumeAttachment edges and CSINode rule, NodeRestriction on CSINodes and the
// bootstrap system:node role, through the real server with two kubelet identities (node1, node2), a
// user who is no node, and one who has a node's name but not its group.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from '@mkube/shared/pki';
import {
  type AdminReply,
  adminCreate,
  adminRequest,
  eventually,
  type Fixture,
  issueClient,
  startFixture,
} from '../server/fixture.ts';

const API = '/apis/storage.k8s.io/v1';
const VAS = `${API}/volumeattachments`;
const CSINODES = `${API}/csinodes`;
const CSIDRIVERS = `${API}/csidrivers`;
const MERGE = 'application/merge-patch+json';

const va = (name: string, node: string) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'VolumeAttachment',
  metadata: { name },
  spec: { attacher: 'csi.example.com', nodeName: node, source: { persistentVolumeName: `pv-${node}` } },
});
const csiNode = (name: string, nodeID = name) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSINode',
  metadata: { name },
  spec: { drivers: [{ name: 'csi.example.com', nodeID }] },
});

describe('Node authorizer and NodeRestriction: VolumeAttachments, CSINodes, CSIDrivers', () => {
  let fx: Fixture;
  const certs = new Map<string, { crt: string; key: string }>();
  const as = (who: string, method: string, path: string, body?: unknown, contentType?: string) => {
    const c = certs.get(who)!;
    return adminRequest(
      { url: fx.url, pki: { ...fx.pki, adminCrt: c.crt, adminKey: c.key } },
      method,
      path,
      body,
      contentType ? { contentType } : {},
    );
  };
  const forbidden = (r: AdminReply, message: string) => {
    assert.equal(r.code, 403, JSON.stringify(r.json));
    assert.equal(r.json.message, message);
  };
  const denied = (user: string, verb: string, resource: string, what: string, reason: string) =>
    `${what} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "storage.k8s.io" at the cluster scope${reason ? `: ${reason}` : ''}`;

  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction']);
    for (const n of ['node1', 'node2']) {
      certs.set(n, await issueClient(fx, `system:node:${n}`, ['system:nodes']));
      await adminCreate(fx, '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
      await adminCreate(fx, VAS, va(`va-${n}`, n));
    }
    certs.set('alice', await issueClient(fx, 'alice'));
    // A node's name without the system:nodes group is no node: RBAC alone decides. Its own directory,
    // as issueClient names the files after the common name.
    const ca = CertificateAuthority.fromPem(readFileSync(fx.pki.caCrt), readFileSync(join(fx.dir, 'ca.key')));
    mkdirSync(join(fx.dir, 'impostor'));
    certs.set('impostor', await issueClient({ ...fx, dir: join(fx.dir, 'impostor') }, 'system:node:node1', [], ca));
    await adminCreate(fx, CSINODES, csiNode('node2'));
    await adminCreate(fx, CSIDRIVERS, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name: 'csi.example.com' },
      spec: {},
    });
    await eventually('the graph has va-node1', async () => (await as('node1', 'GET', `${VAS}/va-node1`)).code === 200);
  });
  after(async () => fx?.close());

  it("gets the attachment to its own node, not another node's, and lists none", async () => {
    const own = await as('node1', 'GET', `${VAS}/va-node1`);
    assert.equal(own.code, 200);
    assert.equal(own.json.spec.nodeName, 'node1');
    forbidden(
      await as('node1', 'GET', `${VAS}/va-node2`),
      denied(
        'system:node:node1',
        'get',
        'volumeattachments',
        'volumeattachments.storage.k8s.io "va-node2"',
        "no relationship found between node 'node1' and this object",
      ),
    );
    assert.equal((await as('node2', 'GET', `${VAS}/va-node2`)).code, 200);
    forbidden(
      await as('node1', 'GET', VAS),
      denied(
        'system:node:node1',
        'list',
        'volumeattachments',
        'volumeattachments.storage.k8s.io',
        'can only get individual resources of this type',
      ),
    );
    forbidden(
      await as('node1', 'PATCH', `${VAS}/va-node1/status`, { status: { attached: true } }, MERGE),
      denied(
        'system:node:node1',
        'patch',
        'volumeattachments/status',
        'volumeattachments.storage.k8s.io "va-node1"',
        'can only get individual resources of this type',
      ),
    );
  });

  it('follows an attachment into the graph when it appears and out when it goes', async () => {
    await adminCreate(fx, VAS, va('va-late', 'node1'));
    await eventually('the graph has va-late', async () => (await as('node1', 'GET', `${VAS}/va-late`)).code === 200);
    const del = await adminRequest(fx, 'DELETE', `${VAS}/va-late`);
    assert.equal(del.code, 200, JSON.stringify(del.json));
    await adminCreate(fx, VAS, va('va-late', 'node2'));
    await eventually(
      'va-late now points at node2',
      async () => (await as('node2', 'GET', `${VAS}/va-late`)).code === 200,
    );
    forbidden(
      await as('node1', 'GET', `${VAS}/va-late`),
      denied(
        'system:node:node1',
        'get',
        'volumeattachments',
        'volumeattachments.storage.k8s.io "va-late"',
        "no relationship found between node 'node1' and this object",
      ),
    );
  });

  it('creates and updates its own CSINode, never another node’s', async () => {
    const created = await as('node1', 'POST', CSINODES, csiNode('node1'));
    assert.equal(created.code, 201, JSON.stringify(created.json));
    const got = await as('node1', 'GET', `${CSINODES}/node1`);
    assert.equal(got.code, 200);
    got.json.metadata.annotations = { 'storage.alpha.kubernetes.io/migrated-plugins': 'kubernetes.io/gce-pd' };
    const updated = await as('node1', 'PUT', `${CSINODES}/node1`, got.json);
    assert.equal(updated.code, 200, JSON.stringify(updated.json));
    const patched = await as(
      'node1',
      'PATCH',
      `${CSINODES}/node1`,
      {
        spec: {
          drivers: [
            { name: 'csi.example.com', nodeID: 'node1' },
            { name: 'b.example.com', nodeID: 'x' },
          ],
        },
      },
      MERGE,
    );
    assert.equal(patched.code, 200, JSON.stringify(patched.json));

    // A create names no object in its URL: the authorizer lets it through, NodeRestriction refuses it.
    forbidden(
      await as('node1', 'POST', CSINODES, csiNode('node3')),
      'csinodes.storage.k8s.io "node3" is forbidden: can only access CSINode with the same name as the requesting node',
    );
    const reason = 'can only access CSINode with the same name as the requesting node';
    forbidden(
      await as('node1', 'GET', `${CSINODES}/node2`),
      denied('system:node:node1', 'get', 'csinodes', 'csinodes.storage.k8s.io "node2"', reason),
    );
    forbidden(
      await as('node1', 'PATCH', `${CSINODES}/node2`, { metadata: { labels: { a: 'b' } } }, MERGE),
      denied('system:node:node1', 'patch', 'csinodes', 'csinodes.storage.k8s.io "node2"', reason),
    );
    forbidden(
      await as('node1', 'DELETE', `${CSINODES}/node2`),
      denied('system:node:node1', 'delete', 'csinodes', 'csinodes.storage.k8s.io "node2"', reason),
    );
    forbidden(
      await as('node1', 'GET', CSINODES),
      denied(
        'system:node:node1',
        'list',
        'csinodes',
        'csinodes.storage.k8s.io',
        'can only get, create, update, patch, or delete a CSINode',
      ),
    );
    const del = await as('node1', 'DELETE', `${CSINODES}/node1`);
    assert.equal(del.code, 200, JSON.stringify(del.json));
  });

  it('reads CSIDrivers by the system:node rules, and may not write them', async () => {
    assert.equal((await as('node1', 'GET', `${CSIDRIVERS}/csi.example.com`)).code, 200);
    const list = await as('node1', 'GET', CSIDRIVERS);
    assert.equal(list.code, 200);
    assert.deepEqual(
      list.json.items.map((d: { metadata: { name: string } }) => d.metadata.name),
      ['csi.example.com'],
    );
    forbidden(
      await as('node1', 'DELETE', `${CSIDRIVERS}/csi.example.com`),
      denied('system:node:node1', 'delete', 'csidrivers', 'csidrivers.storage.k8s.io "csi.example.com"', ''),
    );
  });

  it('leaves users who are not nodes to RBAC', async () => {
    for (const who of ['alice', 'impostor']) {
      const user = who === 'alice' ? 'alice' : 'system:node:node1';
      forbidden(
        await as(who, 'GET', `${VAS}/va-node1`),
        denied(user, 'get', 'volumeattachments', 'volumeattachments.storage.k8s.io "va-node1"', ''),
      );
      forbidden(
        await as(who, 'GET', `${CSINODES}/node2`),
        denied(user, 'get', 'csinodes', 'csinodes.storage.k8s.io "node2"', ''),
      );
    }
    await adminCreate(fx, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'attachment-reader' },
      rules: [{ apiGroups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: ['get', 'list'] }],
    });
    await adminCreate(fx, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'attachment-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'attachment-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    });
    await eventually(
      'alice may read attachments',
      async () => (await as('alice', 'GET', `${VAS}/va-node2`)).code === 200,
    );
    assert.equal((await as('alice', 'GET', VAS)).code, 200, 'RBAC, not the graph, lets her list');
  });

  it("gives the system:node ClusterRole upstream's NodeRules (testdata/cluster-roles.yaml)", async () => {
    const role = (await adminRequest(fx, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:node')).json;
    const rule = (apiGroup: string, resources: string, verbs: string) => ({
      apiGroups: [apiGroup],
      resources: resources.split(','),
      verbs: verbs.split(','),
    });
    assert.deepEqual(role.rules, [
      rule('authentication.k8s.io', 'tokenreviews', 'create'),
      rule('authorization.k8s.io', 'localsubjectaccessreviews,subjectaccessreviews', 'create'),
      rule('', 'services', 'get,list,watch'),
      rule('', 'nodes', 'create,get,list,watch'),
      rule('', 'nodes/status', 'patch,update'),
      rule('', 'nodes', 'patch,update'),
      rule('', 'events', 'create,patch,update'),
      rule('', 'pods', 'get,list,watch'),
      rule('', 'pods', 'create,delete'),
      rule('', 'pods/status', 'patch,update'),
      rule('', 'pods/eviction', 'create'),
      rule('', 'configmaps,secrets', 'get,list,watch'),
      rule('', 'persistentvolumeclaims,persistentvolumes', 'get'),
      rule('', 'endpoints', 'get'),
      rule('certificates.k8s.io', 'certificatesigningrequests', 'create,get,list,watch'),
      rule('coordination.k8s.io', 'leases', 'create,delete,get,patch,update'),
      rule('storage.k8s.io', 'volumeattachments', 'get'),
      rule('', 'serviceaccounts/token', 'create'),
      rule('', 'persistentvolumeclaims/status', 'get,patch,update'),
      rule('storage.k8s.io', 'csidrivers', 'get,list,watch'),
      rule('storage.k8s.io', 'csinodes', 'create,delete,get,patch,update'),
      rule('node.k8s.io', 'runtimeclasses', 'get,list,watch'),
    ]);
  });
});
