// Auditing against a real apiserver: the policy's levels and stages, the authorization decision
// annotations, a failed authentication, a watch's ResponseStarted, Audit-Id, and rotation.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFlags } from '@mkube/shared/flags';
import WebSocket from 'ws';
import { type AuditEvent, LogBackend, loadPolicy, PolicyRuleEvaluator } from '../../src/audit/index.ts';
import { APISERVER_FLAGS, ConfigError, loadApiServerConfig } from '../../src/config/index.ts';
import { curl, type Fixture, issueClient, kubectl, serverArgs, startFixture, tempDir } from './fixture.ts';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version"]
- level: Metadata
  resources: [{group: "", resources: ["secrets"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
- level: Request
  verbs: ["create"]
- level: Metadata
`;

// Every folder a test makes is removed when the file's tests end.
const made: string[] = [];
const dirFor = (prefix: string): string => {
  const d = tempDir(prefix);
  made.push(d);
  return d;
};
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('audit log', () => {
  let f: Fixture;
  let log: string;
  const events = (): AuditEvent[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
  const byId = (id: string) => events().filter((e) => e.auditID === id);

  before(async () => {
    const dir = dirFor('audit-policy');
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, POLICY);
    log = join(dir, 'logs', 'audit.log');
    f = await startFixture(['--authorization-mode=RBAC', `--audit-policy-file=${policy}`, `--audit-log-path=${log}`]);
  });
  after(async () => {
    await f?.close();
  });

  const idOf = (r: { stderr: string }) => /< audit-id: (\S+)/i.exec(r.stderr)?.[1] ?? '';

  it('a create at RequestResponse: both stages, the objects, the RBAC decision, Audit-Id', async () => {
    const r = await curl(f, '/api/v1/namespaces/default/configmaps', [
      '-v',
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-H',
      'User-Agent: audit-test/1',
      '--data-binary',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"audited"},"data":{"k":"v"}}',
    ]);
    assert.equal(r.code, 201, r.body);
    const id = idOf(r);
    assert.match(id, /^[0-9a-f-]{36}$/);
    const evs = byId(id);
    assert.deepEqual(
      evs.map((e) => e.stage),
      ['RequestReceived', 'ResponseComplete'],
    );
    const [rcv, done] = evs as [AuditEvent, AuditEvent];
    for (const e of evs) {
      assert.equal(e.kind, 'Event');
      assert.equal(e.apiVersion, 'audit.k8s.io/v1');
      assert.equal(e.level, 'RequestResponse');
      assert.equal(e.verb, 'create');
      assert.equal(e.requestURI, '/api/v1/namespaces/default/configmaps');
      assert.equal(e.user.username, 'kubernetes-admin');
      assert.deepEqual(e.user.groups, ['kubeadm:cluster-admins', 'system:authenticated']);
      // 1.33 names the certificate a user came with.
      assert.match(
        e.user.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '',
        /^X509SHA256=[0-9a-f]{64}$/,
      );
      assert.deepEqual(e.sourceIPs, ['127.0.0.1']);
      assert.equal(e.userAgent, 'audit-test/1');
      assert.match(e.requestReceivedTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    assert.equal(rcv.responseStatus, undefined);
    assert.equal(rcv.annotations, undefined, 'the decision is recorded after RequestReceived, as upstream');
    assert.deepEqual(done.objectRef, {
      resource: 'configmaps',
      namespace: 'default',
      name: 'audited',
      apiVersion: 'v1',
    });
    assert.deepEqual(done.responseStatus, { metadata: {}, code: 201 });
    assert.deepEqual((done.requestObject as { data: unknown }).data, { k: 'v' });
    assert.match((done.responseObject as { metadata: { uid: string } }).metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(done.annotations?.['authorization.k8s.io/decision'], 'allow');
    assert.match(
      done.annotations?.['authorization.k8s.io/reason'] ?? '',
      /^RBAC: allowed by ClusterRoleBinding "[^"]+" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"$/,
    );
  });

  it('Metadata level keeps no bodies; None records nothing but still answers with an Audit-Id', async () => {
    const r = await curl(f, '/api/v1/namespaces/default/secrets', [
      '-v',
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"stringData":{"password":"hunter2"}}',
    ]);
    assert.equal(r.code, 201, r.body);
    const [, done] = byId(idOf(r));
    assert.equal(done?.level, 'Metadata');
    assert.equal(done?.objectRef?.name, 's1', 'a created object is named at Metadata level');
    assert.equal(done?.requestObject, undefined);
    assert.equal(done?.responseObject, undefined);
    assert.doesNotMatch(readFileSync(log, 'utf8'), /hunter2/);

    const h = await curl(f, '/healthz', ['-v']);
    assert.equal(h.code, 200);
    const hid = idOf(h);
    assert.match(hid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(byId(hid), []);
  });

  it('keeps the Audit-ID a client (a front proxy) sent, on the response and in the events', async () => {
    const r = await curl(f, '/api/v1/namespaces/default/configmaps/audited', ['-v', '-H', 'Audit-ID: trace-7f3a']);
    assert.equal(r.code, 200, r.body);
    assert.equal(idOf(r), 'trace-7f3a');
    assert.ok(byId('trace-7f3a').length >= 1, 'the events carry the client’s ID');
  });

  it("/metrics counts every request's policy level and every event sent to the backend", async () => {
    const value = (text: string, line: string) => Number(new RegExp(`^${line} (\\S+)$`, 'm').exec(text)?.[1] ?? '0');
    const scrape = async () => {
      const before = events().length;
      const r = await curl(f, '/metrics');
      assert.equal(r.code, 200, r.body);
      return { text: r.body, before, after: events().length };
    };
    const first = await scrape();
    assert.equal((await curl(f, '/healthz')).code, 200); // level None: no event
    assert.equal((await kubectl(f, ['get', 'secrets', '-n', 'default'])).status, 0); // Metadata
    const second = await scrape();
    const delta = (line: string) => value(second.text, line) - value(first.text, line);
    assert.ok(delta('apiserver_audit_level_total\\{level="None"\\}') >= 1);
    assert.ok(delta('apiserver_audit_level_total\\{level="Metadata"\\}') >= 2, 'the list and the second scrape');
    // Every event is counted as it is written: the scrape sees all lines written before it and
    // none written after (its own ResponseComplete).
    const counted = value(second.text, 'apiserver_audit_event_total');
    assert.ok(counted >= second.before && counted <= second.after, `${second.before} <= ${counted} <= ${second.after}`);
    assert.match(second.text, /^# HELP apiserver_audit_event_total \[ALPHA\] /m);
  });

  it('a forbidden request records the decision and the Forbidden Status', async () => {
    const eve = await issueClient(f, 'eve', ['staff']);
    const r = await kubectl({ kubeconfig: eve.kubeconfig, dir: f.dir }, ['get', 'secrets', '-n', 'kube-system']);
    assert.notEqual(r.status, 0);
    const e = events().find(
      (x) => x.user.username === 'eve' && x.stage === 'ResponseComplete' && x.objectRef?.resource === 'secrets',
    );
    assert.ok(e, JSON.stringify(events().slice(-3)));
    assert.equal(e.verb, 'list');
    assert.equal(e.annotations?.['authorization.k8s.io/decision'], 'forbid');
    assert.equal(e.annotations?.['authorization.k8s.io/reason'], '');
    assert.equal(e.responseStatus?.code, 403);
    assert.equal(e.responseStatus?.reason, 'Forbidden');
    assert.equal(e.responseStatus?.status, 'Failure');
    assert.match(
      e.responseStatus?.message ?? '',
      /^secrets is forbidden: User "eve" cannot list resource "secrets" in API group "" in the namespace "kube-system"$/,
    );
  });

  it('a failed authentication is one ResponseStarted event with no user and what was tried', async () => {
    const r = await curl(
      f,
      '/api/v1/namespaces/default/pods',
      ['-v', '-H', 'Authorization: Bearer not-a-real-token'],
      false,
    );
    assert.equal(r.code, 401);
    const evs = byId(idOf(r));
    assert.equal(evs.length, 1, JSON.stringify(evs));
    assert.equal(evs[0]!.stage, 'ResponseStarted');
    assert.deepEqual(evs[0]!.user, {});
    assert.equal(evs[0]!.verb, 'list');
    assert.deepEqual(evs[0]!.responseStatus, {
      metadata: {},
      message: 'Authentication failed, attempted: bearer',
      code: 401,
    });
    assert.doesNotMatch(readFileSync(log, 'utf8'), /not-a-real-token/);
  });

  it('a watch records ResponseStarted when its headers go out and ResponseComplete when it ends', async () => {
    const r = await curl(f, '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1', ['-v']);
    assert.equal(r.code, 200);
    const evs = byId(idOf(r));
    assert.deepEqual(
      evs.map((e) => [e.stage, e.responseStatus?.code]),
      [
        ['RequestReceived', undefined],
        ['ResponseStarted', 200],
        ['ResponseComplete', 200],
      ],
    );
    assert.equal(evs[1]!.responseObject, undefined, 'a watch stream is not a response object');
  });

  it('a watch over WebSocket: ResponseStarted 101, ResponseComplete when the socket closes', async () => {
    const before = events().length;
    const ws = new WebSocket(`${f.url.replace('https', 'wss')}/api/v1/namespaces/default/configmaps?watch=true`, {
      ca: readFileSync(f.pki.caCrt),
      cert: readFileSync(f.pki.adminCrt),
      key: readFileSync(f.pki.adminKey),
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
    await new Promise<void>((r) => ws.once('close', () => r()));
    let evs: AuditEvent[] = [];
    for (let i = 0; i < 50; i++) {
      evs = events()
        .slice(before)
        .filter((e) => e.verb === 'watch');
      if (evs.some((e) => e.stage === 'ResponseComplete')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(
      evs.map((e) => [e.stage, e.responseStatus?.code]),
      [
        ['RequestReceived', undefined],
        ['ResponseStarted', 101],
        ['ResponseComplete', 101],
      ],
    );
  });
});

describe('audit policy', () => {
  const attrs = (o: Partial<import('@mkube/shared/auth').Attributes>) => ({
    user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
    verb: 'get',
    isResourceRequest: true,
    path: '/api/v1/namespaces/ns/pods/p',
    namespace: 'ns',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: '',
    name: 'p',
    ...o,
  });
  const evaluator = (rules: string) => {
    const dir = dirFor('audit-rules');
    writeFileSync(
      join(dir, 'p.yaml'),
      `apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n${rules}`,
    );
    return new PolicyRuleEvaluator(loadPolicy(join(dir, 'p.yaml')));
  };

  it('matches as upstream: subresource wildcards, resource names, namespaces, URLs, users and groups', () => {
    const p = evaluator(`- level: RequestResponse
  resources: [{group: "", resources: ["*/status"]}]
- level: Request
  resources: [{group: "", resources: ["pods/*"]}]
- level: None
  resources: [{group: "", resources: ["configmaps"], resourceNames: ["leader"]}]
- level: Metadata
  namespaces: [""]
- level: None
  userGroups: ["system:nodes"]
- level: Request
  nonResourceURLs: ["/apis*"]
- level: Metadata
  users: ["alice"]
  omitStages: [ResponseStarted]
`);
    const lv = (o: Parameters<typeof attrs>[0], authenticated = true) => p.evaluate(attrs(o), authenticated).level;
    assert.equal(lv({ subresource: 'status' }), 'RequestResponse');
    assert.equal(lv({ resource: 'nodes', subresource: 'status', namespace: '' }), 'RequestResponse');
    assert.equal(lv({ subresource: 'log' }), 'Request');
    assert.equal(lv({ resource: 'configmaps', name: 'leader' }), 'None');
    assert.equal(lv({ resource: 'configmaps', name: 'other' }), 'Metadata', 'falls through to the users rule');
    assert.equal(lv({ resource: 'nodes', namespace: '', name: 'n1' }), 'Metadata');
    assert.equal(
      lv({ resource: 'configmaps', name: 'x', user: { username: 'system:node:n1', groups: ['system:nodes'] } }),
      'None',
    );
    assert.equal(lv({ isResourceRequest: false, path: '/apis/apps', resource: '', namespace: '' }), 'Request');
    assert.equal(lv({ user: { username: 'bob', groups: [] } }), 'Request', '"pods/*" matches pods too, as upstream');
    const cm = { resource: 'configmaps', name: 'other' };
    assert.equal(lv({ ...cm, user: { username: 'bob', groups: [] } }), 'None', 'no rule matched');
    assert.equal(lv(cm, false), 'None', 'rules naming users do not match a request without one');
    const c = p.evaluate(attrs(cm));
    assert.deepEqual([...c.omitStages].sort(), ['RequestReceived', 'ResponseStarted']);
  });

  it('a bad policy is a start-up error naming the flag, the file and the problem', () => {
    const dir = dirFor('audit-bad');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n- level: None\n  resources: [{resources: [pods]}]\n  nonResourceURLs: ["/x"]\n',
    );
    const load = (extra: string[]) => {
      const parsed = parseFlags(
        APISERVER_FLAGS,
        serverArgs({ serverCrt: '', serverKey: '', caCrt: '' } as never, join(dir, 'd'), extra),
      );
      return loadApiServerConfig(parsed.flags, parsed.given);
    };
    let msg = '';
    try {
      load([`--audit-policy-file=${bad}`, `--audit-log-path=${join(dir, 'a.log')}`]);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      msg = e.message;
    }
    assert.match(msg, /audit-policy-file/);
    assert.match(msg, new RegExp(`${bad.replace(/[.]/g, '\\.')}: rules\\[0\\]\\.level: Unsupported value: "Loud"`));
    assert.match(
      msg,
      /rules\[1\]\.nonResourceURLs: .*rules cannot apply to both regular resources and non-resource URLs/,
    );
    writeFileSync(bad, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n');
    assert.throws(() => loadPolicy(bad), /loaded illegal policy with 0 rules/);
  });

  it('the example policy in deploy/ loads and says what it promises', () => {
    const p = new PolicyRuleEvaluator(loadPolicy(join(import.meta.dirname, '../../../deploy/audit-policy.yaml')));
    const lv = (o: Parameters<typeof attrs>[0]) => p.evaluate(attrs(o)).level;
    assert.equal(lv({ resource: 'secrets', verb: 'create' }), 'Metadata');
    assert.equal(
      lv({ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', verb: 'create', namespace: '' }),
      'RequestResponse',
    );
    assert.equal(
      lv({
        apiGroup: 'certificates.k8s.io',
        resource: 'certificatesigningrequests',
        subresource: 'approval',
        verb: 'update',
        namespace: '',
      }),
      'RequestResponse',
    );
    assert.equal(lv({ subresource: 'exec', verb: 'create' }), 'Metadata');
    assert.equal(lv({ isResourceRequest: false, path: '/healthz', resource: '' }), 'None');
    assert.equal(
      lv({
        user: { username: 'system:node:n1', groups: ['system:nodes'] },
        apiGroup: 'coordination.k8s.io',
        resource: 'leases',
        verb: 'update',
      }),
      'None',
    );
    assert.equal(lv({ verb: 'create' }), 'Request');
    assert.equal(lv({}), 'Metadata');
  });

  it('the log rotates by size and keeps --audit-log-maxbackup files', () => {
    const dir = dirFor('audit-rotate');
    const path = join(dir, 'audit.log');
    let t = Date.parse('2026-12-02T10:00:00Z');
    const now = () => {
      t += 1000;
      return new Date(t);
    };
    const b = new LogBackend({ path, maxSizeMB: 1, maxBackups: 1, maxAgeDays: 0, now });
    const ev = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: 'x'.repeat(36),
      stage: 'ResponseComplete',
      requestURI: `/${'a'.repeat(1000)}`,
      verb: 'get',
      user: {},
      requestReceivedTimestamp: '',
      stageTimestamp: '',
    } as AuditEvent;
    for (let i = 0; i < 2500; i++) b.write(ev);
    b.close();
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 2, files.join(' '));
    assert.equal(files[1], 'audit.log');
    assert.match(files[0]!, /^audit-2026-12-02T10-00-0\d\.\d{3}\.log$/);
    for (const name of files) {
      const text = readFileSync(join(dir, name), 'utf8');
      assert.ok(text.length <= 1024 * 1024, `${name} holds at most 1 MB`);
      for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
    }
  });
});
