// --cors-allowed-origins and --strict-transport-security-directives with real curl: an allowed Origin's
// preflight is 204 with the CORS headers and no credentials, its requests carry them, another Origin gets
// none; every answer (a 401 too) carries Strict-Transport-Security; patterns that do not pin the host
// (CVE-2022-1996) and bad directives stop the start, with upstream's messages.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configError, curl, type Fixture, loadConfig, makePki, startFixture, tempDir } from './fixture.ts';

describe('CORS and HSTS', { timeout: 60_000 }, () => {
  let fx: Fixture;
  let plain: Fixture;
  before(async () => {
    [fx, plain] = await Promise.all([
      startFixture([
        '--anonymous-auth=false',
        '--cors-allowed-origins=//dashboard\\.example\\.com(:|$)',
        '--strict-transport-security-directives=max-age=31536000,includeSubDomains,preload',
      ]),
      startFixture(),
    ]);
  });
  after(async () => Promise.all([fx?.close(), plain?.close()]));

  /** Response headers of a curl call (lower-cased names). */
  const headersOf = async (f: Fixture, path: string, args: string[], cert = true) => {
    const r = await curl(f, path, ['-D', '-', ...args], cert);
    const headers: Record<string, string> = {};
    for (const line of r.body.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0 && !line.startsWith('HTTP')) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    return { code: r.code, headers };
  };

  it('answers an allowed Origin’s preflight without credentials, and marks its requests', async () => {
    const pre = await headersOf(
      fx,
      '/api/v1/namespaces',
      ['-X', 'OPTIONS', '-H', 'Origin: https://dashboard.example.com', '-H', 'Access-Control-Request-Method: GET'],
      false,
    );
    assert.equal(pre.code, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://dashboard.example.com');
    assert.equal(pre.headers['access-control-allow-methods'], 'POST, GET, OPTIONS, PUT, DELETE, PATCH');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    const get = await headersOf(fx, '/api/v1/namespaces', ['-H', 'Origin: https://dashboard.example.com:8443']);
    assert.equal(get.code, 200);
    assert.equal(get.headers['access-control-allow-origin'], 'https://dashboard.example.com:8443');
    assert.equal(get.headers['access-control-expose-headers'], 'Date');
    // A look-alike host is not the allowed one.
    const evil = await headersOf(fx, '/api/v1/namespaces', ['-H', 'Origin: https://dashboard.example.com.evil.io']);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    const evilPre = await headersOf(
      fx,
      '/api/v1/namespaces',
      ['-X', 'OPTIONS', '-H', 'Origin: https://evil.io'],
      false,
    );
    assert.equal(evilPre.code, 401, 'not a preflight it answers: authentication applies');
    // Without the flag, no CORS at all.
    const none = await headersOf(plain, '/api/v1/namespaces', ['-H', 'Origin: https://dashboard.example.com']);
    assert.equal(none.headers['access-control-allow-origin'], undefined);
  });

  it('sends Strict-Transport-Security on every answer, a 401 and a watch too', async () => {
    const hsts = 'max-age=31536000; includeSubDomains; preload';
    assert.equal((await headersOf(fx, '/version', [])).headers['strict-transport-security'], hsts);
    const anon = await headersOf(fx, '/api/v1/secrets', [], false);
    assert.equal(anon.code, 401);
    assert.equal(anon.headers['strict-transport-security'], hsts);
    const watch = await headersOf(fx, '/api/v1/namespaces?watch=1&timeoutSeconds=1', []);
    assert.equal(watch.headers['strict-transport-security'], hsts);
    assert.equal((await headersOf(plain, '/version', [])).headers['strict-transport-security'], undefined);
  });

  it('refuses patterns that do not pin the host, and bad directives', () => {
    const dir = tempDir('cors');
    const pki = makePki(dir);
    const load = (extra: string[]) => configError(() => loadConfig(pki, join(dir, 'data'), extra));
    assert.match(
      load(['--cors-allowed-origins=example\\.com']),
      /--cors-allowed-origins has an invalid regular expression: regular expression does not pin to start\/end of host in the origin header/,
    );
    assert.match(
      load(['--strict-transport-security-directives=max-age']),
      /--strict-transport-security-directives invalid, allowed values: max-age=expireTime, includeSubDomains, preload/,
    );
  });
});
