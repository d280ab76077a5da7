import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANNOTATION,
  type CertificateSigningRequest,
  GROUP,
  KEY_USAGES,
  LABEL,
  type List,
  NODE_RESTRICTION_LABEL_PREFIX,
  type Node,
  type SelfSubjectAccessReview,
  SIGNER,
  type Table,
  type WatchEvent,
} from '@mkube/shared/api';

describe('well-known names', () => {
  it('signer names are Kubernetes’', () => {
    assert.deepEqual(Object.values(SIGNER).sort(), [
      'kubernetes.io/kube-apiserver-client',
      'kubernetes.io/kube-apiserver-client-kubelet',
      'kubernetes.io/kubelet-serving',
      'kubernetes.io/legacy-unknown',
    ]);
  });
  it('label and annotation keys', () => {
    assert.equal(LABEL.hostname, 'kubernetes.io/hostname');
    assert.equal(LABEL.bootstrapping, 'kubernetes.io/bootstrapping');
    assert.equal(ANNOTATION.rbacAutoupdate, 'rbac.authorization.kubernetes.io/autoupdate');
    assert.equal(NODE_RESTRICTION_LABEL_PREFIX, 'node-restriction.kubernetes.io/');
    assert.equal(GROUP.certificates, 'certificates.k8s.io');
  });
  it('key usages: the 23 the API accepts, no duplicates', () => {
    assert.equal(KEY_USAGES.length, 23);
    assert.equal(new Set(KEY_USAGES).size, 23);
    assert.ok(KEY_USAGES.includes('client auth') && KEY_USAGES.includes('digital signature'));
  });
});

describe('JSON shapes as the apiserver serialises them', () => {
  it('a CSR as kubectl get -o json prints it', () => {
    const json = `{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest",
      "metadata":{"name":"csr-abc","creationTimestamp":"2024-05-01T10:00:00Z"},
      "spec":{"request":"LS0t","signerName":"kubernetes.io/kube-apiserver-client-kubelet",
        "usages":["digital signature","client auth"],"username":"system:bootstrap:abcdef",
        "groups":["system:bootstrappers","system:authenticated"]},
      "status":{"conditions":[{"type":"Approved","status":"True","reason":"AutoApproved",
        "lastUpdateTime":"2024-05-01T10:00:01Z"}],"certificate":"LS0t"}}`;
    const csr = JSON.parse(json) as CertificateSigningRequest;
    assert.equal(csr.spec.signerName, SIGNER.kubeAPIServerClientKubelet);
    assert.equal(csr.status?.conditions?.[0]?.type, 'Approved');
  });
  it('node daemonEndpoints keep Go’s capitalised Port', () => {
    const node: Node = { metadata: { name: 'n' }, status: { daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } };
    assert.equal(JSON.stringify(node.status?.daemonEndpoints), '{"kubeletEndpoint":{"Port":10250}}');
  });
  it('lists, watch events, tables and reviews type-check as the wire format', () => {
    const list: List<Node> = { apiVersion: 'v1', kind: 'NodeList', metadata: { resourceVersion: '7' }, items: [] };
    const ev: WatchEvent<Node> = {
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 410 },
    };
    const table: Table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions: [], rows: [] };
    const ssar: SelfSubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } },
      status: { allowed: true },
    };
    assert.equal(list.items.length + table.rows.length, 0);
    assert.equal(ev.type === 'ERROR' ? ev.object.code : 0, 410);
    assert.equal(ssar.status?.allowed, true);
  });
});
