import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuthenticationError, x509Authenticator } from '@mkube/shared/auth';
import { CertificateAuthority, generateKeyPair } from '@mkube/shared/pki';

describe('x509 authenticator cache', () => {
  it('answers a known chain from the cache, but never past the certificate expiry', async () => {
    const { ca } = await CertificateAuthority.createSelfSigned({ commonName: 'kubernetes' });
    const key = await generateKeyPair();
    const t0 = new Date();
    const leaf = ca.issue({
      subject: { commonName: 'alice', organizations: ['devs'] },
      publicKey: key.publicKey,
      usages: ['digital signature', 'client auth'],
      ttlMs: 3600_000,
      now: t0,
    });
    let now = t0;
    const authn = x509Authenticator({ roots: [ca.certificate], now: () => now });
    const req = { method: 'GET', path: '/', headers: {}, peerCertificates: [new X509Certificate(leaf.pem).raw] };
    const u1 = await authn.authenticate(req);
    assert.equal(u1?.username, 'alice');
    assert.deepEqual(u1?.groups, ['devs']);
    assert.equal((await authn.authenticate(req))?.username, 'alice');
    now = new Date(leaf.notAfter.getTime() + 1000);
    await assert.rejects(
      authn.authenticate(req),
      (e: unknown) => e instanceof AuthenticationError && /expired/.test((e as Error).message),
    );
  });
  it('does not cache a failure into a success, nor a success for another CA', async () => {
    const { ca } = await CertificateAuthority.createSelfSigned({ commonName: 'a' });
    const { ca: other } = await CertificateAuthority.createSelfSigned({ commonName: 'b' });
    const key = await generateKeyPair();
    const leaf = other.issue({
      subject: { commonName: 'mallory' },
      publicKey: key.publicKey,
      usages: ['client auth'],
      ttlMs: 3600_000,
    });
    const authn = x509Authenticator({ roots: [ca.certificate] });
    const req = { method: 'GET', path: '/', headers: {}, peerCertificates: [new X509Certificate(leaf.pem).raw] };
    for (let i = 0; i < 3; i++) await assert.rejects(authn.authenticate(req), AuthenticationError);
  });
  it('with changing roots, forgets chains verified against the old bundle', async () => {
    const { ca } = await CertificateAuthority.createSelfSigned({ commonName: 'a' });
    const { ca: next } = await CertificateAuthority.createSelfSigned({ commonName: 'b' });
    const key = await generateKeyPair();
    const leaf = ca.issue({
      subject: { commonName: 'alice' },
      publicKey: key.publicKey,
      usages: ['client auth'],
      ttlMs: 3600_000,
    });
    let roots = [ca.certificate];
    const authn = x509Authenticator({ roots: () => roots });
    const req = { method: 'GET', path: '/', headers: {}, peerCertificates: [new X509Certificate(leaf.pem).raw] };
    assert.equal((await authn.authenticate(req))?.username, 'alice');
    roots = [next.certificate];
    await assert.rejects(authn.authenticate(req), AuthenticationError);
    roots = [next.certificate, ca.certificate];
    assert.equal((await authn.authenticate(req))?.username, 'alice');
  });
});
