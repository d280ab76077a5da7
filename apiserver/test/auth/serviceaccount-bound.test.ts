// Bound service-account tokens with the real kubectl (facts §13; KEP-4193, GA in 1.32/1.33): a
// pod-bound token names the pod's node (ServiceAccountTokenPodNodeInfo), a token may be bound to
// a Node and then lives as long as that Node, the authenticated user carries pod, node and
// credential-id extras, and TokenRequest refuses bindings as upstream's TokenREST does.
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { algorithmOf, keyId } from '@mkube/shared/serviceaccount';
import { SignJWT } from 'jose';
import {
  curl,
  curlToken,
  type Fixture,
  kubectl,
  selfSubjectReview,
  startFixture,
  tempDir,
  tokenKubeconfig,
} from '../server/fixture.ts';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('bound service-account tokens: pods, nodes and their claims', () => {
  let fx: Fixture;
  let keyDir: string;
  let auditLog: string;
  let signingKey: KeyObject;
  const uids: Record<string, string> = {};

  before(async () => {
    keyDir = tempDir('sa-bound');
    const key = await generateKeyPair('ecdsa-p256');
    writeFileSync(join(keyDir, 'sa.key'), encodePrivateKeyPem(key), { mode: 0o600 });
    writeFileSync(join(keyDir, 'sa.pub'), encodePublicKeyPem(key));
    signingKey = createPrivateKey(encodePrivateKeyPem(key));
    const policy = join(keyDir, 'audit.yaml');
    writeFileSync(
      policy,
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n  resources: [{group: "", resources: ["serviceaccounts/token"]}, {group: authentication.k8s.io, resources: [selfsubjectreviews]}]\n- level: None\n',
    );
    auditLog = join(keyDir, 'audit.log');
    fx = await startFixture(
      [
        '--authorization-mode=RBAC',
        `--service-account-key-file=${join(keyDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(keyDir, 'sa.key')}`,
        `--service-account-issuer=${ISSUER}`,
        '--service-account-max-token-expiration=2h',
        `--audit-policy-file=${policy}`,
        `--audit-log-path=${auditLog}`,
      ],
      // Revocation is checked at once: no token cache, as upstream's integration tests.
      { tokenSuccessCacheTtlMs: 0 },
    );
    const manifest = [
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: other}',
      'apiVersion: v1\nkind: Node\nmetadata: {name: n1}',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec:\n  serviceAccountName: robot\n  nodeName: n1\n  containers: [{name: c, image: x}]',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: ghost}\nspec:\n  serviceAccountName: robot\n  nodeName: n-missing\n  containers: [{name: c, image: x}]',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: theirs}\nspec:\n  serviceAccountName: other\n  containers: [{name: c, image: x}]',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}',
    ].join('\n---\n');
    const file = join(fx.dir, 'objects.yaml');
    writeFileSync(file, manifest);
    const r = await kubectl(fx, ['create', '-f', file]);
    assert.equal(r.status, 0, r.err);
    for (const [kind, name] of [
      ['node', 'n1'],
      ['pod', 'p1'],
      ['serviceaccount', 'robot'],
    ] as const) {
      const g = await kubectl(fx, ['get', kind, name, '-o', 'jsonpath={.metadata.uid}']);
      assert.equal(g.status, 0, g.err);
      uids[name] = g.out.trim();
    }
    // The token authenticator reads accounts and pods from watch-fed caches.
    await new Promise((r) => setTimeout(r, 300));
  });
  after(async () => {
    await fx?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  async function createToken(args: string[]): Promise<string> {
    const r = await kubectl(fx, ['create', 'token', 'robot', ...args]);
    assert.equal(r.status, 0, r.err);
    return r.out.trim();
  }
  async function whoami(token: string): Promise<{ username: string; extra?: Record<string, string[]> }> {
    const kubeconfig = tokenKubeconfig(fx, `who-${token.slice(-6).replace(/\W/g, '_')}`, token);
    const r = await kubectl({ kubeconfig, dir: fx.dir }, ['auth', 'whoami', '-o', 'json']);
    assert.equal(r.status, 0, r.err);
    return JSON.parse(r.out).status.userInfo;
  }

  it("a pod-bound token names the pod and the pod's node by name and uid, and the user carries them as extras", async () => {
    const token = await createToken(['--bound-object-kind=Pod', '--bound-object-name=p1']);
    const k = claimsOf(token)['kubernetes.io'];
    assert.deepEqual(k.pod, { name: 'p1', uid: uids.p1 });
    assert.deepEqual(k.node, { name: 'n1', uid: uids.n1 });
    assert.equal(k.secret, undefined);
    const user = await whoami(token);
    assert.equal(user.username, 'system:serviceaccount:default:robot');
    assert.deepEqual(user.extra, {
      'authentication.kubernetes.io/pod-name': ['p1'],
      'authentication.kubernetes.io/pod-uid': [uids.p1],
      'authentication.kubernetes.io/node-name': ['n1'],
      'authentication.kubernetes.io/node-uid': [uids.n1],
      'authentication.kubernetes.io/credential-id': [`JTI=${claimsOf(token).jti}`],
    });
  });

  it("a pod on a Node that does not exist gets the node's name alone, and no node-uid extra", async () => {
    const token = await createToken(['--bound-object-kind=Pod', '--bound-object-name=ghost']);
    assert.deepEqual(claimsOf(token)['kubernetes.io'].node, { name: 'n-missing' });
    const user = await whoami(token);
    assert.deepEqual(user.extra?.['authentication.kubernetes.io/node-name'], ['n-missing']);
    assert.equal(user.extra?.['authentication.kubernetes.io/node-uid'], undefined);
  });

  it('a pod running as another ServiceAccount cannot carry this account’s token (400)', async () => {
    const r = await kubectl(fx, ['create', 'token', 'robot', '--bound-object-kind=Pod', '--bound-object-name=theirs']);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name\./,
    );
  });

  it('a bound-object uid that is not the object’s is a 409 Conflict, not a token', async () => {
    const r = await kubectl(fx, [
      'create',
      'token',
      'robot',
      '--bound-object-kind=Pod',
      '--bound-object-name=p1',
      '--bound-object-uid=00000000-0000-0000-0000-000000000000',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /Operation cannot be fulfilled on Pod "p1": the UID in the bound object reference \(00000000-0000-0000-0000-000000000000\) does not match the UID in record/,
    );
  });

  it('binding to a kind TokenRequest does not support is a 400 naming the group, version and kind', async () => {
    const body = JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'cm' } },
    });
    const r = await curl(fx, '/api/v1/namespaces/default/serviceaccounts/robot/token', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      body,
    ]);
    assert.equal(r.code, 400, r.body);
    assert.equal(JSON.parse(r.body).message, 'cannot bind token to object of type /v1, Kind=ConfigMap');
  });

  it('a token bound to a Node authenticates with node extras until that Node is deleted, and not once it is recreated', async () => {
    const token = await createToken(['--bound-object-kind=Node', '--bound-object-name=n1']);
    const k = claimsOf(token)['kubernetes.io'];
    assert.deepEqual(k.node, { name: 'n1', uid: uids.n1 });
    assert.equal(k.pod, undefined);
    const user = await whoami(token);
    assert.deepEqual(user.extra?.['authentication.kubernetes.io/node-name'], ['n1']);
    assert.deepEqual(user.extra?.['authentication.kubernetes.io/node-uid'], [uids.n1]);
    assert.equal(user.extra?.['authentication.kubernetes.io/pod-name'], undefined);
    assert.equal(await curlToken(fx, token), '200');
    assert.equal((await kubectl(fx, ['delete', 'node', 'n1'])).status, 0);
    assert.equal(await curlToken(fx, token), '401', 'the node is gone');
    const file = join(fx.dir, 'n1.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n');
    assert.equal((await kubectl(fx, ['create', '-f', file])).status, 0);
    assert.equal(await curlToken(fx, token), '401', 'a recreated node has a new uid');
  });

  it('a Node that does not exist cannot be bound (404)', async () => {
    const r = await kubectl(fx, ['create', 'token', 'robot', '--bound-object-kind=Node', '--bound-object-name=nope']);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /nodes "nope" not found/);
  });

  it('a duration over --service-account-max-token-expiration is shortened, with a Warning saying so', async () => {
    const r = await kubectl(fx, ['create', 'token', 'robot', '--duration=3h']);
    assert.equal(r.status, 0, r.err);
    const c = claimsOf(r.out.trim());
    assert.equal(c.exp - c.iat, 7200);
    assert.match(r.err, /Warning: requested expiration of 10800 seconds shortened to 7200 seconds/);
  });

  it('the audit event of a TokenRequest names the issued credential (issued-credential-id)', async () => {
    const token = await createToken([]);
    const jti = claimsOf(token).jti as string;
    let found: Record<string, string> | undefined;
    for (let i = 0; i < 40 && !found; i++) {
      const events = readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      found = events.find(
        (e) =>
          e.objectRef?.subresource === 'token' &&
          e.stage === 'ResponseComplete' &&
          e.responseStatus?.code === 201 &&
          e.annotations?.['authentication.kubernetes.io/issued-credential-id'] === `JTI=${jti}`,
      )?.annotations;
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(found, 'no audit event carries the token’s credential id');
  });

  const auditEvents = () =>
    readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const tokenRequest = async (spec: Record<string, unknown>) => {
    const r = await curl(fx, '/api/v1/namespaces/default/serviceaccounts/robot/token', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec }),
    ]);
    assert.equal(r.code, 201, r.body);
    return JSON.parse(r.body) as { status: { token: string; expirationTimestamp: string } };
  };
  const pod = { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1' } };

  it("extends a pod's 3607 s token for the apiserver to a year, warning after 3607 s; the response says 3607 s", async () => {
    const before = Math.floor(Date.now() / 1000);
    const tr = await tokenRequest({ ...pod, expirationSeconds: 3607 });
    const c = claimsOf(tr.status.token);
    assert.equal(c.exp - c.iat, 365 * 24 * 3600);
    assert.equal(c['kubernetes.io'].warnafter, c.iat + 3607);
    const reported = Date.parse(tr.status.expirationTimestamp) / 1000;
    assert.ok(reported >= before + 3607 && reported <= before + 3607 + 5, tr.status.expirationTimestamp);
    // Not extended: another lifetime, another binding (or none), another audience.
    for (const spec of [
      { ...pod, expirationSeconds: 3600 },
      { expirationSeconds: 3607 },
      { boundObjectRef: { apiVersion: 'v1', kind: 'Node', name: 'n1' }, expirationSeconds: 3607 },
      { ...pod, expirationSeconds: 3607, audiences: ['vault'] },
    ]) {
      const t = claimsOf((await tokenRequest(spec)).status.token);
      assert.equal(t.exp - t.iat, spec.expirationSeconds, JSON.stringify(spec));
      assert.equal(t['kubernetes.io'].warnafter, undefined, JSON.stringify(spec));
    }
  });

  it('an extended token used after its warning time authenticates, with the stale-token audit annotation and metric', async () => {
    const fresh = claimsOf((await tokenRequest({ ...pod, expirationSeconds: 3607 })).status.token);
    // The same token as it would be two hours on: re-signed with the service-account key.
    const iat = fresh.iat - 7200;
    const stale = await new SignJWT({
      ...fresh,
      iat,
      nbf: iat,
      'kubernetes.io': { ...fresh['kubernetes.io'], warnafter: iat + 3607 },
    })
      .setProtectedHeader({ alg: algorithmOf(signingKey), kid: keyId(signingKey) })
      .sign(signingKey);
    const r = await selfSubjectReview(fx, stale);
    assert.equal(r.code, 201, r.body);
    assert.equal(JSON.parse(r.body).status.userInfo.username, 'system:serviceaccount:default:robot');
    let annotation: string | undefined;
    for (let i = 0; i < 40 && !annotation; i++) {
      annotation = auditEvents().find(
        (e) => e.objectRef?.resource === 'selfsubjectreviews' && e.annotations?.['authentication.k8s.io/stale-token'],
      )?.annotations['authentication.k8s.io/stale-token'];
      if (!annotation) await new Promise((res) => setTimeout(res, 100));
    }
    const m = /^subject: system:serviceaccount:default:robot, seconds after warning threshold: (\d+)$/.exec(
      annotation ?? '',
    );
    assert.ok(m, `stale-token annotation: ${annotation}`);
    assert.ok(Number(m[1]) >= 3593 && Number(m[1]) <= 3600, m[1]);
    const metrics = await curl(fx, '/metrics');
    assert.match(metrics.body, /^serviceaccount_stale_tokens_total 1$/m);
    assert.match(metrics.body, /^serviceaccount_valid_tokens_total [1-9]\d*$/m);
  });
});

