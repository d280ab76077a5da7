// node.k8s.io/v1 RuntimeClasses through a real apiserver: upstream's validation paths and messages
// (the handler a DNS-1123 label fixed at creation, overhead checked as container limits, the
// scheduling constraints as labels and tolerations), its update rules, and kubectl's columns.
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

const RCS = '/apis/node.k8s.io/v1/runtimeclasses';
const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const rc = (name: string, handler: unknown, extra: Obj = {}): Obj => ({
  apiVersion: 'node.k8s.io/v1',
  kind: 'RuntimeClass',
  metadata: { name },
  ...(handler === undefined ? {} : { handler }),
  ...extra,
});

describe('RuntimeClass (node.k8s.io/v1)', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await fx?.close();
  });

  const create = (body: Obj) => adminRequest(fx, 'POST', RCS, body);

  it('stores a class with its overhead in canonical form and its scheduling constraints', async () => {
    const got = await adminCreate(
      fx,
      RCS,
      rc('sandboxed', 'runc', {
        overhead: { podFixed: { cpu: '250m', memory: '0.5Gi' } },
        scheduling: {
          nodeSelector: { 'mkube.test/runtime': 'sandboxed' },
          tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }],
        },
      }),
    );
    assert.equal(got.handler, 'runc');
    assert.deepEqual(got.overhead, { podFixed: { cpu: '250m', memory: '512Mi' } });
    assert.deepEqual(got.scheduling.nodeSelector, { 'mkube.test/runtime': 'sandboxed' });
    const list = (await adminRequest(fx, 'GET', RCS)).json;
    assert.equal(list.kind, 'RuntimeClassList');
    assert.deepEqual(
      list.items.map((i: Obj) => i.metadata.name),
      ['sandboxed'],
    );
  });

  it('requires the handler to be a DNS-1123 label and the name a DNS subdomain', async () => {
    await expectInvalid(
      create(rc('nohandler', undefined)),
      `RuntimeClass.node.k8s.io "nohandler" is invalid: handler: Invalid value: "": ${LABEL}`,
    );
    await expectInvalid(
      create(rc('dotted', 'kata.qemu')),
      `RuntimeClass.node.k8s.io "dotted" is invalid: handler: Invalid value: "kata.qemu": ${LABEL}`,
    );
    const bad = await create(rc('Bad_Name', 'runc'));
    assert.equal(bad.code, 422);
    assert.match(bad.json.message, /^RuntimeClass\.node\.k8s\.io "Bad_Name" is invalid: metadata\.name: Invalid value/);
  });

  it('checks overhead.podFixed as container limits, with their paths', async () => {
    await expectInvalid(
      create(rc('negative', 'runc', { overhead: { podFixed: { cpu: '-1' } } })),
      'RuntimeClass.node.k8s.io "negative" is invalid: overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    );
    await expectInvalid(
      create(rc('unknown', 'runc', { overhead: { podFixed: { foo: '1' } } })),
      'RuntimeClass.node.k8s.io "unknown" is invalid: [overhead.limits[foo]: Invalid value: "foo": must be a standard resource type or fully qualified, overhead.limits[foo]: Invalid value: "foo": must be a standard resource for containers]',
    );
    await expectInvalid(
      create(rc('hugepages', 'runc', { overhead: { podFixed: { 'hugepages-2Mi': '2Mi' } } })),
      'RuntimeClass.node.k8s.io "hugepages" is invalid: overhead: Forbidden: HugePages require cpu or memory',
    );
    const unparsable = await create(rc('unparsable', 'runc', { overhead: { podFixed: { cpu: 'lots' } } }));
    assert.equal(unparsable.code, 400, JSON.stringify(unparsable.json));
  });

  it('checks scheduling.nodeSelector as labels and scheduling.tolerations as a pod’s', async () => {
    await expectInvalid(
      create(rc('selector', 'runc', { scheduling: { nodeSelector: { 'a/b/c': 'x' } } })),
      `RuntimeClass.node.k8s.io "selector" is invalid: scheduling.nodeSelector: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    );
    await expectInvalid(
      create(
        rc('tolerations', 'runc', {
          scheduling: {
            tolerations: [
              { operator: 'Equal', value: 'x' },
              { key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 },
              { key: 'k', operator: 'Exists', value: 'v' },
              { key: 'k', operator: 'Within' },
              { key: 'k', operator: 'Exists', effect: 'Sometimes' },
            ],
          },
        }),
      ),
      'RuntimeClass.node.k8s.io "tolerations" is invalid: [' +
        'scheduling.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys", ' +
        'scheduling.tolerations[1].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set, ' +
        'scheduling.tolerations[2].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\', ' +
        'scheduling.tolerations[3].operator: Unsupported value: "Within": supported values: "Equal", "Exists", ' +
        'scheduling.tolerations[4].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"]',
    );
  });

  it('keeps the handler fixed and refuses an unconditional PUT', async () => {
    const got = await adminCreate(fx, RCS, rc('fixed', 'runc'));
    const changed = { ...got, handler: 'kata' };
    await expectInvalid(
      adminRequest(fx, 'PUT', `${RCS}/fixed`, changed),
      'RuntimeClass.node.k8s.io "fixed" is invalid: handler: Invalid value: "kata": field is immutable',
    );
    const overhead = { ...got, overhead: { podFixed: { cpu: '100m' } } };
    const updated = await adminRequest(fx, 'PUT', `${RCS}/fixed`, overhead);
    assert.equal(updated.code, 200, JSON.stringify(updated.json));
    const unconditional = { ...updated.json, metadata: { name: 'fixed' }, overhead: undefined };
    const refused = await adminRequest(fx, 'PUT', `${RCS}/fixed`, unconditional);
    assert.equal(refused.code, 422, JSON.stringify(refused.json));
    assert.match(
      refused.json.message,
      /metadata\.resourceVersion: Invalid value: 0x0: must be specified for an update/,
    );
  });

  for (const minor of [33, 27]) {
    const bin = minor === 33 ? 'kubectl' : kubectlBinary(minor);
    it(`kubectl 1.${minor} prints NAME HANDLER AGE`, async (t) => {
      if (minor !== 33 && !existsSync(bin)) return t.skip(`kubectl.1.${minor} is not installed here`);
      const r = await kubectl(fx, ['get', 'runtimeclasses', 'sandboxed'], bin);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /^NAME\s+HANDLER\s+AGE\n/);
      assert.match(r.out, /\nsandboxed\s+runc\s+\d+s\n$/);
    });
  }

  it('is listed by kubectl api-resources and explained', async () => {
    const r = await kubectl(fx, ['api-resources', '--api-group=node.k8s.io', '--no-headers']);
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(
      r.out
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)),
      [['runtimeclasses', 'node.k8s.io/v1', 'false', 'RuntimeClass']],
    );
    const e = await kubectl(fx, ['explain', 'runtimeclass']);
    assert.equal(e.status, 0, e.err);
    assert.match(e.out, /handler\s+<string>/);
  });

  it('patches with strategic merge (no patch tags: tolerations replaced whole)', async () => {
    const p = await kubectl(fx, [
      'patch',
      'runtimeclass',
      'sandboxed',
      '-p',
      '{"scheduling":{"tolerations":[{"key":"other","operator":"Exists"}]}}',
    ]);
    assert.equal(p.status, 0, p.err);
    const got = (await adminRequest(fx, 'GET', `${RCS}/sandboxed`)).json;
    assert.deepEqual(got.scheduling.tolerations, [{ key: 'other', operator: 'Exists' }]);
    assert.deepEqual(got.scheduling.nodeSelector, { 'mkube.test/runtime': 'sandboxed' });
  });
});
