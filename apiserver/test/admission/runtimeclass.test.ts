// RuntimeClass admission through a real apiserver (Node,RBAC authorization): a new pod naming a
// class gets the class's overhead and scheduling constraints, with upstream's refusals for a
// missing class, a stated overhead the class does not give, and a conflicting nodeSelector. A node
// identity reads RuntimeClasses (the system:node rules), as its kubelet must before a pod starts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCreate, adminRequest, type Fixture, issueClient, kubectl, startFixture } from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
type Json = any;

const PODS = '/api/v1/namespaces/default/pods';
const RCS = '/apis/node.k8s.io/v1/runtimeclasses';

const pod = (name: string, spec: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const runtimeClass = (name: string, extra: Json = {}) => ({
  apiVersion: 'node.k8s.io/v1',
  kind: 'RuntimeClass',
  metadata: { name },
  handler: 'runc',
  ...extra,
});

describe('RuntimeClass admission', () => {
  let fx: Fixture;
  const forbidden = async (body: unknown, message: string) => {
    const r = await adminRequest(fx, 'POST', PODS, body);
    assert.equal(r.code, 403, JSON.stringify(r.json));
    assert.equal(r.json.reason, 'Forbidden');
    assert.equal(r.json.message, message);
  };

  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
    await adminCreate(fx, RCS, runtimeClass('plain'));
    await adminCreate(
      fx,
      RCS,
      runtimeClass('sandboxed', {
        overhead: { podFixed: { cpu: '250m', memory: '120Mi' } },
        scheduling: {
          nodeSelector: { 'mkube.test/runtime': 'sandboxed' },
          tolerations: [
            { key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'dedicated', operator: 'Equal', value: 'sandbox', effect: 'NoExecute' },
          ],
        },
      }),
    );
  });
  after(async () => {
    await fx?.close();
  });

  it('is on by default, between PersistentVolumeClaimResize and CertificateApproval', async () => {
    const { DEFAULT_ENABLED } = await import('../../src/admission/registry.ts');
    const order = [...DEFAULT_ENABLED];
    assert.equal(order.indexOf('RuntimeClass'), order.indexOf('PersistentVolumeClaimResize') + 1);
    assert.equal(order.indexOf('CertificateApproval'), order.indexOf('RuntimeClass') + 1);
  });

  it('refuses a pod whose class does not exist', async () => {
    await forbidden(
      pod('nowhere', { runtimeClassName: 'gvisor' }),
      'pods "nowhere" is forbidden: pod rejected: RuntimeClass "gvisor" not found',
    );
    const r = await kubectl(fx, ['run', 'cli', '--image=busybox', '--overrides={"spec":{"runtimeClassName":"kata"}}']);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /pods "cli" is forbidden: pod rejected: RuntimeClass "kata" not found/);
  });

  it("sets the class's overhead and merges its nodeSelector and tolerations into the pod's", async () => {
    const got = await adminCreate(
      fx,
      PODS,
      pod('merged', {
        runtimeClassName: 'sandboxed',
        nodeSelector: { zone: 'a' },
        tolerations: [
          // Covered by the class's `sandbox` Exists toleration: dropped.
          { key: 'sandbox', operator: 'Equal', value: 'x', effect: 'NoSchedule' },
          { key: 'own', operator: 'Exists' },
        ],
      }),
    );
    assert.deepEqual(got.spec.overhead, { cpu: '250m', memory: '120Mi' });
    assert.deepEqual(got.spec.nodeSelector, { zone: 'a', 'mkube.test/runtime': 'sandboxed' });
    const tolerations = got.spec.tolerations.filter(
      (t: Json) => t.key !== 'node.kubernetes.io/not-ready' && t.key !== 'node.kubernetes.io/unreachable',
    );
    assert.deepEqual(tolerations, [
      { key: 'own', operator: 'Exists' },
      { key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'sandbox', effect: 'NoExecute' },
    ]);
  });

  it('accepts the same overhead stated by the pod, in another spelling', async () => {
    const got = await adminCreate(
      fx,
      PODS,
      pod('same', { runtimeClassName: 'sandboxed', overhead: { cpu: '0.25', memory: '125829120' } }),
    );
    assert.deepEqual(got.spec.overhead, { cpu: '250m', memory: '120Mi' });
  });

  it('refuses an overhead the class does not give', async () => {
    await forbidden(
      pod('greedy', { runtimeClassName: 'sandboxed', overhead: { cpu: '1' } }),
      `pods "greedy" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead`,
    );
    await forbidden(
      pod('unbacked', { runtimeClassName: 'plain', overhead: { cpu: '100m' } }),
      'pods "unbacked" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead',
    );
    await forbidden(
      pod('classless', { overhead: { cpu: '100m' } }),
      'pods "classless" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead',
    );
  });

  it("refuses a nodeSelector that contradicts the class's", async () => {
    await forbidden(
      pod('conflict', { runtimeClassName: 'sandboxed', nodeSelector: { 'mkube.test/runtime': 'plain' } }),
      'pods "conflict" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[mkube.test/runtime] = sandboxed; pod.spec.nodeSelector[mkube.test/runtime] = plain',
    );
  });

  it('leaves a pod of a class without overhead or scheduling as it was', async () => {
    const got = await adminCreate(fx, PODS, pod('plain', { runtimeClassName: 'plain' }));
    assert.equal(got.spec.overhead, undefined);
    assert.equal(got.spec.nodeSelector, undefined);
    assert.equal(got.spec.runtimeClassName, 'plain');
  });

  it('is not applied when disabled', async () => {
    const off = await startFixture(['--disable-admission-plugins=RuntimeClass']);
    try {
      const r = await adminRequest(off, 'POST', PODS, pod('anything', { runtimeClassName: 'missing' }));
      assert.equal(r.code, 201, JSON.stringify(r.json));
    } finally {
      await off.close();
    }
  });

  it('lets a node identity get, list and watch RuntimeClasses, but not write them', async () => {
    const node = await issueClient(fx, 'system:node:node1', ['system:nodes']);
    const asNode = { url: fx.url, pki: { ...fx.pki, adminCrt: node.crt, adminKey: node.key } };
    const list = await adminRequest(asNode, 'GET', RCS);
    assert.equal(list.code, 200, JSON.stringify(list.json));
    assert.deepEqual(list.json.items.map((i: Json) => i.metadata.name).sort(), ['plain', 'sandboxed']);
    const one = await adminRequest(asNode, 'GET', `${RCS}/sandboxed`);
    assert.equal(one.code, 200, JSON.stringify(one.json));
    const watch = await kubectl({ kubeconfig: node.kubeconfig, dir: fx.dir }, [
      'auth',
      'can-i',
      'watch',
      'runtimeclasses.node.k8s.io',
    ]);
    assert.equal(watch.out.trim(), 'yes', watch.err);
    const write = await adminRequest(asNode, 'POST', RCS, runtimeClass('mine'));
    assert.equal(write.code, 403, JSON.stringify(write.json));
    assert.equal(
      write.json.message,
      'runtimeclasses.node.k8s.io is forbidden: User "system:node:node1" cannot create resource "runtimeclasses" in API group "node.k8s.io" at the cluster scope',
    );
  });
});
