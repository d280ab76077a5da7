// pods/binding and the legacy bindings through a real apiserver (Node,RBAC, an audit log): what a
// scheduler posts to place a pod, every refusal with upstream's code and message, who may bind, the
// discovery entries, and the pod field selectors the scheduler and the kubelet list and watch with.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Pod, updatePodCondition } from '@mkube/shared/api';
import type { AuditEvent } from '../../src/audit/index.ts';
import { validatePodBinding } from '../../src/registry/core/binding.ts';
import { type Fixture, issueClient, kubectl, startFixture, waitFor } from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
type Json = any;
interface Creds {
  readonly crt: string;
  readonly key: string;
}
interface Reply {
  readonly code: number;
  readonly json: Json;
}

const NS = '/api/v1/namespaces/default';
const podPath = (name: string) => `${NS}/pods/${name}`;
const binding = (pod: string, node: string, extra: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'Binding',
  ...extra,
  metadata: { name: pod, ...extra.metadata },
  target: { apiVersion: 'v1', kind: 'Node', name: node, ...extra.target },
});
const SUCCESS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

describe('the Binding rules', () => {
  it('ValidatePodBinding: target.name required, target.kind empty or Node', () => {
    const check = (target: Json) =>
      validatePodBinding({ apiVersion: 'v1', kind: 'Binding', metadata: {}, target }).map((e) => [e.type, e.field]);
    assert.deepEqual(check({ name: 'n' }), []);
    assert.deepEqual(check({ kind: 'Node', name: 'n' }), []);
    assert.deepEqual(check({ kind: 'node', name: 'n' }), [['NotSupported', 'target.kind']]);
    assert.deepEqual(check({}), [['Required', 'target.name']]);
  });

  it('UpdatePodCondition: replaces the condition; the transition time moves only with the status', () => {
    const t0 = '2020-01-01T00:00:00Z';
    const now = new Date('2024-05-06T07:08:09.500Z');
    const status: Json = {
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: t0 },
      ],
    };
    assert.equal(updatePodCondition(status, { type: 'PodScheduled', status: 'True' }, now), true);
    assert.deepEqual(status.conditions[1], {
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: '2024-05-06T07:08:09Z',
    });
    // The same status again: nothing changes, the time stays.
    assert.equal(updatePodCondition(status, { type: 'PodScheduled', status: 'True' }, new Date()), false);
    assert.equal(status.conditions[1].lastTransitionTime, '2024-05-06T07:08:09Z');
    const fresh: Json = {};
    assert.equal(updatePodCondition(fresh, { type: 'PodScheduled', status: 'True' }, now), true);
    assert.equal(fresh.conditions.length, 1);
  });
});

