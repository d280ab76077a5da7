// ValidatingAdmissionWebhook against a real apiserver and a real HTTPS webhook (its CA given as
// caBundle), configured with `kubectl apply -f`: denials and warnings as kubectl prints them, the
// AdmissionReview as the webhook received it, and which requests rules and selectors send it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  answer,
  api,
  applyYaml,
  configMap,
  configuration,
  type Env,
  type Json,
  removeConfiguration,
  reviews,
  startEnv,
} from './admission-webhook-fixture.ts';
import { kubectl, kubectlBinary } from './fixture.ts';

const CMS = '/api/v1/namespaces/default/configmaps';

describe('admission webhooks', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });
  beforeEach(() => {
    env.wh.requests.length = 0;
  });
  const k = (args: string[], bin?: string) => kubectl(env.f, args, bin);

  it('a validating webhook denies with its message and warns; the review is as upstream sends it', async () => {
    env.wh.respond = (review) => {
      const name: string = review.request.object?.metadata?.name ?? review.request.oldObject?.metadata?.name;
      const deny = name.startsWith('bad');
      return {
        json: answer(review, {
          allowed: !deny,
          ...(deny ? { result: { message: `configmap ${name} is not welcome`, code: 403 } } : {}),
          ...(name === 'warned' ? { warnings: ['this one is on probation'] } : {}),
        }),
      };
    };
    const applied = await applyYaml(
      env,
      'deny.yaml',
      [
        configuration(env, 'Validating', 'deny', [
          { name: 'deny.example.com', path: '/validate', operations: ['CREATE', 'UPDATE', 'DELETE'] },
        ]),
      ],
      kubectlBinary(27),
    );
    assert.equal(applied.status, 0, applied.err);

    const [denied, deniedOld, dry, warned] = await Promise.all([
      k(['create', 'configmap', 'bad-one', '--from-literal=a=b']),
      k(['create', 'configmap', 'bad-two'], kubectlBinary(27)),
      k(['create', 'configmap', 'dry', '--dry-run=server']),
      k(['create', 'configmap', 'warned']),
    ]);
    assert.notEqual(denied.status, 0);
    assert.match(
      denied.err,
      /^error: failed to create configmap: admission webhook "deny\.example\.com" denied the request: configmap bad-one is not welcome\n$/,
    );
    assert.match(
      deniedOld.err,
      /admission webhook "deny\.example\.com" denied the request: configmap bad-two is not welcome/,
    );
    assert.equal(dry.status, 0, dry.err);
    assert.equal(warned.status, 0, warned.err);
    assert.match(warned.err, /^Warning: this one is on probation\n$/);
    const status = await api(env, 'POST', CMS, configMap('bad-three'));
    assert.deepEqual(status.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'admission webhook "deny.example.com" denied the request: configmap bad-three is not welcome',
      code: 403,
    });
    assert.equal((await api(env, 'GET', `${CMS}/bad-one`)).code, 404);
    assert.equal((await api(env, 'GET', `${CMS}/dry`)).code, 404);
    const dryReview = reviews(env.wh, '/validate').find((r) => r.request.name === 'dry');
    assert.equal(dryReview.request.dryRun, true);
    assert.deepEqual(dryReview.request.options.dryRun, ['All']);

    env.wh.requests.length = 0;
    assert.equal((await api(env, 'POST', CMS, { ...configMap('good'), data: { a: 'b' } })).code, 201);
    const [create] = reviews(env.wh, '/validate');
    const r = create.request;
    assert.equal(create.apiVersion, 'admission.k8s.io/v1');
    assert.equal(create.kind, 'AdmissionReview');
    assert.match(r.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(r.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(r.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.deepEqual(r.requestKind, r.kind);
    assert.deepEqual(r.requestResource, r.resource);
    assert.equal(r.name, 'good');
    assert.equal(r.namespace, 'default');
    assert.equal(r.operation, 'CREATE');
    assert.equal(r.userInfo.username, 'kubernetes-admin');
    assert.deepEqual(r.userInfo.groups, ['kubeadm:cluster-admins', 'system:authenticated']);
    assert.deepEqual(r.object.data, { a: 'b' });
    assert.equal(r.oldObject, null);
    assert.equal(r.dryRun, false);
    assert.deepEqual(r.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' });
    const sent = env.wh.requests[0]!;
    assert.equal(sent.path, '/validate?timeout=10s');
    assert.equal(sent.headers['content-type'], 'application/json');
    assert.equal(sent.headers.authorization, undefined);

    env.wh.requests.length = 0;
    const labelled = await k(['label', 'configmap', 'good', 'tier=web']);
    assert.equal(labelled.status, 0, labelled.err);
    const [update] = reviews(env.wh, '/validate');
    assert.equal(update.request.operation, 'UPDATE');
    assert.deepEqual(update.request.options, {
      kind: 'UpdateOptions',
      apiVersion: 'meta.k8s.io/v1',
      fieldManager: 'kubectl-label',
    });
    assert.equal(update.request.oldObject.metadata.labels?.tier, undefined);
    assert.equal(update.request.object.metadata.labels.tier, 'web');

    env.wh.requests.length = 0;
    assert.equal((await api(env, 'DELETE', `${CMS}/good`)).code, 200);
    const [del] = reviews(env.wh, '/validate');
    assert.equal(del.request.operation, 'DELETE');
    assert.equal(del.request.object, null);
    assert.equal(del.request.oldObject.metadata.name, 'good');
    assert.equal(del.request.options.kind, 'DeleteOptions');
    assert.equal(await removeConfiguration(env, 'Validating', 'deny'), 200);
  });

  it('rules, namespaceSelector and objectSelector decide which requests a webhook sees', async () => {
    env.wh.respond = (review) => ({ json: answer(review) });
    const applied = await applyYaml(env, 'scoped.yaml', [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet', labels: { webhooks: 'skip' } } },
      configuration(env, 'Validating', 'scoped', [
        { name: 'pods.example.com', path: '/pods', resources: ['pods', 'pods/*'] },
        {
          name: 'ns.example.com',
          path: '/ns',
          resources: ['configmaps', 'namespaces'],
          extra: {
            namespaceSelector: { matchExpressions: [{ key: 'webhooks', operator: 'NotIn', values: ['skip'] }] },
          },
        },
        { name: 'obj.example.com', path: '/obj', extra: { objectSelector: { matchLabels: { check: 'me' } } } },
        {
          name: 'cluster.example.com',
          path: '/cluster',
          resources: ['*'],
          extra: {
            rules: [
              { operations: ['CREATE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: 'Cluster' },
            ],
          },
        },
      ]),
    ]);
    assert.equal(applied.status, 0, applied.err);
    env.wh.requests.length = 0;
    const quiet = '/api/v1/namespaces/quiet/configmaps';
    assert.equal((await api(env, 'POST', CMS, configMap('plain'))).code, 201);
    assert.equal((await api(env, 'POST', quiet, configMap('plain'))).code, 201);
    assert.equal((await api(env, 'POST', quiet, configMap('checked'))).code, 201);
    const labelled = await api(env, 'PUT', `${quiet}/checked`, configMap('checked', { check: 'me' }));
    assert.equal(labelled.code, 200, labelled.raw);
    assert.equal((await api(env, 'POST', '/api/v1/namespaces', { metadata: { name: 'loud' } })).code, 201);
    const seen = (path: string) =>
      reviews(env.wh, path).map((x: Json) => `${x.request.operation} ${x.request.namespace}/${x.request.name}`);
    assert.deepEqual(seen('/pods'), [], 'a webhook for pods does not see configmaps');
    // A namespace's own labels decide for the namespace itself (and its namespace is its name).
    assert.deepEqual(seen('/ns'), ['CREATE default/plain', 'CREATE loud/loud']);
    // The update added the label: the new object matches, so the update is seen, the creates not.
    assert.deepEqual(seen('/obj'), ['UPDATE quiet/checked']);
    assert.deepEqual(seen('/cluster'), ['CREATE loud/loud']);
    assert.equal(await removeConfiguration(env, 'Validating', 'scoped'), 200);
  });
});
