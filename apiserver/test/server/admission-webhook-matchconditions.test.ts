// Admission webhooks' CEL matchConditions against a real apiserver and a real HTTPS webhook,
// configured with kubectl: validated at write time, evaluated after rules and selectors with
// object, oldObject, request and authorizer; a false condition skips the webhook, an error follows
// failurePolicy (Forbidden under Fail, skipped under Ignore).
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

const CMS = '/api/v1/namespaces/default/configmaps';

describe('admission webhooks: matchConditions', () => {
  let env: Env;
  before(async () => {
    env = await startEnv(['--authorization-mode=RBAC']);
    // Every call is refused, so a created object proves the webhook was not called.
    env.wh.respond = (review) => ({
      json: answer(review, { allowed: false, result: { message: 'called and refused', code: 403 } }),
    });
  });
  after(async () => {
    await env?.close();
  });
  beforeEach(() => {
    env.wh.requests.length = 0;
  });

  async function install(
    name: string,
    conditions: Json[],
    extra: Record<string, unknown> = {},
    kind: 'Validating' | 'Mutating' = 'Validating',
  ) {
    const r = await applyYaml(env, `${name}.yaml`, [
      configuration(env, kind, name, [
        { name: `${name}.example.com`, path: `/${name}`, extra: { matchConditions: conditions, ...extra } },
      ]),
    ]);
    assert.equal(r.status, 0, r.err);
    // The configuration cache is watch-fed.
    await new Promise((res) => setTimeout(res, 300));
  }

  it('rejects conditions that do not compile, are not bool, or repeat a name, with upstream field paths', async () => {
    const r = await applyYaml(env, 'bad.yaml', [
      configuration(env, 'Validating', 'bad', [
        {
          name: 'bad.example.com',
          path: '/bad',
          extra: {
            matchConditions: [
              { name: 'syntax', expression: 'object.metadata.name ==' },
              { name: 'not-bool', expression: 'object.metadata.name' },
              { name: 'not-bool', expression: 'true' },
              { name: 'vars', expression: 'variables.x' },
            ],
          },
        },
      ]),
    ]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "object\.metadata\.name ==": compilation failed: ERROR: <input>:1:/,
    );
    assert.match(
      r.err,
      /webhooks\[0\]\.matchConditions\[1\]\.expression: Invalid value: "object\.metadata\.name": must evaluate to bool/,
    );
    assert.match(r.err, /webhooks\[0\]\.matchConditions\[2\]\.name: Duplicate value: "not-bool"/);
    assert.match(
      r.err,
      /webhooks\[0\]\.matchConditions\[3\]\.expression: Invalid value: "variables\.x": compilation failed: ERROR: <input>:1:1: undeclared reference to 'variables'/,
    );
    assert.equal(
      (await api(env, 'GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/bad')).code,
      404,
    );
  });

  it('a false condition skips the webhook; all true calls it; object, oldObject and request are visible', async () => {
    await install('named', [
      { name: 'prefix', expression: "object != null && object.metadata.name.startsWith('check-')" },
      { name: 'create-or-labelled', expression: "request.operation == 'CREATE' || has(oldObject.metadata.labels)" },
      { name: 'user', expression: "request.userInfo.username == 'kubernetes-admin'" },
    ]);
    assert.equal((await api(env, 'POST', CMS, configMap('free'))).code, 201);
    assert.equal(reviews(env.wh, '/named').length, 0, 'a false condition must skip the call');
    const checked = await api(env, 'POST', CMS, configMap('check-me'));
    assert.equal(checked.code, 403, checked.raw);
    assert.match(
      checked.body.message,
      /admission webhook "named\.example\.com" denied the request: called and refused/,
    );
    assert.equal(reviews(env.wh, '/named').length, 1);
    assert.equal(await removeConfiguration(env, 'Validating', 'named'), 200);
  });

  it('the authorizer is the real one: a condition on what the requester may do', async () => {
    // Only requesters who may NOT delete secrets are sent to the webhook; the admin may, so is not.
    await install('authz', [
      {
        name: 'cannot-delete-secrets',
        expression: "!authorizer.group('').resource('secrets').namespace('default').check('delete').allowed()",
      },
    ]);
    assert.equal((await api(env, 'POST', CMS, configMap('by-admin'))).code, 201);
    assert.equal(reviews(env.wh, '/authz').length, 0);
    assert.equal(await removeConfiguration(env, 'Validating', 'authz'), 200);
  });

  it('an evaluation error is Forbidden under failurePolicy Fail and skips the webhook under Ignore', async () => {
    const condition = [{ name: 'data', expression: "object.data.tier == 'gold'" }];
    await install('failing', condition, { failurePolicy: 'Fail' });
    const refused = await api(env, 'POST', CMS, configMap('no-data'));
    assert.equal(refused.code, 403, refused.raw);
    assert.equal(refused.body.reason, 'Forbidden');
    assert.equal(
      refused.body.message,
      `configmaps "no-data" is forbidden: expression 'object.data.tier == 'gold'' resulted in error: no such key: data`,
    );
    assert.equal(reviews(env.wh, '/failing').length, 0);
    await install('failing', condition, { failurePolicy: 'Ignore' });
    assert.equal((await api(env, 'POST', CMS, configMap('no-data'))).code, 201);
    assert.equal(reviews(env.wh, '/failing').length, 0);
    assert.equal(await removeConfiguration(env, 'Validating', 'failing'), 200);
  });

  it('a mutating webhook is called only when its conditions hold', async () => {
    env.wh.respond = (review) => ({ json: answer(review) });
    await install(
      'mutate',
      [{ name: 'labelled', expression: "has(object.metadata.labels) && 'mutate-me' in object.metadata.labels" }],
      {},
      'Mutating',
    );
    assert.equal((await api(env, 'POST', CMS, configMap('plain'))).code, 201);
    assert.equal(reviews(env.wh, '/mutate').length, 0);
    assert.equal((await api(env, 'POST', CMS, configMap('tagged', { 'mutate-me': 'yes' }))).code, 201);
    assert.equal(reviews(env.wh, '/mutate').length, 1);
    assert.equal(await removeConfiguration(env, 'Mutating', 'mutate'), 200);
  });
});