describe('pods/binding and bindings', () => {
  let fx: Fixture;
  let admin: Creds;
  let auditLog: string;

  function send(who: Creds, method: string, path: string, body?: unknown, type = 'application/json') {
    return new Promise<Reply>((resolve, reject) => {
      const url = new URL(path, fx.url);
      const data = body === undefined ? undefined : JSON.stringify(body);
      const r = request(
        url,
        {
          method,
          ca: readFileSync(fx.pki.caCrt),
          cert: readFileSync(who.crt),
          key: readFileSync(who.key),
          agent: false,
          headers: data ? { 'content-type': type, 'content-length': Buffer.byteLength(data) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ code: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
          });
        },
      );
      r.on('error', reject);
      r.end(data);
    });
  }

  /** The first watch event `pick` accepts, from a watch of `path` (a collection with its query). */
  function watchFor(path: string, pick: (e: { type: string; object: Json }) => boolean) {
    return new Promise<{ type: string; object: Json }>((resolve, reject) => {
      const r = request(
        new URL(path, fx.url),
        {
          ca: readFileSync(fx.pki.caCrt),
          cert: readFileSync(admin.crt),
          key: readFileSync(admin.key),
          agent: false,
        },
        (res) => {
          let buf = '';
          res.on('data', (c: Buffer) => {
            buf += c.toString('utf8');
            for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
              const e = JSON.parse(buf.slice(0, nl));
              buf = buf.slice(nl + 1);
              if (pick(e)) {
                resolve(e);
                r.destroy();
              }
            }
          });
          res.on('end', () => reject(new Error(`the watch of ${path} ended without the event`)));
        },
      );
      r.on('error', () => undefined);
      r.end();
    });
  }

  const createPod = async (name: string, spec: Json = {}, metadata: Json = {}): Promise<Pod> => {
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, ...metadata },
      spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
    };
    const r = await send(admin, 'POST', `${NS}/pods`, body);
    assert.equal(r.code, 201, JSON.stringify(r.json));
    return r.json;
  };
  const getPod = async (name: string): Promise<Pod> => (await send(admin, 'GET', podPath(name))).json;
  const patchStatus = async (name: string, status: Json) => {
    const r = await send(admin, 'PATCH', `${podPath(name)}/status`, { status }, 'application/merge-patch+json');
    assert.equal(r.code, 200, JSON.stringify(r.json));
    return r.json as Pod;
  };
  const bind = (who: Creds, pod: string, body: unknown, query = '') =>
    send(who, 'POST', `${podPath(pod)}/binding${query}`, body);
  const bindLegacy = (who: Creds, body: unknown, query = '') => send(who, 'POST', `${NS}/bindings${query}`, body);
  /** A refusal: its code, reason and exact message. */
  const refused = (r: Reply, code: number, reason: string, message: string) => {
    assert.equal(r.code, code, JSON.stringify(r.json));
    assert.equal(r.json.kind, 'Status');
    assert.equal(r.json.status, 'Failure');
    assert.equal(r.json.reason, reason);
    assert.equal(r.json.message, message);
  };

  before(async () => {
    fx = await startFixture((pki) => {
      const policy = join(pki.dir, 'audit-policy.yaml');
      writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Request\n');
      auditLog = join(pki.dir, 'audit.log');
      return ['--authorization-mode=Node,RBAC', `--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`];
    });
    admin = { crt: fx.pki.adminCrt, key: fx.pki.adminKey };
  });
  after(async () => fx?.close());

  it('pods/binding sets spec.nodeName, merges the annotations, marks the pod PodScheduled and answers 201 Success', async () => {
    await createPod('web', {}, { annotations: { keep: 'me' } });
    // As a scheduler that could not place it before: PodScheduled False, with a reason.
    const unschedulable = await patchStatus('web', {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes are available',
          lastProbeTime: null,
          lastTransitionTime: '2020-01-01T00:00:00Z',
        },
      ],
    });
    const modified = watchFor(
      `${NS}/pods?watch=true&fieldSelector=metadata.name%3Dweb&resourceVersion=${unschedulable.metadata.resourceVersion}&timeoutSeconds=10`,
      (e) => e.type === 'MODIFIED',
    );
    const r = await bind(
      admin,
      'web',
      binding('web', 'node-a', { metadata: { annotations: { 'scheduled-by': 'me' } } }),
    );
    assert.equal(r.code, 201, JSON.stringify(r.json));
    assert.deepEqual(r.json, SUCCESS);
    const pod = await getPod('web');
    assert.equal(pod.spec?.nodeName, 'node-a');
    assert.deepEqual(pod.metadata.annotations, { keep: 'me', 'scheduled-by': 'me' });
    const [cond, ...others] = pod.status?.conditions ?? [];
    assert.equal(others.length, 0);
    // UpdatePodCondition: the whole condition replaced, the transition time moved with the status.
    assert.deepEqual(Object.keys(cond ?? {}), ['type', 'status', 'lastProbeTime', 'lastTransitionTime']);
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.lastProbeTime, null);
    assert.notEqual(cond?.lastTransitionTime, '2020-01-01T00:00:00Z');
    assert.ok(Math.abs(Date.parse(cond?.lastTransitionTime ?? '') - Date.now()) < 60_000);
    const event = await modified;
    assert.equal(event.object.spec.nodeName, 'node-a');
    assert.equal(event.object.metadata.resourceVersion, pod.metadata.resourceVersion);
  });

  it('the legacy bindings collection names the pod in metadata.name', async () => {
    const created = await createPod('legacy');
    const r = await bindLegacy(admin, binding('legacy', 'node-b'));
    assert.equal(r.code, 201, JSON.stringify(r.json));
    assert.deepEqual(r.json, SUCCESS);
    const pod = await getPod('legacy');
    assert.equal(pod.spec?.nodeName, 'node-b');
    assert.deepEqual(
      pod.status?.conditions?.map((c) => [c.type, c.status, c.lastProbeTime]),
      [['PodScheduled', 'True', null]],
    );
    assert.equal(pod.metadata.uid, created.metadata.uid);
    assert.equal(pod.metadata.generation, created.metadata.generation, 'a storage-level write, not a spec update');
  });

  it('a bound pod, one being deleted and one with scheduling gates are conflicts on pods/binding', async () => {
    refused(
      await bind(admin, 'web', binding('web', 'node-b')),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "node-a"',
    );
    const again = await bindLegacy(admin, binding('web', 'node-b'));
    refused(
      again,
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "node-a"',
    );
    assert.deepEqual(again.json.details, { name: 'web', kind: 'pods/binding' });
    assert.equal((await getPod('web')).spec?.nodeName, 'node-a', 'unchanged');

    await createPod('leaving', {}, { finalizers: ['example.com/hold'] });
    assert.equal((await send(admin, 'DELETE', podPath('leaving'))).code, 200);
    assert.ok((await getPod('leaving')).metadata.deletionTimestamp);
    refused(
      await bind(admin, 'leaving', binding('leaving', 'node-a')),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "leaving": pod leaving is being deleted, cannot be assigned to a host',
    );

    await createPod('gated', { schedulingGates: [{ name: 'example.com/wait' }] });
    refused(
      await bind(admin, 'gated', binding('gated', 'node-a')),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "gated": pod gated has non-empty .spec.schedulingGates',
    );
    assert.equal((await getPod('gated')).spec?.nodeName, undefined);
  });

  it('a gated pod is created SchedulingGated; its gates may be removed, never added, and then it binds', async () => {
    const created = await createPod('held', {
      schedulingGates: [{ name: 'example.com/a' }, { name: 'example.com/b' }],
    });
    assert.deepEqual(
      created.status?.conditions?.map((c) => ({ ...c })),
      [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'SchedulingGated',
          message: 'Scheduling is blocked due to non-empty scheduling gates',
        },
      ],
    );
    const jsonPatch = (ops: Json[]) => send(admin, 'PATCH', podPath('held'), ops, 'application/json-patch+json');
    const added = await jsonPatch([{ op: 'add', path: '/spec/schedulingGates/-', value: { name: 'example.com/c' } }]);
    refused(
      added,
      422,
      'Invalid',
      `Pod "held" is invalid: spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/c'`,
    );
    const one = await jsonPatch([{ op: 'remove', path: '/spec/schedulingGates/0' }]);
    assert.equal(one.code, 200, JSON.stringify(one.json));
    assert.deepEqual(one.json.spec.schedulingGates, [{ name: 'example.com/b' }]);
    assert.equal((await jsonPatch([{ op: 'remove', path: '/spec/schedulingGates' }])).code, 200);
    const ok = await bind(admin, 'held', binding('held', 'node-a'));
    assert.equal(ok.code, 201, JSON.stringify(ok.json));
    const bound = await getPod('held');
    assert.equal(bound.spec?.nodeName, 'node-a');
    assert.equal(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
  });

  it("the Binding's uid and resourceVersion are preconditions on pods/binding; the legacy collection wipes the uid", async () => {
    const pod = await createPod('pinned');
    const uid = pod.metadata.uid;
    refused(
      await bind(admin, 'pinned', binding('pinned', 'node-a', { metadata: { uid: 'not-the-uid' } })),
      409,
      'Conflict',
      `Operation cannot be fulfilled on pods "pinned": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${uid}`,
    );
    refused(
      await bind(admin, 'pinned', binding('pinned', 'node-a', { metadata: { resourceVersion: '1' } })),
      409,
      'Conflict',
      `Operation cannot be fulfilled on pods "pinned": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${pod.metadata.resourceVersion}`,
    );
    assert.equal((await getPod('pinned')).spec?.nodeName, undefined);
    // WipeObjectMetaSystemFields: a create of the collection drops the uid, so it is no precondition.
    const r = await bindLegacy(admin, binding('pinned', 'node-a', { metadata: { uid: 'not-the-uid' } }));
    assert.equal(r.code, 201, JSON.stringify(r.json));
    const matching = await createPod('pinned-ok');
    const ok = await bind(
      admin,
      'pinned-ok',
      binding('pinned-ok', 'node-a', {
        metadata: { uid: matching.metadata.uid, resourceVersion: matching.metadata.resourceVersion },
      }),
    );
    assert.equal(ok.code, 201, JSON.stringify(ok.json));
  });

  it('refuses a name or namespace that is not the URL’s (400) and an invalid target (422)', async () => {
    await createPod('named');
    refused(
      await bind(admin, 'named', binding('other', 'node-a')),
      400,
      'BadRequest',
      'name in URL does not match name in Binding object',
    );
    refused(
      await bind(admin, 'named', binding('named', 'node-a', { metadata: { namespace: 'kube-system' } })),
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    const noTarget = await bind(admin, 'named', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'named' } });
    refused(noTarget, 422, 'Invalid', 'Binding "named" is invalid: target.name: Required value');
    assert.deepEqual(noTarget.json.details, {
      name: 'named',
      kind: 'Binding',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
    });
    refused(
      await bindLegacy(admin, { metadata: { name: 'named' }, target: { kind: 'Pod' } }),
      422,
      'Invalid',
      'Binding "named" is invalid: [target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>", target.name: Required value]',
    );
    refused(await bindLegacy(admin, { target: { name: 'node-a' } }), 400, 'BadRequest', 'Name parameter required.');
    // An empty kind is a Node.
    const r = await bind(admin, 'named', { metadata: { name: 'named' }, target: { name: 'node-a' } });
    assert.equal(r.code, 201, JSON.stringify(r.json));
  });

  it('a missing pod is NotFound on pods', async () => {
    const r = await bind(admin, 'nope', binding('nope', 'node-a'));
    refused(r, 404, 'NotFound', 'pods "nope" not found');
    assert.deepEqual(r.json.details, { name: 'nope', kind: 'pods' });
    refused(await bindLegacy(admin, binding('nope', 'node-a')), 404, 'NotFound', 'pods "nope" not found');
  });

  it('dryRun=All answers as the real thing and changes nothing', async () => {
    const pod = await createPod('dry');
    const r = await bind(admin, 'dry', binding('dry', 'node-a'), '?dryRun=All');
    assert.equal(r.code, 201, JSON.stringify(r.json));
    assert.deepEqual(r.json, SUCCESS);
    assert.equal((await bindLegacy(admin, binding('dry', 'node-a'), '?dryRun=All')).code, 201);
    const after = await getPod('dry');
    assert.equal(after.spec?.nodeName, undefined);
    assert.equal(after.metadata.resourceVersion, pod.metadata.resourceVersion);
    assert.equal(after.status?.conditions, undefined);
    // Still judged against the pod: a dry run on a bound pod is the same conflict.
    refused(
      await bind(admin, 'web', binding('web', 'node-b'), '?dryRun=All'),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "node-a"',
    );
    refused(
      await bind(admin, 'dry', binding('dry', 'node-a'), '?dryRun=Some'),
      400,
      'BadRequest',
      'Invalid dryRun value: "Some": supported values: "All"',
    );
  });

  it('needs create on pods/binding (or bindings): a reader and a node are refused, the scheduler is not', async () => {
    await createPod('guarded');
    const reader = await issueClient(fx, 'reader');
    const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/default';
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    };
    assert.equal((await send(admin, 'POST', `${rbac}/roles`, role)).code, 201);
    const rb = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pod-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'reader' }],
    };
    assert.equal((await send(admin, 'POST', `${rbac}/rolebindings`, rb)).code, 201);
    await waitFor('the role in force', async () =>
      (await send(reader, 'GET', podPath('guarded'))).code === 200 ? true : undefined,
    );
    refused(
      await bind(reader, 'guarded', binding('guarded', 'node-a')),
      403,
      'Forbidden',
      'pods "guarded" is forbidden: User "reader" cannot create resource "pods/binding" in API group "" in the namespace "default"',
    );
    refused(
      await bindLegacy(reader, binding('guarded', 'node-a')),
      403,
      'Forbidden',
      'bindings is forbidden: User "reader" cannot create resource "bindings" in API group "" in the namespace "default"',
    );
    const node = await issueClient(fx, 'system:node:node-a', ['system:nodes']);
    refused(
      await bind(node, 'guarded', binding('guarded', 'node-a')),
      403,
      'Forbidden',
      'pods "guarded" is forbidden: User "system:node:node-a" cannot create resource "pods/binding" in API group "" in the namespace "default"',
    );
    refused(
      await bindLegacy(node, binding('guarded', 'node-a')),
      403,
      'Forbidden',
      'bindings is forbidden: User "system:node:node-a" cannot create resource "bindings" in API group "" in the namespace "default"',
    );
    assert.equal((await getPod('guarded')).spec?.nodeName, undefined);

    const scheduler = await issueClient(fx, 'system:kube-scheduler');
    assert.equal((await bind(scheduler, 'guarded', binding('guarded', 'node-a'))).code, 201);
    await createPod('guarded-2');
    assert.equal((await bindLegacy(scheduler, binding('guarded-2', 'node-a'))).code, 201);
    assert.equal((await getPod('guarded-2')).spec?.nodeName, 'node-a');
    // Its role lets it read what it schedules by, and no more than that.
    const canI = async (verb: string, what: string, subresource = '') =>
      (
        await kubectl(fx, [
          'auth',
          'can-i',
          verb,
          what,
          '--as=system:kube-scheduler',
          ...(subresource ? [`--subresource=${subresource}`] : []),
        ])
      ).out.trim();
    assert.equal(await canI('watch', 'nodes'), 'yes');
    assert.equal(await canI('patch', 'pods', 'status'), 'yes');
    assert.equal(await canI('create', 'pods', 'binding'), 'yes');
    assert.equal(await canI('create', 'pods'), 'no');
    assert.equal(await canI('update', 'pods'), 'no');
    assert.equal(await canI('get', 'secrets'), 'no');
  });

  it('is admitted as a create of the Binding (a ValidatingAdmissionPolicy sees it) and audited as one', async () => {
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'no-forbidden-node' },
      spec: {
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods/binding', 'bindings'] },
          ],
        },
        validations: [{ expression: "object.target.name != 'forbidden'", message: 'not that node' }],
      },
    };
    const vapb = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'no-forbidden-node' },
      spec: { policyName: 'no-forbidden-node', validationActions: ['Deny'] },
    };
    const api = '/apis/admissionregistration.k8s.io/v1';
    assert.equal((await send(admin, 'POST', `${api}/validatingadmissionpolicies`, policy)).code, 201);
    assert.equal((await send(admin, 'POST', `${api}/validatingadmissionpolicybindings`, vapb)).code, 201);
    await createPod('admitted');
    // A denial without a reason of its own is Invalid (422), as upstream's.
    const denied = await waitFor('the policy in force', async () => {
      const r = await bind(admin, 'admitted', binding('admitted', 'forbidden'), '?dryRun=All');
      return r.code === 422 ? r : undefined;
    });
    assert.equal(
      denied.json.message,
      "pods \"admitted\" is forbidden: ValidatingAdmissionPolicy 'no-forbidden-node' with binding 'no-forbidden-node' denied request: not that node",
    );
    const legacy = await bindLegacy(admin, binding('admitted', 'forbidden'));
    assert.equal(legacy.code, 422, JSON.stringify(legacy.json));
    assert.match(legacy.json.message, /^bindings "admitted" is forbidden: ValidatingAdmissionPolicy/);
    assert.equal((await getPod('admitted')).spec?.nodeName, undefined);
    assert.equal((await bind(admin, 'admitted', binding('admitted', 'node-a'))).code, 201);

    const events = readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.stage === 'ResponseComplete' && e.objectRef?.name === 'admitted' && e.verb === 'create');
    const done = events.find((e) => e.objectRef?.subresource === 'binding' && e.responseStatus?.code === 201);
    assert.ok(done, JSON.stringify(events));
    assert.deepEqual(done.objectRef, {
      resource: 'pods',
      namespace: 'default',
      name: 'admitted',
      apiVersion: 'v1',
      subresource: 'binding',
    });
    assert.equal((done.requestObject as Json)?.target?.name, 'node-a');
  });

  it('discovery lists bindings and pods/binding (create only) as upstream', async () => {
    const core = (await send(admin, 'GET', '/api/v1')).json;
    const entry = (name: string) => core.resources.find((r: Json) => r.name === name);
    assert.deepEqual(entry('bindings'), {
      name: 'bindings',
      singularName: 'binding',
      namespaced: true,
      kind: 'Binding',
      verbs: ['create'],
    });
    assert.deepEqual(entry('pods/binding'), {
      name: 'pods/binding',
      singularName: '',
      namespaced: true,
      kind: 'Binding',
      verbs: ['create'],
    });
    const r = await kubectl(fx, ['api-resources', '--api-group=', '--no-headers']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /^bindings\s+v1\s+true\s+Binding$/m);
    // Create only: no get, and no object path on the collection.
    assert.equal((await send(admin, 'GET', `${podPath('web')}/binding`)).code, 405);
    assert.equal((await send(admin, 'GET', `${NS}/bindings`)).code, 405);
    assert.equal((await send(admin, 'POST', `${NS}/bindings/web`, binding('web', 'node-a'))).code, 404);
  });

  describe('pod field selectors', () => {
    const names = async (selector: string) => {
      const r = await send(admin, 'GET', `${NS}/pods?fieldSelector=${encodeURIComponent(selector)}`);
      assert.equal(r.code, 200, JSON.stringify(r.json));
      return (r.json.items as Pod[])
        .map((p) => p.metadata.name ?? '')
        .filter((n) => n.startsWith('fs-'))
        .sort();
    };

    before(async () => {
      await createPod('fs-pending');
      await createPod('fs-other-scheduler', { schedulerName: 'other' });
      await createPod('fs-host', { hostNetwork: true, restartPolicy: 'Never', serviceAccountName: 'default' });
      await createPod('fs-done');
      await patchStatus('fs-done', { phase: 'Succeeded' });
      await createPod('fs-running');
      await patchStatus('fs-running', {
        phase: 'Running',
        podIP: '10.0.0.7',
        podIPs: [{ ip: '10.0.0.7' }],
        nominatedNodeName: 'node-n',
      });
      for (const p of ['fs-done', 'fs-running']) assert.equal((await bind(admin, p, binding(p, 'node-f'))).code, 201);
    });

    it("the scheduler's unassigned and assigned pods", async () => {
      assert.deepEqual(
        await names('spec.schedulerName=default-scheduler,spec.nodeName=,status.phase!=Succeeded,status.phase!=Failed'),
        ['fs-host', 'fs-pending'],
      );
      assert.deepEqual(await names('spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed'), ['fs-running']);
      assert.deepEqual(await names('spec.nodeName=node-f'), ['fs-done', 'fs-running']);
    });

    it('every field label upstream accepts for pods selects', async () => {
      assert.deepEqual(await names('metadata.name=fs-host'), ['fs-host']);
      assert.deepEqual(await names('metadata.namespace=default,spec.schedulerName=other'), ['fs-other-scheduler']);
      assert.deepEqual(await names('spec.restartPolicy=Never'), ['fs-host']);
      assert.deepEqual(await names('spec.hostNetwork=true'), ['fs-host']);
      assert.equal((await names('spec.hostNetwork=false')).length, 4);
      // ServiceAccount admission is off here, so only the pod naming its account has one.
      assert.equal((await names('spec.serviceAccountName=default')).length, 1);
      assert.equal((await names('spec.serviceAccountName=')).length, 4);
      assert.deepEqual(await names('status.phase=Running'), ['fs-running']);
      assert.deepEqual(await names('status.podIP=10.0.0.7'), ['fs-running']);
      assert.deepEqual(await names('status.nominatedNodeName=node-n'), ['fs-running']);
      // A label upstream accepts but gives no value: it reads as empty.
      assert.equal((await names('status.podIPs=')).length, 5);
      assert.deepEqual(await names('status.podIPs=10.0.0.7'), []);
      refused(
        await send(admin, 'GET', `${NS}/pods?fieldSelector=spec.priority%3D0`),
        400,
        'BadRequest',
        'field label not supported: spec.priority',
      );
    });

    it("a watch on spec.nodeName sees a pod bound to the node arrive, as the kubelet's does", async () => {
      const pod = await createPod('fs-late');
      const added = watchFor(
        `${NS}/pods?watch=true&fieldSelector=${encodeURIComponent('spec.nodeName=node-late')}&resourceVersion=${pod.metadata.resourceVersion}&timeoutSeconds=10`,
        (e) => e.object?.metadata?.name === 'fs-late',
      );
      assert.equal((await bind(admin, 'fs-late', binding('fs-late', 'node-late'))).code, 201);
      const e = await added;
      assert.equal(e.type, 'ADDED');
      assert.equal(e.object.spec.nodeName, 'node-late');
    });
  });
});
