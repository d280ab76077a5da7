// --authorization-mode=…,Webhook,… end to end: a real HTTPS SubjectAccessReview service, the real
// apiserver, curl and kubectl. The webhook allows, denies or has no opinion in its place in the
// union (RBAC after it decides on no opinion, never over a deny); answers are cached per TTL flag;
// v1beta1 sends `group`; a failing or unreachable webhook is no opinion, so the next mode decides.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { curl, curlPost, type Fixture, issueClient, kubectl, startFixture, tempDir } from '../server/fixture.ts';
import { type Responder, startWebhookServer, type WebhookRequest, type WebhookServer } from './webhook-fixture.ts';

function responder(): Responder {
  let flaky = 0;
  return (body) => {
    const spec = body?.spec ?? {};
    const ra = spec.resourceAttributes;
    const answer = (status: object) => ({
      json: { apiVersion: body.apiVersion, kind: 'SubjectAccessReview', status },
    });
    if (spec.user === 'broken') return { status: 403, json: { kind: 'Status', message: 'no' } };
    if (spec.user === 'flaky' && flaky++ === 0) return { status: 500, json: { kind: 'Status' } };
    if (ra?.resource === 'secrets')
      return answer({ allowed: false, denied: true, reason: 'wh: secrets are off limits' });
    if (ra?.resource === 'configmaps' && ['alice', 'flaky'].includes(spec.user)) {
      return answer({ allowed: true, reason: 'wh: may read configmaps' });
    }
    return answer({ allowed: false, reason: 'wh: no opinion' });
  };
}

type User = { kubeconfig: string; dir: string; crt: string; key: string };

/** curl as `u` (its client certificate); resolves the HTTP status code. */
async function curlAs(fx: Fixture, u: User, path: string): Promise<number> {
  return (await curl({ url: fx.url, pki: { ...fx.pki, adminCrt: u.crt, adminKey: u.key } }, path)).code;
}

/** Creates an object as the admin (client certificate), by a plain POST; resolves what the apiserver answered. */
async function create(fx: Fixture, path: string, obj: object): Promise<unknown> {
  const r = await curlPost(fx, path, obj);
  assert.equal(r.code, 201, r.body);
  return JSON.parse(r.body);
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const rbacRef = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });

const sarsFor = (wh: WebhookServer, user: string, resource?: string) =>
  wh.requests.filter(
    (r: WebhookRequest) =>
      r.body?.spec?.user === user && (resource === undefined || r.body.spec.resourceAttributes?.resource === resource),
  );

