// --request-timeout and `?timeout=`: a request that is not long-running and is still unanswered at its
// deadline gets 504 Timeout (its handler goes on, as upstream's, and what it sends later is dropped);
// kubectl --request-timeout shortens it; an unparsable timeout is 400; watches are not cut.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestDeadlineMs } from '../../src/server/deadline.ts';
import { answer, api, applyYaml, configMap, configuration, type Env, startEnv } from './admission-webhook-fixture.ts';
import { curl, kubectl } from './fixture.ts';

const CMS = '/api/v1/namespaces/default/configmaps';

describe('--request-timeout', { timeout: 60_000 }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv(['--request-timeout=2s']);
    // A validating webhook that takes 3 s (within its own 10 s timeout) holds configmap creates up.
    env.wh.respond = (review) => ({ delayMs: 3000, json: answer(review) });
    const applied = await applyYaml(env, 'slow.yaml', [
      configuration(env, 'Validating', 'slow', [
        { name: 'slow.example.com', path: '/slow', resources: ['configmaps'], extra: { timeoutSeconds: 10 } },
      ]),
    ]);
    assert.equal(applied.status, 0, applied.err);
  });
  after(async () => env?.close());

  it('answers 504 at the deadline, and the request goes on to completion', async () => {
    const began = Date.now();
    const r = await api(env, 'POST', CMS, configMap('slow-one'));
    const took = Date.now() - began;
    assert.equal(r.code, 504, r.raw);
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Timeout: request did not complete within requested timeout - context deadline exceeded',
      reason: 'Timeout',
      details: {},
      code: 504,
    });
    assert.ok(took >= 1900 && took < 2900, `answered after ${took} ms`);
    // The create was not cancelled: the object is there once the webhook has answered.
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(
      (await kubectl(env.f, ['get', 'configmap', 'slow-one', '-o', 'name'])).out.trim(),
      'configmap/slow-one',
    );
  });

  it('kubectl --request-timeout shortens it; a bad ?timeout= is 400; fast requests and watches are untouched', async () => {
    const began = Date.now();
    const k = await kubectl(env.f, ['create', 'configmap', 'slow-two', '--request-timeout=1s']);
    assert.notEqual(k.status, 0);
    assert.ok(Date.now() - began < 1900, 'cut at the client’s 1 s, not the server’s 2 s');
    const bad = await curl(env.f, '/api/v1/namespaces?timeout=abc');
    assert.equal(bad.code, 400);
    assert.equal(
      JSON.parse(bad.body).message,
      'invalid timeout specified in the request URL - time: invalid duration "abc"',
    );
    assert.equal((await curl(env.f, '/api/v1/namespaces?timeout=5')).code, 400);
    assert.equal((await curl(env.f, '/api/v1/namespaces?timeout=0s')).code, 200);
    // A watch outlives the 2 s deadline: curl's own 2.5 s limit ends it (exit 28), not a 504.
    const watch = await curl(env.f, '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=10', [
      '--max-time',
      '2.5',
    ]);
    assert.equal(watch.status, 28, watch.stderr);
    assert.match(watch.body, /"type":"ADDED"/);
  });

  it('takes the shorter of the two', () => {
    assert.equal(requestDeadlineMs('/api', 60_000), 60_000);
    assert.equal(requestDeadlineMs('/api?timeout=5s', 60_000), 5_000);
    assert.equal(requestDeadlineMs('/api?timeout=5m', 60_000), 60_000);
    assert.equal(requestDeadlineMs('/api?timeout=0', 60_000), 60_000);
  });
});
