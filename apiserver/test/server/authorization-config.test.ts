// --authorization-config end to end: an AuthorizationConfiguration with a Webhook authorizer asked
// only where its CEL matchConditions hold, its failurePolicy, Node and RBAC after it, the file
// reloaded while the apiserver runs; real HTTPS webhook, curl and kubectl.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Responder, startWebhookServer, type WebhookServer } from '../auth/webhook-fixture.ts';
import {
  configError,
  curl,
  type Fixture,
  issueClient,
  kubectl,
  loadConfig,
  makePki,
  startFixture,
  tempDir,
} from './fixture.ts';

const responder: Responder = (body) => {
  const ra = body?.spec?.resourceAttributes;
  const answer = (status: object) => ({ json: { apiVersion: body.apiVersion, kind: 'SubjectAccessReview', status } });
  if (ra?.resource === 'secrets') return answer({ allowed: false, denied: true, reason: 'wh: no secrets here' });
  if (ra?.resource === 'configmaps') return answer({ allowed: true, reason: 'wh: configmaps ok' });
  return answer({ allowed: false });
};

function configYaml(kubeconfig: string, opts: { failurePolicy?: string; conditions?: string[]; extra?: string } = {}) {
  const conditions = opts.conditions ?? [
    'has(request.resourceAttributes)',
    "request.resourceAttributes.namespace == 'team-a'",
  ];
  return `apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: Webhook
  name: team-a-webhook
  webhook:
    timeout: 3s
    subjectAccessReviewVersion: v1
    matchConditionSubjectAccessReviewVersion: v1
    failurePolicy: ${opts.failurePolicy ?? 'NoOpinion'}
    authorizedTTL: 1s
    unauthorizedTTL: 1s
    connectionInfo:
      type: KubeConfigFile
      kubeConfigFile: ${kubeconfig}
    matchConditions:
${conditions.map((c) => `    - expression: ${JSON.stringify(c)}`).join('\n')}
- type: Node
  name: node
- type: RBAC
  name: rbac
${opts.extra ?? ''}`;
}