describe('authorization webhook v1 in Node,Webhook,RBAC', () => {
  let dir = '';
  let wh: WebhookServer;
  let fx: Fixture;
  let alice: User;
  // Started at once: the suites' set-ups overlap.
  const ready = (async () => {
    dir = tempDir('authz-webhook');
    wh = await startWebhookServer(join(dir, 'webhook'), responder());
    const kc = wh.kubeconfig(join(dir, 'authz.conf'), { path: '/authz' });
    fx = await startFixture([
      '--authorization-mode=Node,Webhook,RBAC',
      `--authorization-webhook-config-file=${kc}`,
      '--authorization-webhook-version=v1',
    ]);
    alice = await issueClient(fx, 'alice', ['team-a']);
  })();
  ready.catch(() => undefined);
  before(() => ready);
  after(async () => {
    await fx?.close();
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('allowed by the webhook (RBAC grants alice nothing), from a v1 SubjectAccessReview as upstream sends it', async () => {
    const r = await kubectl(alice, ['get', 'configmaps', '-n', 'default']);
    assert.equal(r.status, 0, r.err);
    const sars = sarsFor(wh, 'alice', 'configmaps');
    assert.equal(sars.length, 1);
    const sar = sars[0]!;
    assert.equal(sar.method, 'POST');
    assert.equal(sar.path, '/authz');
    assert.equal(sar.clientCN, 'webhook-client');
    const { extra, ...spec } = sar.body.spec;
    assert.deepEqual(
      { ...sar.body, spec },
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: { creationTimestamp: null },
        spec: {
          resourceAttributes: { namespace: 'default', verb: 'list', version: 'v1', resource: 'configmaps' },
          user: 'alice',
          groups: ['team-a', 'system:authenticated'],
        },
        status: { allowed: false },
      },
    );
    assert.match(extra['authentication.kubernetes.io/credential-id'][0], /^X509SHA256=/, 'the user’s extra is sent');
    assert.deepEqual(Object.keys(sar.body.spec), ['resourceAttributes', 'user', 'groups', 'extra'], 'Go’s field order');
  });

  it('an allowed answer is cached: the same request again does not reach the webhook', async () => {
    assert.equal(await curlAs(fx, alice, '/api/v1/namespaces/default/configmaps'), 200);
    assert.equal(await curlAs(fx, alice, '/api/v1/namespaces/default/configmaps'), 200);
    assert.equal(sarsFor(wh, 'alice', 'configmaps').length, 1);
  });

  it("a list's selectors reach the webhook as requirements, a review's raw selector parsed first", async () => {
    const r = await kubectl(alice, [
      'get',
      'configmaps',
      '-n',
      'default',
      '-l',
      'app in (web,api),tier!=db,!legacy',
      '--field-selector',
      'metadata.name!=x',
    ]);
    assert.equal(r.status, 0, r.err);
    const withSelectors = sarsFor(wh, 'alice', 'configmaps').filter(
      (x) => x.body.spec.resourceAttributes.labelSelector,
    );
    assert.equal(withSelectors.length, 1, 'a narrower request is its own cache entry');
    const ra = withSelectors[0]!.body.spec.resourceAttributes;
    assert.deepEqual(Object.keys(ra), ['namespace', 'verb', 'version', 'resource', 'fieldSelector', 'labelSelector']);
    assert.deepEqual(ra.fieldSelector, { requirements: [{ key: 'metadata.name', operator: 'NotIn', values: ['x'] }] });
    assert.deepEqual(ra.labelSelector, {
      requirements: [
        { key: 'app', operator: 'In', values: ['api', 'web'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
      ],
    });
    // A SubjectAccessReview's rawSelector is parsed by the apiserver: the webhook gets requirements only.
    const review = (await create(fx, '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'alice',
        resourceAttributes: { verb: 'watch', resource: 'configmaps', fieldSelector: { rawSelector: 'a==1' } },
      },
    })) as { status: { allowed: boolean } };
    assert.equal(review.status.allowed, true);
    const sent = sarsFor(wh, 'alice', 'configmaps').find((x) => x.body.spec.resourceAttributes.verb === 'watch');
    assert.deepEqual(sent?.body.spec.resourceAttributes, {
      verb: 'watch',
      version: '*',
      resource: 'configmaps',
      fieldSelector: { requirements: [{ key: 'a', operator: 'In', values: ['1'] }] },
    });
  });

  it('no opinion → RBAC decides; a deny is final even when RBAC would allow; non-resource attributes', async () => {
    assert.equal(await curlAs(fx, alice, '/api/v1/namespaces/default/pods'), 403, 'no opinion, no RBAC grant');
    await create(fx, `${RBAC}/clusterrolebindings`, {
      metadata: { name: 'alice-admin' },
      roleRef: rbacRef('ClusterRole', 'cluster-admin'),
      subjects: [rbacRef('User', 'alice')],
    });
    assert.equal(await curlAs(fx, alice, '/api/v1/namespaces/default/pods'), 200, 'RBAC allows after no opinion');
    const secrets = await kubectl(alice, ['get', 'secrets', '-n', 'default']);
    assert.notEqual(secrets.status, 0);
    assert.match(
      secrets.err,
      /Error from server \(Forbidden\): secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "default": wh: secrets are off limits/,
    );
    const can = await kubectl(alice, ['auth', 'can-i', 'list', 'secrets']);
    assert.equal(
      can.out.trim(),
      'no - wh: secrets are off limits',
      'the webhook’s reason, through SelfSubjectAccessReview',
    );
    assert.equal(await curlAs(fx, alice, '/version'), 200);
    const version = wh.requests.find((r) => r.body?.spec?.user === 'alice' && r.body.spec.nonResourceAttributes);
    assert.deepEqual(version?.body.spec.nonResourceAttributes, { path: '/version', verb: 'get' });
  });

  it("can-i --list: RBAC's rules, and a warning that the webhook (and, for a node, the Node authorizer) cannot list its own", async () => {
    const list = await kubectl(alice, ['auth', 'can-i', '--list']);
    assert.equal(list.status, 0, list.err);
    assert.match(list.out, /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/, 'cluster-admin, bound above');
    assert.match(list.err, /the list may be incomplete: webhook authorizer does not support user rule resolution/i);
    const node = await kubectl(fx, ['auth', 'can-i', '--list', '--as=system:node:n1', '--as-group=system:nodes']);
    assert.equal(node.status, 0, node.err);
    assert.match(
      node.err,
      /the list may be incomplete: \[node authorizer does not support user rule resolution, webhook authorizer does not support user rule resolution\]/i,
    );
  });
});

describe('authorization webhook, default v1beta1, bearer token, TTL flags, failures', () => {
  let dir = '';
  let wh: WebhookServer;
  let fx: Fixture;
  let alice: User;
  let broken: User;
  let flaky: User;
  // Started at once: the suites' set-ups overlap.
  const ready = (async () => {
    dir = tempDir('authz-webhook-b');
    wh = await startWebhookServer(join(dir, 'webhook'), responder());
    const kc = wh.kubeconfig(join(dir, 'authz.conf'), { token: 'authz-secret', inlineCA: true });
    fx = await startFixture([
      '--authorization-mode=Webhook,RBAC',
      `--authorization-webhook-config-file=${kc}`,
      '--authorization-webhook-cache-authorized-ttl=1m',
      '--authorization-webhook-cache-unauthorized-ttl=300ms',
    ]);
    [alice, broken, flaky] = await Promise.all([
      issueClient(fx, 'alice', ['team-a']),
      issueClient(fx, 'broken', ['team-b']),
      issueClient(fx, 'flaky'),
    ]);
  })();
  ready.catch(() => undefined);
  before(() => ready);
  after(async () => {
    await fx?.close();
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a v1beta1 SubjectAccessReview whose groups field is `group`, with the kubeconfig’s token', async () => {
    assert.equal(await curlAs(fx, alice, '/api/v1/namespaces/default/configmaps/x'), 404, 'allowed; not found');
    const sar = sarsFor(wh, 'alice', 'configmaps')[0]!;
    assert.equal(sar.body.apiVersion, 'authorization.k8s.io/v1beta1');
    assert.deepEqual(sar.body.spec.group, ['team-a', 'system:authenticated']);
    assert.equal(sar.body.spec.groups, undefined);
    assert.deepEqual(sar.body.spec.resourceAttributes, {
      namespace: 'default',
      verb: 'get',
      version: 'v1',
      resource: 'configmaps',
      name: 'x',
    });
    assert.equal(sar.headers.authorization, 'Bearer authz-secret');
  });

  it('allowed answers live for the authorized TTL, the others for the unauthorized TTL', async () => {
    const cm = '/api/v1/namespaces/default/configmaps/x';
    const secret = '/api/v1/namespaces/default/secrets/x';
    assert.equal(await curlAs(fx, alice, secret), 403);
    assert.equal(await curlAs(fx, alice, secret), 403);
    assert.equal(sarsFor(wh, 'alice', 'secrets').length, 1, 'the denial is cached');
    await sleep(400);
    assert.equal(await curlAs(fx, alice, secret), 403);
    assert.equal(await curlAs(fx, alice, cm), 404);
    assert.equal(sarsFor(wh, 'alice', 'secrets').length, 2, 'past --authorization-webhook-cache-unauthorized-ttl');
    assert.equal(sarsFor(wh, 'alice', 'configmaps').length, 1, 'within --authorization-webhook-cache-authorized-ttl');
  });

  it('a failing webhook is no opinion: RBAC decides, nothing is cached, the failure is logged', async () => {
    await create(fx, `${RBAC}/namespaces/default/roles`, {
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    });
    await create(fx, `${RBAC}/namespaces/default/rolebindings`, {
      metadata: { name: 'b-pods' },
      roleRef: rbacRef('Role', 'pod-reader'),
      subjects: [rbacRef('User', 'broken')],
    });
    const pods = await kubectl(broken, ['get', 'pods', '-n', 'default']);
    assert.equal(pods.status, 0, pods.err);
    const cms = await kubectl(broken, ['get', 'configmaps', '-n', 'default']);
    assert.match(cms.err, /configmaps is forbidden: User "broken" cannot list resource "configmaps"/);
    assert.equal(await curlAs(fx, broken, '/api/v1/namespaces/default/configmaps'), 403);
    assert.equal(sarsFor(wh, 'broken', 'configmaps').length, 2, 'failures are not cached');
    const failures = fx.logs.filter((l) => l.includes('Failed to make webhook authorizer request'));
    assert.ok(
      failures.some((l) => l.includes('answered HTTP 403')),
      failures.join(''),
    );
  });

  it('a 500 is retried after a backoff (500 ms ×1.5)', async () => {
    const t0 = Date.now();
    assert.equal(await curlAs(fx, flaky, '/api/v1/namespaces/default/configmaps'), 200);
    assert.ok(Date.now() - t0 >= 450, `retried after ${Date.now() - t0} ms`);
    assert.equal(sarsFor(wh, 'flaky', 'configmaps').length, 2);
  });

  it('an unreachable webhook is no opinion: RBAC still decides', async () => {
    await wh.close();
    assert.equal(await curlAs(fx, broken, '/api/v1/namespaces/default/pods'), 200, 'RBAC allows');
    assert.equal(await curlAs(fx, alice, '/api/v1/namespaces/default/pods'), 403, 'RBAC has no grant');
    const failures = fx.logs.filter((l) => l.includes('Failed to make webhook authorizer request'));
    assert.ok(
      failures.some((l) => l.includes('ECONNREFUSED')),
      failures.join(''),
    );
    assert.ok(!fx.logs.join('').includes('authz-secret'));
  });
});
