// --authentication-token-webhook-config-file end to end: a real HTTPS TokenReview service, the real
// apiserver, curl and kubectl. Accepted tokens become the webhook's user (RBAC then applies to it),
// rejected ones are 401, both are cached for the TTL, failures are 401 and logged without the token,
// and the TokenReview sent is the one the version flag names.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { curl, curlToken, type Fixture, kubectl, startFixture, tempDir, tokenKubeconfig } from '../server/fixture.ts';
import { type Responder, startWebhookServer, type WebhookServer } from './webhook-fixture.ts';

const ALICE = { username: 'wh-alice', uid: 'u-42', groups: ['wh-devs'], extra: { 'example.com/team': ['blue'] } };

const responder: Responder = (body) => {
  const token: string | undefined = body?.spec?.token;
  const review = (status: object) => ({ json: { apiVersion: body.apiVersion, kind: 'TokenReview', status } });
  switch (token) {
    case 'good-token':
      return review({ authenticated: true, user: ALICE });
    case 'other-audience-token':
      return review({ authenticated: true, user: ALICE, audiences: ['someone-else'] });
    case 'expired-token':
      return review({ authenticated: false, error: 'token expired' });
    case 'broken-token':
      return { raw: '<html>not json</html>' };
    case 'forbidden-token':
      return { status: 403, json: { kind: 'Status', message: 'nope' } };
    default:
      return review({ authenticated: false });
  }
};

const reviewsOf = (wh: WebhookServer, token: string) => wh.requests.filter((r) => r.body?.spec?.token === token);

describe('token webhook, authentication.k8s.io/v1, client certificate to the webhook', () => {
  let dir = '';
  let wh: WebhookServer;
  let fx: Fixture;
  // Started at once: the suites' set-ups overlap.
  const ready = (async () => {
    dir = tempDir('authn-webhook');
    wh = await startWebhookServer(join(dir, 'webhook'), responder);
    const kc = wh.kubeconfig(join(dir, 'authn.conf'), { path: '/authn' });
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, 'file-token,file-user,f-1,file-group\n');
    fx = await startFixture(
      [
        '--authorization-mode=RBAC',
        `--token-auth-file=${tokens}`,
        '--api-audiences=api-a,api-b',
        `--authentication-token-webhook-config-file=${kc}`,
        '--authentication-token-webhook-version=v1',
      ],
      // The webhook's own cache is what is checked: no apiserver token cache in front of it.
      { tokenSuccessCacheTtlMs: 0 },
    );
  })();
  ready.catch(() => undefined);
  before(() => ready);
  after(async () => {
    await fx?.close();
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an accepted token is the webhook’s user (kubectl auth whoami), from one v1 TokenReview as upstream sends it', async () => {
    const who = await kubectl({ kubeconfig: tokenKubeconfig(fx, 'alice', 'good-token'), dir: fx.dir }, [
      'auth',
      'whoami',
      '-o',
      'json',
    ]);
    assert.equal(who.status, 0, who.err);
    const info = JSON.parse(who.out).status.userInfo;
    assert.equal(info.username, 'wh-alice');
    assert.equal(info.uid, 'u-42');
    assert.deepEqual(info.groups, ['wh-devs', 'system:authenticated']);
    assert.deepEqual(info.extra, { 'example.com/team': ['blue'] });

    const sent = reviewsOf(wh, 'good-token');
    assert.equal(sent.length, 1);
    const r = sent[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/authn');
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.headers.authorization, undefined);
    assert.equal(r.clientCN, 'webhook-client', 'the kubeconfig’s client certificate is presented');
    assert.deepEqual(r.body, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { creationTimestamp: null },
      spec: { token: 'good-token', audiences: ['api-a', 'api-b'] },
      status: { user: {} },
    });
  });

  it('the answer is cached: the same token again does not reach the webhook; RBAC applies to the user', async () => {
    const kc = { kubeconfig: tokenKubeconfig(fx, 'alice', 'good-token'), dir: fx.dir };
    assert.equal(await curlToken(fx, 'good-token', '/api/v1/namespaces/default/configmaps'), '403', 'no binding yet');
    const policy = join(fx.dir, 'policy.yaml');
    writeFileSync(
      policy,
      [
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: ClusterRole',
        'metadata: {name: cm-reader}',
        'rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: ClusterRoleBinding',
        'metadata: {name: wh-cm}',
        'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm-reader}',
        'subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: wh-devs}]',
        '',
      ].join('\n'),
    );
    const applied = await kubectl(fx, ['create', '-f', policy]);
    assert.equal(applied.status, 0, applied.err);
    const get = await kubectl(kc, ['get', 'configmaps', '-n', 'default']);
    assert.equal(get.status, 0, get.err);
    assert.equal(reviewsOf(wh, 'good-token').length, 1, 'every request since the first was answered from the cache');
  });

  it('a token the webhook rejects is 401, and the rejection is cached too', async () => {
    assert.equal(await curlToken(fx, 'nobody-token'), '401');
    assert.equal(await curlToken(fx, 'nobody-token'), '401');
    assert.equal(reviewsOf(wh, 'nobody-token').length, 1);
    const r = await kubectl({ kubeconfig: tokenKubeconfig(fx, 'nobody', 'nobody-token'), dir: fx.dir }, [
      'get',
      'pods',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /You must be logged in to the server \(Unauthorized\)/);
  });

  it('the token file comes first: its tokens never reach the webhook', async () => {
    assert.equal(await curlToken(fx, 'file-token'), '200');
    assert.equal(reviewsOf(wh, 'file-token').length, 0);
  });

  it('an answer for other audiences than the API’s is not authenticated (401)', async () => {
    assert.equal(await curlToken(fx, 'other-audience-token'), '401');
    assert.equal(reviewsOf(wh, 'other-audience-token').length, 1);
  });

  it('a failing webhook (bad JSON, HTTP 403, status.error) is 401, not cached, logged without the token', async () => {
    for (const t of ['broken-token', 'forbidden-token', 'expired-token']) {
      assert.equal(await curlToken(fx, t), '401', t);
      assert.equal(await curlToken(fx, t), '401', t);
      assert.equal(reviewsOf(wh, t).length, 2, `${t}: errors are not cached`);
    }
    const logs = fx.logs.join('');
    assert.match(logs, /Failed to make webhook authenticator request/);
    assert.match(logs, /answered with a body that is not a JSON object/);
    assert.match(logs, /answered HTTP 403/);
    for (const t of ['good-token', 'broken-token', 'forbidden-token', 'expired-token', 'nobody-token']) {
      assert.ok(!logs.includes(t), `the log must not contain ${t}`);
    }
  });

  it('the TokenReview API of the apiserver asks the webhook as well', async () => {
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'good-token' } };
    const r = await curl(fx, '/apis/authentication.k8s.io/v1/tokenreviews', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify(review),
    ]);
    assert.equal(r.code, 201, r.body);
    const status = JSON.parse(r.body).status;
    assert.equal(status.authenticated, true);
    assert.equal(status.user.username, 'wh-alice');
  });
});

