// The x509 authenticator over certificates made by the openssl binary.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AuthenticationError, CREDENTIAL_ID_EXTRA_KEY, x509Authenticator } from '@mkube/shared/auth';
import { parseCertificatesPem } from '@mkube/shared/pki';
import { makePki, type Pki, tempDir } from './fixture.ts';

const der = (file: string) => parseCertificatesPem(readFileSync(file, 'utf8'))[0]!.der;
const req = (certs: Buffer[]) => ({ method: 'GET', path: '/', headers: {}, peerCertificates: certs });

describe('x509Authenticator', () => {
  const dirs: string[] = [];
  let good: Pki;
  let serverOnly: Pki;
  let noCn: Pki;
  before(() => {
    good = makePki(tempDir('x509'), { cn: 'system:node:n1', orgs: ['system:nodes', 'extra'] });
    serverOnly = makePki(tempDir('x509'), { cn: 'alice', orgs: [], eku: 'serverAuth' });
    noCn = makePki(tempDir('x509'), { cn: '', orgs: ['g'] });
    dirs.push(good.dir, serverOnly.dir, noCn.dir);
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const authn = (p: Pki) => x509Authenticator({ roots: parseCertificatesPem(readFileSync(p.caCrt, 'utf8')) });

  it('CN is the user, O values the groups, plus the credential id', async () => {
    const u = await authn(good).authenticate(req([der(good.adminCrt)]));
    assert.ok(u);
    assert.equal(u.username, 'system:node:n1');
    assert.deepEqual(u.groups, ['system:nodes', 'extra']);
    assert.match(u.extra?.[CREDENTIAL_ID_EXTRA_KEY]?.[0] ?? '', /^X509SHA256=[0-9a-f]{64}$/);
  });

  it('no certificate: not mine (null)', async () => {
    assert.equal(await authn(good).authenticate(req([])), null);
  });

  it('another CA, or a certificate without clientAuth usage, is rejected', async () => {
    await assert.rejects(authn(good).authenticate(req([der(serverOnly.adminCrt)])), AuthenticationError);
    await assert.rejects(authn(serverOnly).authenticate(req([der(serverOnly.adminCrt)])), AuthenticationError);
  });

  it('an empty CN authenticates nobody', async () => {
    assert.equal(await authn(noCn).authenticate(req([der(noCn.adminCrt)])), null);
  });
});
