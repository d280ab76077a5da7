// An expired (or not yet valid) client certificate from the right CA is 401, never anonymous.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { type Fixture, run, startFixture } from '../server/fixture.ts';

describe('client certificate validity', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=RBAC']);
  });
  after(async () => fx?.close());

  async function issue(name: string, ttlMs: number, now: Date): Promise<string> {
    const ca = CertificateAuthority.fromPem(readFileSync(fx.pki.caCrt), readFileSync(join(fx.dir, 'ca.key')));
    const key = await generateKeyPair();
    const cert = ca.issue({
      subject: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
      publicKey: key.publicKey,
      usages: ['client auth'],
      ttlMs,
      now,
    });
    const base = join(fx.dir, name);
    writeFileSync(`${base}.crt`, cert.pem);
    writeFileSync(`${base}.key`, encodePrivateKeyPem(key));
    return base;
  }
  const get = (base: string) =>
    run('curl', [
      '-s',
      '-w',
      '\n%{http_code}',
      '--cacert',
      fx.pki.caCrt,
      '--cert',
      `${base}.crt`,
      '--key',
      `${base}.key`,
      `${fx.url}/api/v1/namespaces`,
    ]);

  it('expired → 401 (the same certificate worked while valid)', async () => {
    const base = await issue('short', 1500, new Date());
    assert.match((await get(base)).stdout, /\n200$/);
    await new Promise((r) => setTimeout(r, 2500));
    assert.match((await get(base)).stdout, /"reason":"Unauthorized"[\s\S]*\n401$/);
  });

  it('not yet valid → 401', async () => {
    const base = await issue('future', 3600_000, new Date(Date.now() + 2 * 3600_000));
    assert.match((await get(base)).stdout, /"reason":"Unauthorized"[\s\S]*\n401$/);
  });
});
