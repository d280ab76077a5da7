// scheduling.k8s.io/v1 PriorityClass and Priority admission through a real apiserver: the system
// classes the post-start hook writes, the rules a class must keep (upstream's exact refusals), the
// priority a new pod gets from its class or the global default, and kubectl's columns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AdminReply,
  adminCreate,
  adminRequest,
  type Fixture,
  kubectl,
  startFixture,
  waitFor,
} from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
type Json = any;
type Reply = AdminReply;

const PCS = '/apis/scheduling.k8s.io/v1/priorityclasses';
const PODS = '/api/v1/namespaces/default/pods';

const priorityClass = (name: string, value: number, extra: Json = {}) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  ...extra,
});
const pod = (name: string, spec: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

describe('PriorityClasses and Priority admission', () => {
  let fx: Fixture;

  const send = (method: string, path: string, body?: unknown) => adminRequest(fx, method, path, body);
  const created = (path: string, body: unknown) => adminCreate(fx, path, body);
  /** A refusal: its code, reason and exact message. */
  const refused = (r: Reply, code: number, reason: string, message: string) => {
    assert.equal(r.code, code, JSON.stringify(r.json));
    assert.equal(r.json.kind, 'Status');
    assert.equal(r.json.reason, reason);
    assert.equal(r.json.message, message);
  };

  before(async () => {
    fx = await startFixture();
    // The hook runs once the server listens.
    await waitFor('the system PriorityClasses', async () => {
      const r = await send('GET', `${PCS}/system-cluster-critical`);
      return r.code === 200 ? true : undefined;
    });
  });
  after(async () => fx?.close());

  it('bootstraps the two system classes with upstream values and descriptions, through a named hook', async () => {
    const list = (await send('GET', PCS)).json;
    const system = list.items
      .filter((pc: Json) => pc.metadata.name.startsWith('system-'))
      .map((pc: Json) => [pc.metadata.name, pc.value, pc.globalDefault, pc.preemptionPolicy, pc.description]);
    assert.deepEqual(system, [
      [
        'system-cluster-critical',
        2000000000,
        undefined,
        'PreemptLowerPriority',
        'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
      ],
      [
        'system-node-critical',
        2000001000,
        undefined,
        'PreemptLowerPriority',
        'Used for system critical pods that must not be moved from their current node.',
      ],
    ]);
    const readyz = await waitFor('the hook to finish', async () => {
      const r = await send('GET', '/readyz?verbose');
      return r.code === 200 ? String(r.json) : undefined;
    });
    // Where kube-apiserver lists it: after the RBAC bootstrap (not enabled here), before APF's producer.
    assert.ok(
      readyz.includes(
        [
          '[+]poststarthook/start-legacy-token-tracking-controller ok',
          '[+]poststarthook/start-service-ip-repair-controllers ok',
          '[+]poststarthook/scheduling/bootstrap-system-priority-classes ok',
          '[+]poststarthook/priority-and-fairness-config-producer ok',
        ].join('\n'),
      ),
      readyz,
    );
    const livez = String((await send('GET', '/livez?verbose')).json);
    assert.match(livez, /\[\+\]poststarthook\/scheduling\/bootstrap-system-priority-classes ok/);
  });

  it('creates, gets and lists a user class, defaulting preemptionPolicy', async () => {
    const pc = await created(PCS, priorityClass('high', 1000, { description: 'important' }));
    assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(pc.metadata.generation, 1);
    const got = (await send('GET', `${PCS}/high`)).json;
    assert.deepEqual(
      [got.kind, got.apiVersion, got.value, got.description],
      ['PriorityClass', 'scheduling.k8s.io/v1', 1000, 'important'],
    );
    const names = (await send('GET', PCS)).json.items.map((p: Json) => p.metadata.name);
    assert.deepEqual(names, ['high', 'system-cluster-critical', 'system-node-critical']);
  });

  it('refuses a value above 1000000000, an unknown system- name and a wrong system value', async () => {
    refused(
      await send('POST', PCS, priorityClass('huge', 1000000001)),
      422,
      'Invalid',
      'PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    );
    refused(
      await send('POST', PCS, priorityClass('system-foo', 10)),
      422,
      'Invalid',
      'PriorityClass.scheduling.k8s.io "system-foo" is invalid: metadata.name: Forbidden: priority class names with \'system-\' prefix are reserved for system use only. error: system-foo is not a known system priority class',
    );
    refused(
      await send('POST', PCS, priorityClass('low', 1, { preemptionPolicy: 'Sometimes' })),
      422,
      'Invalid',
      'PriorityClass.scheduling.k8s.io "low" is invalid: preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
    );
  });

  it('keeps value and preemptionPolicy as created', async () => {
    const pc = (await send('GET', `${PCS}/high`)).json;
    refused(
      await send('PUT', `${PCS}/high`, { ...pc, value: 2000 }),
      422,
      'Invalid',
      'PriorityClass.scheduling.k8s.io "high" is invalid: value: Forbidden: may not be changed in an update.',
    );
    refused(
      await send('PUT', `${PCS}/high`, { ...pc, preemptionPolicy: 'Never' }),
      422,
      'Invalid',
      'PriorityClass.scheduling.k8s.io "high" is invalid: preemptionPolicy: Invalid value: "Never": field is immutable',
    );
    const r = await send('PUT', `${PCS}/high`, { ...pc, description: 'still important' });
    assert.equal(r.code, 200, JSON.stringify(r.json));
  });

  it('refuses deleting a system class', async () => {
    refused(
      await send('DELETE', `${PCS}/system-node-critical`),
      403,
      'Forbidden',
      'priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted',
    );
  });

  it('gives a pod its class value and preemption policy', async () => {
    const p = await created(PODS, pod('with-class', { priorityClassName: 'high' }));
    assert.deepEqual(
      [p.spec.priorityClassName, p.spec.priority, p.spec.preemptionPolicy],
      ['high', 1000, 'PreemptLowerPriority'],
    );
    const critical = await created(PODS, pod('critical', { priorityClassName: 'system-node-critical' }));
    assert.equal(critical.spec.priority, 2000001000);
    // An update that leaves them out keeps them (the spec could not change them anyway).
    const { priority: _p, preemptionPolicy: _pp, ...spec } = p.spec;
    const r = await send('PUT', `${PODS}/with-class`, { ...p, spec });
    assert.equal(r.code, 200, JSON.stringify(r.json));
    assert.deepEqual([r.json.spec.priority, r.json.spec.preemptionPolicy], [1000, 'PreemptLowerPriority']);
  });

  it('refuses a pod naming a missing class or stating another priority or policy', async () => {
    refused(
      await send('POST', PODS, pod('missing', { priorityClassName: 'nope' })),
      403,
      'Forbidden',
      'pods "missing" is forbidden: no PriorityClass with name nope was found',
    );
    refused(
      await send('POST', PODS, pod('hand-set', { priorityClassName: 'high', priority: 5 })),
      403,
      'Forbidden',
      'pods "hand-set" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    );
    refused(
      await send('POST', PODS, pod('never', { priorityClassName: 'high', preemptionPolicy: 'Never' })),
      403,
      'Forbidden',
      'pods "never" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
    );
    // The same value as the class's is accepted.
    const same = await created(PODS, pod('same', { priorityClassName: 'high', priority: 1000 }));
    assert.equal(same.spec.priority, 1000);
  });

  it('gives a pod without a class 0, then the global default class, of which there is one', async () => {
    const before = await created(PODS, pod('no-class-before'));
    assert.deepEqual(
      [before.spec.priorityClassName, before.spec.priority, before.spec.preemptionPolicy],
      [undefined, 0, 'PreemptLowerPriority'],
    );
    await created(PCS, priorityClass('default-low', 100, { globalDefault: true, preemptionPolicy: 'Never' }));
    refused(
      await send('POST', PCS, priorityClass('default-two', 50, { globalDefault: true })),
      403,
      'Forbidden',
      'priorityclasses.scheduling.k8s.io "default-two" is forbidden: PriorityClass default-low is already marked as default. Only one default can exist',
    );
    const high = (await send('GET', `${PCS}/high`)).json;
    refused(
      await send('PUT', `${PCS}/high`, { ...high, globalDefault: true }),
      403,
      'Forbidden',
      'priorityclasses.scheduling.k8s.io "high" is forbidden: PriorityClass default-low is already marked as default. Only one default can exist',
    );
    const after = await created(PODS, pod('no-class-after'));
    assert.deepEqual(
      [after.spec.priorityClassName, after.spec.priority, after.spec.preemptionPolicy],
      ['default-low', 100, 'Never'],
    );
    refused(
      await send('POST', PODS, pod('no-class-hand-set', { priority: 0 })),
      403,
      'Forbidden',
      'pods "no-class-hand-set" is forbidden: the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 100 from the given PriorityClass name',
    );
  });

  it('kubectl get priorityclasses prints upstream columns; pc is its short name', async () => {
    const r = await kubectl(fx, ['get', 'pc']);
    assert.equal(r.status, 0, r.err);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    const byName = new Map(rows.slice(1).map((c) => [c[0], [c[1], c[2], c[4]]]));
    assert.deepEqual(byName.get('system-node-critical'), ['2000001000', 'false', 'PreemptLowerPriority']);
    assert.deepEqual(byName.get('default-low'), ['100', 'true', 'Never']);
    const res = await kubectl(fx, ['api-resources', '--api-group=scheduling.k8s.io', '--no-headers']);
    assert.equal(res.status, 0, res.err);
    assert.deepEqual(res.out.trim().split(/\s+/), [
      'priorityclasses',
      'pc',
      'scheduling.k8s.io/v1',
      'false',
      'PriorityClass',
    ]);
  });
});