describe('--service-account-extend-token-expiration=false', () => {
  let fx: Fixture;
  let keyDir: string;
  before(async () => {
    keyDir = tempDir('sa-noextend');
    const key = await generateKeyPair('ecdsa-p256');
    writeFileSync(join(keyDir, 'sa.key'), encodePrivateKeyPem(key), { mode: 0o600 });
    writeFileSync(join(keyDir, 'sa.pub'), encodePublicKeyPem(key));
    fx = await startFixture(
      [
        `--service-account-key-file=${join(keyDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(keyDir, 'sa.key')}`,
        `--service-account-issuer=${ISSUER}`,
        '--service-account-extend-token-expiration=false',
      ],
      // Revocation is checked at once: no token cache, as upstream's integration tests.
      { tokenSuccessCacheTtlMs: 0 },
    );
  });
  after(async () => {
    await fx?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("keeps a pod's 3607 s token at 3607 s", async () => {
    const file = join(fx.dir, 'objects.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec:\n  serviceAccountName: robot\n  containers: [{name: c, image: x}]\n',
    );
    const created = await kubectl(fx, ['create', '-f', file]);
    assert.equal(created.status, 0, created.err);
    const r = await kubectl(fx, [
      'create',
      'token',
      'robot',
      '--bound-object-kind=Pod',
      '--bound-object-name=p1',
      '--duration=3607s',
    ]);
    assert.equal(r.status, 0, r.err);
    const c = claimsOf(r.out.trim());
    assert.equal(c.exp - c.iat, 3607);
    assert.equal(c['kubernetes.io'].warnafter, undefined);
  });
});
