// The Node authorizer's volume edges (pv → pvc → pod → node, secret → pv) and NodeRestriction's
// claim-status rule, through the real server with two kubelet identities (n1, n2).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AdminReply,
  adminCreate,
  adminRequest,
  eventually,
  type Fixture,
  issueClient,
  startFixture,
} from '../server/fixture.ts';

const NS = '/api/v1/namespaces/default';

describe('Node authorizer: PersistentVolumes, their claims and secrets; NodeRestriction on claims', () => {
  let fx: Fixture;
  const certs = new Map<string, { crt: string; key: string }>();
  const as = (node: string, method: string, path: string, body?: unknown, contentType?: string) => {
    const c = certs.get(node)!;
    return adminRequest(
      { url: fx.url, pki: { ...fx.pki, adminCrt: c.crt, adminKey: c.key } },
      method,
      path,
      body,
      contentType ? { contentType } : {},
    );
  };
  const mergePatch = 'application/merge-patch+json';
  const forbidden = (r: AdminReply, message: string) => {
    assert.equal(r.code, 403, JSON.stringify(r.json));
    assert.equal(r.json.message, message);
  };
  const noRelation = (what: string, verb: string, resource: string, scope: string) =>
    `${what} is forbidden: User "system:node:n1" cannot ${verb} resource "${resource}" in API group "" ${scope}: no relationship found between node 'n1' and this object`;

  const pod = (name: string, node: string, volumes: object[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], volumes },
  });
  const claim = (name: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });
  const csiPV = (name: string, claimName: string | undefined, secrets: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      ...(claimName ? { claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: claimName } } : {}),
      csi: {
        driver: 'csi.example.com',
        volumeHandle: name,
        ...Object.fromEntries(Object.entries(secrets).map(([k, s]) => [k, { name: s, namespace: 'default' }])),
      },
    },
  });

  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction']);
    for (const n of ['n1', 'n2']) {
      certs.set(n, await issueClient(fx, `system:node:${n}`, ['system:nodes']));
      await adminCreate(fx, '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
    }
    for (const s of ['csi-publish', 'csi-stage', 'csi-expand', 'csi-controller', 'pv2-publish', 'loose']) {
      await adminCreate(fx, `${NS}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: s },
        stringData: { k: s },
      });
    }
    for (const c of ['c1', 'c2', 'shared', 'p3-scratch'])
      await adminCreate(fx, `${NS}/persistentvolumeclaims`, claim(c));
    await adminCreate(
      fx,
      '/api/v1/persistentvolumes',
      csiPV('pv1', 'c1', {
        nodePublishSecretRef: 'csi-publish',
        nodeStageSecretRef: 'csi-stage',
        nodeExpandSecretRef: 'csi-expand',
        controllerPublishSecretRef: 'csi-controller',
      }),
    );
    await adminCreate(fx, '/api/v1/persistentvolumes', csiPV('pv2', 'c2', { nodePublishSecretRef: 'pv2-publish' }));
    await adminCreate(fx, '/api/v1/persistentvolumes', csiPV('pv3', undefined, { nodePublishSecretRef: 'loose' }));
    await adminCreate(fx, '/api/v1/persistentvolumes', csiPV('pv-eph', 'p3-scratch', {}));
    await adminCreate(
      fx,
      `${NS}/pods`,
      pod('p1', 'n1', [{ name: 'data', persistentVolumeClaim: { claimName: 'c1' } }]),
    );
    await adminCreate(
      fx,
      `${NS}/pods`,
      pod('p2', 'n2', [{ name: 'data', persistentVolumeClaim: { claimName: 'c2' } }]),
    );
    await adminCreate(
      fx,
      `${NS}/pods`,
      pod('p3', 'n1', [
        {
          name: 'scratch',
          ephemeral: {
            volumeClaimTemplate: {
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          },
        },
      ]),
    );
    await eventually(
      'the graph has pv1',
      async () => (await as('n1', 'GET', '/api/v1/persistentvolumes/pv1')).code === 200,
    );
  });
  after(async () => fx?.close());

  it("gets the PV bound to its pod's claim, not another node's or an unbound one, and lists none", async () => {
    const pv1 = await as('n1', 'GET', '/api/v1/persistentvolumes/pv1');
    assert.equal(pv1.code, 200);
    assert.equal(pv1.json.metadata.name, 'pv1');
    forbidden(
      await as('n1', 'GET', '/api/v1/persistentvolumes/pv2'),
      noRelation('persistentvolumes "pv2"', 'get', 'persistentvolumes', 'at the cluster scope'),
    );
    forbidden(
      await as('n1', 'GET', '/api/v1/persistentvolumes/pv3'),
      noRelation('persistentvolumes "pv3"', 'get', 'persistentvolumes', 'at the cluster scope'),
    );
    assert.equal((await as('n2', 'GET', '/api/v1/persistentvolumes/pv2')).code, 200);
    forbidden(
      await as('n1', 'GET', '/api/v1/persistentvolumes'),
      'persistentvolumes is forbidden: User "system:node:n1" cannot list resource "persistentvolumes" in API group "" at the cluster scope: can only get individual resources of this type',
    );
  });

  it("reads the secrets its volume's CSI source gives the kubelet, not the controller's nor another volume's", async () => {
    for (const s of ['csi-publish', 'csi-stage', 'csi-expand']) {
      assert.equal((await as('n1', 'GET', `${NS}/secrets/${s}`)).code, 200, s);
    }
    for (const s of ['csi-controller', 'pv2-publish', 'loose']) {
      forbidden(
        await as('n1', 'GET', `${NS}/secrets/${s}`),
        noRelation(`secrets "${s}"`, 'get', 'secrets', 'in the namespace "default"'),
      );
    }
    assert.equal((await as('n2', 'GET', `${NS}/secrets/pv2-publish`)).code, 200);
  });

  it("reaches an ephemeral volume's claim <pod>-<volume> and the PV bound to it", async () => {
    assert.equal((await as('n1', 'GET', `${NS}/persistentvolumeclaims/p3-scratch`)).code, 200);
    assert.equal((await as('n1', 'GET', '/api/v1/persistentvolumes/pv-eph')).code, 200);
    forbidden(
      await as('n2', 'GET', '/api/v1/persistentvolumes/pv-eph'),
      `persistentvolumes "pv-eph" is forbidden: User "system:node:n2" cannot get resource "persistentvolumes" in API group "" at the cluster scope: no relationship found between node 'n2' and this object`,
    );
  });

  it("updates a related claim's capacity and conditions through /status, and nothing else", async () => {
    const ok = await as(
      'n1',
      'PATCH',
      `${NS}/persistentvolumeclaims/c1/status`,
      {
        status: {
          capacity: { storage: '2Gi' },
          conditions: [{ type: 'FileSystemResizePending', status: 'True' }],
          allocatedResources: { storage: '2Gi' },
        },
      },
      mergePatch,
    );
    assert.equal(ok.code, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.status.capacity.storage, '2Gi');
    const phase = await as(
      'n1',
      'PATCH',
      `${NS}/persistentvolumeclaims/c1/status`,
      { status: { phase: 'Lost' } },
      mergePatch,
    );
    assert.equal(phase.code, 403, JSON.stringify(phase.json));
    assert.ok(
      phase.json.message.startsWith(
        'persistentvolumeclaims "c1" is forbidden: node "n1" is not allowed to update fields other than status.quantity and status.conditions: ',
      ),
      phase.json.message,
    );
    assert.match(phase.json.message, /- status\.phase: "Pending"\n\+ status\.phase: "Lost"/);
    // Metadata too: the status strategy would drop a label, but upstream refuses it outright.
    const label = await as(
      'n1',
      'PATCH',
      `${NS}/persistentvolumeclaims/c1/status`,
      { metadata: { labels: { owned: 'by-node' } } },
      mergePatch,
    );
    assert.equal(label.code, 403);
    assert.match(label.json.message, /\+ metadata\.labels: {"owned":"by-node"}$/);
    forbidden(
      await as(
        'n1',
        'PATCH',
        `${NS}/persistentvolumeclaims/c2/status`,
        { status: { capacity: { storage: '2Gi' } } },
        mergePatch,
      ),
      noRelation('persistentvolumeclaims "c2"', 'patch', 'persistentvolumeclaims/status', 'in the namespace "default"'),
    );
    forbidden(
      await as('n1', 'GET', `${NS}/persistentvolumeclaims/c1/status`),
      'persistentvolumeclaims "c1" is forbidden: User "system:node:n1" cannot get resource "persistentvolumeclaims/status" in API group "" in the namespace "default": can only get/update/patch this type',
    );
    assert.equal((await adminRequest(fx, 'GET', `${NS}/persistentvolumeclaims/c1`)).json.status.phase, 'Pending');
  });

  it('may not write a claim itself even when RBAC would allow it (NodeRestriction)', async () => {
    await adminCreate(fx, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'nodes-write-claims' },
      rules: [{ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['update', 'patch', 'create'] }],
    });
    await adminCreate(fx, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'nodes-write-claims' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'nodes-write-claims' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    });
    let r: AdminReply | undefined;
    await eventually('RBAC lets the node past authorization', async () => {
      r = await as('n1', 'PATCH', `${NS}/persistentvolumeclaims/c1`, { metadata: { labels: { a: 'b' } } }, mergePatch);
      return r.json.message !== undefined && !r.json.message.includes('cannot patch resource');
    });
    forbidden(r!, 'persistentvolumeclaims "c1" is forbidden: may only update PVC status');
    forbidden(
      await as('n1', 'POST', `${NS}/persistentvolumeclaims`, claim('mine')),
      'persistentvolumeclaims "mine" is forbidden: may only update PVC status',
    );
  });

  it('loses the PV and its secrets when the volume is unbound, and the claim when the pod goes', async () => {
    const unbound = await adminRequest(
      fx,
      'PATCH',
      '/api/v1/persistentvolumes/pv1',
      { spec: { claimRef: null } },
      {
        contentType: mergePatch,
      },
    );
    assert.equal(unbound.code, 200, JSON.stringify(unbound.json));
    await eventually(
      'pv1 leaves the graph',
      async () => (await as('n1', 'GET', '/api/v1/persistentvolumes/pv1')).code === 403,
    );
    assert.equal((await as('n1', 'GET', `${NS}/secrets/csi-publish`)).code, 403);
    // Bound to a claim n1's pod uses again: reachable again.
    await adminRequest(
      fx,
      'PATCH',
      '/api/v1/persistentvolumes/pv1',
      { spec: { claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'c1' } } },
      { contentType: mergePatch },
    );
    await eventually('pv1 is back', async () => (await as('n1', 'GET', '/api/v1/persistentvolumes/pv1')).code === 200);
    assert.equal((await adminRequest(fx, 'DELETE', `${NS}/pods/p1?gracePeriodSeconds=0`)).code, 200);
    await eventually('the claim leaves with the pod', async () => {
      return (await as('n1', 'GET', `${NS}/persistentvolumeclaims/c1`)).code === 403;
    });
    assert.equal((await as('n1', 'GET', '/api/v1/persistentvolumes/pv1')).code, 403);
    assert.equal((await as('n1', 'GET', `${NS}/secrets/csi-publish`)).code, 403);
  });
});