describe('token webhook, default v1beta1, bearer token to the webhook, short TTL, then unreachable', () => {
  let dir = '';
  let wh: WebhookServer;
  let fx: Fixture;
  // Started at once: the suites' set-ups overlap.
  const ready = (async () => {
    dir = tempDir('authn-webhook-b');
    wh = await startWebhookServer(join(dir, 'webhook'), responder);
    const kc = wh.kubeconfig(join(dir, 'authn.conf'), { token: 'apiserver-secret', inlineCA: true });
    fx = await startFixture(
      [
        '--authorization-mode=RBAC',
        `--authentication-token-webhook-config-file=${kc}`,
        '--authentication-token-webhook-cache-ttl=600ms',
      ],
      // The webhook's own cache is what is checked: no apiserver token cache in front of it.
      { tokenSuccessCacheTtlMs: 0 },
    );
  })();
  ready.catch(() => undefined);
  before(() => ready);
  after(async () => {
    await fx?.close();
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a v1beta1 TokenReview without audiences, with the kubeconfig’s bearer token', async () => {
    assert.equal(await curlToken(fx, 'good-token'), '200');
    const r = reviewsOf(wh, 'good-token')[0]!;
    assert.equal(r.path, '/');
    assert.equal(r.headers.authorization, 'Bearer apiserver-secret');
    assert.equal(r.clientCN, undefined);
    assert.deepEqual(r.body, {
      apiVersion: 'authentication.k8s.io/v1beta1',
      kind: 'TokenReview',
      metadata: { creationTimestamp: null },
      spec: { token: 'good-token' },
      status: { user: {} },
    });
  });

  it('within the TTL the cache answers; after it the webhook is asked again', async () => {
    assert.equal(await curlToken(fx, 'good-token'), '200');
    const before = reviewsOf(wh, 'good-token').length;
    assert.equal(await curlToken(fx, 'good-token'), '200');
    assert.equal(reviewsOf(wh, 'good-token').length, before);
    await sleep(700);
    assert.equal(await curlToken(fx, 'good-token'), '200');
    assert.equal(reviewsOf(wh, 'good-token').length, before + 1);
  });

  it('an unreachable webhook: the token is 401 (quickly, no retry on a refused connection), logged', async () => {
    await wh.close();
    const t0 = Date.now();
    assert.equal(await curlToken(fx, 'never-seen-token'), '401');
    assert.ok(Date.now() - t0 < 5000);
    const logs = fx.logs.join('');
    const failures = fx.logs.filter((l) => l.includes('Failed to make webhook authenticator request'));
    assert.ok(
      failures.some((l) => l.includes('ECONNREFUSED')),
      failures.join(''),
    );
    for (const s of ['good-token', 'never-seen-token', 'apiserver-secret']) assert.ok(!logs.includes(s), s);
  });
});
