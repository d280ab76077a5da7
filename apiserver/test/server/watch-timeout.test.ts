// A watch's lifetime, as kube-apiserver's: its own timeoutSeconds when positive; otherwise (none, or
// 0) a random time between --min-request-timeout and twice that, so watches do not all end together;
// no end when that flag is 0. When it ends the response just ends, and the client watches again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MIN_REQUEST_TIMEOUT_MS, watchTimeoutMs } from '../../src/endpoints/index.ts';
import { curl, type Fixture, startFixture } from './fixture.ts';

describe('watch timeouts (--min-request-timeout, timeoutSeconds)', { timeout: 60_000 }, () => {
  it('picks timeoutSeconds, else 1–2× --min-request-timeout (1800 s by default), else none', () => {
    assert.equal(watchTimeoutMs(5), 5000);
    assert.equal(
      watchTimeoutMs(undefined, DEFAULT_MIN_REQUEST_TIMEOUT_MS, () => 0),
      1_800_000,
    );
    assert.equal(
      watchTimeoutMs(undefined, DEFAULT_MIN_REQUEST_TIMEOUT_MS, () => 0.5),
      2_700_000,
    );
    assert.equal(
      watchTimeoutMs(0, 60_000, () => 0.25),
      75_000,
      'timeoutSeconds=0 is the server’s choice',
    );
    assert.equal(watchTimeoutMs(undefined, 0), 0);
  });

  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--min-request-timeout=1']);
  });
  after(async () => fx?.close());

  for (const q of ['', '&timeoutSeconds=0']) {
    it(`a watch with ${q ? 'timeoutSeconds=0' : 'no timeoutSeconds'} ends after 1–2 × --min-request-timeout`, async () => {
      const t0 = Date.now();
      const r = await curl(fx, `/api/v1/namespaces?watch=1${q}`, ['-N']);
      const took = Date.now() - t0;
      assert.equal(r.status, 0, `curl gave up: ${r.stderr}`);
      assert.equal(r.code, 200, r.stderr);
      assert.match(r.body, /"type":"ADDED"/);
      assert.doesNotMatch(r.body, /"type":"ERROR"/, 'it just ends');
      assert.ok(took >= 900, `ended after ${took} ms`);
    });
  }

  it('its own timeoutSeconds wins over the server’s', async () => {
    const other = await startFixture(['--min-request-timeout=60']);
    try {
      const r = await curl(other, '/api/v1/namespaces?watch=1&timeoutSeconds=1', ['-N']);
      assert.equal(r.status, 0, `curl gave up: ${r.stderr}`);
      assert.equal(r.code, 200, r.stderr);
      assert.match(r.body, /"type":"ADDED"/);
    } finally {
      await other.close();
    }
  });
});