describe('--authorization-config', () => {
  let dir = '';
  let wh: WebhookServer;
  let fx: Fixture;
  let file = '';
  let kc = '';
  let alice: { kubeconfig: string; dir: string };
  before(async () => {
    dir = tempDir('authz-config');
    wh = await startWebhookServer(join(dir, 'webhook'), responder);
    kc = wh.kubeconfig(join(dir, 'authz.conf'), { path: '/authz' });
    file = join(dir, 'authz.yaml');
    writeFileSync(file, configYaml(kc));
    fx = await startFixture([`--authorization-config=${file}`]);
    alice = await issueClient(fx, 'alice', ['devs']);
  });
  after(async () => {
    await fx?.close();
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const asked = (ns: string) => wh.requests.filter((r) => r.body?.spec?.resourceAttributes?.namespace === ns);

  it('asks the webhook only where its matchConditions hold; RBAC decides elsewhere', async () => {
    const inA = await kubectl(alice, ['get', 'configmaps', '-n', 'team-a']);
    assert.equal(inA.status, 0, inA.err);
    assert.equal(asked('team-a').length, 1);
    const inB = await kubectl(alice, ['get', 'configmaps', '-n', 'team-b']);
    assert.notEqual(inB.status, 0, 'RBAC grants alice nothing');
    assert.match(inB.err, /User "alice" cannot list resource "configmaps" in API group "" in the namespace "team-b"/);
    assert.equal(asked('team-b').length, 0, 'the condition kept the webhook out');
    const secrets = await kubectl(alice, ['auth', 'can-i', 'get', 'secrets', '-n', 'team-a']);
    assert.equal(secrets.out.trim(), 'no - wh: no secrets here');
    // RBAC, after the webhook, serves the admin; the webhook's deny in its namespace is final even for it.
    assert.equal((await kubectl(fx, ['get', 'secrets', '-n', 'team-b'])).status, 0);
    const adminA = await kubectl(fx, ['get', 'secrets', '-n', 'team-a']);
    assert.notEqual(adminA.status, 0);
    assert.match(adminA.err, /wh: no secrets here/);
  });

  it('the SubjectAccessReview is v1 with the webhook kubeconfig’s client certificate', async () => {
    const sar = asked('team-a')[0]!;
    assert.equal(sar.body.apiVersion, 'authorization.k8s.io/v1');
    assert.deepEqual(sar.body.spec.groups, ['devs', 'system:authenticated']);
    assert.equal(sar.clientCN, 'webhook-client');
  });

  it('is reloaded when the file changes: failurePolicy Deny with the webhook down denies even the admin there', async () => {
    writeFileSync(file, configYaml(join(dir, 'authz.conf'), { failurePolicy: 'Deny' }));
    await wh.close();
    const end = Date.now() + 10_000;
    let r = await kubectl(fx, ['get', 'pods', '-n', 'team-a']);
    while (r.status === 0 && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 200));
      r = await kubectl(fx, ['get', 'pods', '-n', 'team-a']);
    }
    assert.notEqual(r.status, 0, 'the failed webhook denies');
    assert.match(r.err, /Forbidden/);
    assert.equal((await kubectl(fx, ['get', 'pods', '-n', 'team-b'])).status, 0, 'outside its conditions RBAC decides');
    assert.ok(fx.logs.some((l) => l.includes('reloaded the authorization configuration')));
    const reloads = async (status: string) => {
      const m = await curl(fx, '/metrics');
      const series = `apiserver_authorization_config_controller_automatic_reloads_total{status="${status}",apiserver_id_hash="sha256:`;
      const line = m.body.split('\n').find((l) => l.startsWith(series));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    assert.equal(await reloads('success'), 1);
    // A file that does not validate keeps the running chain (and is logged).
    writeFileSync(file, configYaml(join(dir, 'authz.conf'), { failurePolicy: 'Maybe' }));
    await new Promise((res) => setTimeout(res, 2500));
    assert.notEqual((await kubectl(fx, ['get', 'pods', '-n', 'team-a'])).status, 0, 'still Deny');
    assert.ok(fx.logs.some((l) => l.includes('keeping the running one') && l.includes('failurePolicy')));
    assert.equal(await reloads('failure'), 1);
  });
});

describe('--authorization-config errors', () => {
  let dir = '';
  before(() => {
    dir = tempDir('authz-config-errors');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const check = (name: string, body: string, re: RegExp, extra: string[] = []) =>
    it(name, () => {
      const sub = join(dir, name.replace(/\W+/g, '-'));
      mkdirSync(sub);
      const pki = makePki(sub);
      const file = join(pki.dir, 'authz.yaml');
      writeFileSync(file, body);
      const msg = configError(() =>
        loadConfig(pki, join(pki.dir, 'data'), [`--authorization-config=${file}`, ...extra]),
      );
      assert.match(msg, re);
    });
  const head = 'apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\n';
  check(
    'no authorizers',
    `${head}authorizers: []\n`,
    /authorizers: Required value: at least one authorization mode must be defined/,
  );
  check(
    'unknown type',
    `${head}authorizers:\n- {type: ABAC, name: abac}\n`,
    /authorizers\[0\]\.type: Unsupported value: "ABAC": supported values: "AlwaysAllow", "AlwaysDeny", "Node", "RBAC", "Webhook"/,
  );
  check(
    'duplicate RBAC',
    `${head}authorizers:\n- {type: RBAC, name: a}\n- {type: RBAC, name: b}\n`,
    /authorizers\[1\]\.type: Duplicate value: "RBAC"/,
  );
  check(
    'bad name',
    `${head}authorizers:\n- {type: RBAC, name: Bad_Name}\n`,
    /authorizers\[0\]\.name: Invalid value: "Bad_Name": authorizer name is invalid/,
  );
  check(
    'webhook on RBAC',
    `${head}authorizers:\n- {type: RBAC, name: rbac, webhook: {timeout: 3s}}\n`,
    /authorizers\[0\]\.webhook: Invalid value: "non-null": may only be specified when type=Webhook/,
  );
  check(
    'webhook fields',
    `${head}authorizers:\n- type: Webhook\n  name: w\n  webhook:\n    timeout: 45s\n    connectionInfo: {type: KubeConfigFile, kubeConfigFile: relative.conf}\n    matchConditions: [{expression: "request.user +"}]\n`,
    /timeout: Invalid value: "45s": must be > 0s and <= 30s.*subjectAccessReviewVersion: Required value.*matchConditionSubjectAccessReviewVersion: Required value: required if match conditions are specified.*failurePolicy: Required value.*kubeConfigFile: Invalid value: "relative.conf": must be an absolute path.*matchConditions\[0\]\.expression: Invalid value: "request.user \+": compilation failed/s,
  );
  check(
    'unknown field',
    `${head}authorizers:\n- {type: RBAC, name: rbac, mode: x}\n`,
    /strict decoding error: unknown field "authorizers\[0\]\.mode"/,
  );
  check(
    'with --authorization-mode',
    `${head}authorizers:\n- {type: RBAC, name: rbac}\n`,
    /--authorization-config can not be specified when --authorization-mode or --authorization-webhook-\* flags are defined/,
    ['--authorization-mode=RBAC'],
  );
});

describe('system:masters before every authorizer', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=AlwaysDeny']);
  });
  after(() => fx?.close());

  it('AlwaysDeny forbids everyone but a member of system:masters', async () => {
    const other = await issueClient(fx, 'ops', ['kubeadm:cluster-admins']);
    const denied = await curl(
      { url: fx.url, pki: { ...fx.pki, adminCrt: other.crt, adminKey: other.key } },
      '/api/v1/namespaces',
    );
    assert.equal(denied.code, 403);
    assert.match(
      JSON.parse(denied.body).message,
      /^namespaces is forbidden: User "ops" cannot list resource "namespaces" in API group "" at the cluster scope: Everything is forbidden\.$/,
    );
    const master = await issueClient(fx, 'root', ['system:masters']);
    const allowed = await kubectl(master, ['get', 'ns', '-o', 'name']);
    assert.equal(allowed.status, 0, allowed.err);
    assert.match(allowed.out, /namespace\/default/);
  });
});
