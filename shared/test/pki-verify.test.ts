// Validity rules (backdate, short-TTL, clamp, expired CA), verifyCertificate with Go's texts,
// key PEM round trips and key/certificate matching.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CertificateAuthority,
  certificateMatchesKey,
  encodePrivateKeyPem,
  encodePublicKeyPem,
  generateKeyPair,
  type KeyPair,
  PkiError,
  parseCertificatePem,
  parseKeyType,
  parsePrivateKeyPem,
  spkiDerOf,
  verifyCertificate,
} from '../src/pki/index.js';
import { type OpenSsl, openssl } from './helpers/openssl.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = new Date('2030-06-01T12:00:00Z');

let ossl: OpenSsl;
let ca: CertificateAuthority;
let key: KeyPair;
before(async () => {
  ossl = openssl();
  ca = (await CertificateAuthority.createSelfSigned({ commonName: 'v-ca', now: T0, validityMs: 365 * DAY })).ca;
  key = await generateKeyPair();
});
after(() => ossl.cleanup());

const leaf = (ttlMs: number, now: Date, extra: Partial<Parameters<CertificateAuthority['issue']>[0]> = {}) =>
  ca.issue({ subject: { commonName: 'x' }, publicKey: key.publicKey, usages: ['server auth'], ttlMs, now, ...extra });

describe('validity', () => {
  it('backdates notBefore 5 minutes; ttl >= 8h loses 5 minutes at the end, shorter ttls do not', () => {
    const now = new Date(T0.getTime() + DAY);
    const long = leaf(8 * HOUR, now);
    assert.equal(long.notBefore.getTime(), now.getTime() - 5 * MIN);
    assert.equal(long.notAfter.getTime(), now.getTime() + 8 * HOUR - 5 * MIN);
    const short = leaf(8 * HOUR - 1000, now);
    assert.equal(short.notAfter.getTime(), now.getTime() + 8 * HOUR - 1000);
    const p = parseCertificatePem(short.pem);
    assert.deepEqual([p.notBefore, p.notAfter], [short.notBefore, short.notAfter]);
  });

  it("clamps notAfter to the CA's and refuses once the CA has expired or before it is valid", () => {
    const now = new Date(T0.getTime() + 300 * DAY);
    assert.deepEqual(leaf(365 * DAY, now).notAfter, ca.certificate.notAfter);
    const late = new Date(ca.certificate.notAfter.getTime() + 1000);
    assert.throws(
      () => leaf(DAY, late),
      (e) =>
        e instanceof PkiError &&
        e.code === 'CAExpired' &&
        /^the signer has expired: NotAfter=2031-06-01 12:00:00 \+0000 UTC$/.test(e.message),
    );
    assert.throws(
      () => leaf(DAY, new Date(T0.getTime() - HOUR)),
      (e) => e instanceof PkiError && e.code === 'CAExpired',
    );
  });

  it('rejects bad requests with InvalidRequest', () => {
    const now = new Date(T0.getTime() + DAY);
    assert.throws(
      () => leaf(0, now),
      (e) => e instanceof PkiError && e.code === 'InvalidRequest',
    );
    assert.throws(
      () => leaf(DAY, now, { ipAddresses: ['300.1.1.1'] }),
      (e) => e instanceof PkiError && e.code === 'InvalidRequest',
    );
    assert.throws(
      () => leaf(DAY, now, { usages: ['bogus' as 'any'] }),
      (e) => e instanceof PkiError && e.code === 'InvalidRequest',
    );
  });
});

describe('verifyCertificate', () => {
  const now = new Date(T0.getTime() + DAY);
  it('accepts a good chain and refuses with Go crypto/x509 texts', async () => {
    const c = parseCertificatePem(leaf(30 * DAY, now, { dnsNames: ['api.example'], usages: ['server auth'] }).pem);
    const ok = verifyCertificate(c, { roots: [ca.certificate], now, usage: 'serverAuth', dnsName: 'api.example' });
    assert.equal(ok.ok, true);
    assert.equal(ok.ok && ok.chain.length, 2);

    const other = (await CertificateAuthority.createSelfSigned({ commonName: 'v-ca', now: T0 })).ca;
    assert.deepEqual(verifyCertificate(c, { roots: [other.certificate], now }), {
      ok: false,
      reason: 'x509: certificate signed by unknown authority',
    });
    const later = new Date(now.getTime() + 31 * DAY);
    const expired = verifyCertificate(c, { roots: [ca.certificate], now: later });
    assert.equal(
      !expired.ok && expired.reason,
      `x509: certificate has expired or is not yet valid: current time ${later.toISOString().slice(0, 19)}Z is after ${c.notAfter.toISOString().slice(0, 19)}Z`,
    );
    assert.deepEqual(verifyCertificate(c, { roots: [ca.certificate], now, usage: 'clientAuth' }), {
      ok: false,
      reason: 'x509: certificate specifies an incompatible key usage',
    });
    assert.deepEqual(verifyCertificate(c, { roots: [ca.certificate], now, ipAddress: '10.0.0.1' }), {
      ok: false,
      reason: "x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs",
    });
    assert.deepEqual(verifyCertificate(c, { roots: [ca.certificate], now, dnsName: 'other.example' }), {
      ok: false,
      reason: 'x509: certificate is valid for api.example, not other.example',
    });
  });

  it('follows an intermediate CA', async () => {
    const interKey = await generateKeyPair();
    const inter = ca.issue({
      subject: { commonName: 'inter' },
      publicKey: interKey.publicKey,
      usages: [],
      ttlMs: 100 * DAY,
      isCA: true,
      now,
    });
    const interCa = CertificateAuthority.fromPem(inter.pem, encodePrivateKeyPem(interKey));
    const c = parseCertificatePem(
      interCa.issue({
        subject: { commonName: 'l' },
        publicKey: key.publicKey,
        usages: ['client auth'],
        ttlMs: DAY,
        now,
      }).pem,
    );
    const r = verifyCertificate(c, {
      roots: [ca.certificate],
      intermediates: [interCa.certificate],
      now,
      usage: 'clientAuth',
    });
    assert.equal(r.ok && r.chain.map((x) => x.subject.commonName).join('>'), 'l>inter>v-ca');
    assert.equal(verifyCertificate(c, { roots: [ca.certificate], now }).ok, false);
    // As a TLS stack hands the chain over: the anchor it verified with appended. The root among the
    // intermediates changes nothing; the real intermediate is still followed.
    const appended = verifyCertificate(c, {
      roots: [ca.certificate],
      intermediates: [interCa.certificate, ca.certificate],
      now,
      usage: 'clientAuth',
    });
    assert.equal(appended.ok && appended.chain.map((x) => x.subject.commonName).join('>'), 'l>inter>v-ca');
    const direct = parseCertificatePem(leaf(DAY, now, { usages: ['client auth'] }).pem);
    const rootOnly = verifyCertificate(direct, { roots: [ca.certificate], intermediates: [ca.certificate], now });
    assert.equal(rootOnly.ok && rootOnly.chain.map((x) => x.subject.commonName).join('>'), 'x>v-ca');
    const otherRoot = (await CertificateAuthority.createSelfSigned({ commonName: 'other', now: T0, validityMs: DAY }))
      .ca;
    assert.equal(
      verifyCertificate(direct, { roots: [otherRoot.certificate], intermediates: [ca.certificate], now }).ok,
      false,
      'a CA that is not a root stays an intermediate, and the chain through it still needs a root',
    );
  });
});

describe('keys', () => {
  it('round-trips key PEM for every key type and matches certificates', async () => {
    for (const type of ['ecdsa-p256', 'rsa-2048', 'rsa-3072'] as const) {
      const k = await generateKeyPair(type);
      const pem = encodePrivateKeyPem(k);
      const label = type === 'ecdsa-p256' ? 'EC' : 'RSA';
      assert.ok(pem.startsWith(`-----BEGIN ${label} PRIVATE KEY-----`), pem.split('\n')[0]);
      const back = parsePrivateKeyPem(pem);
      assert.equal(back.type, type);
      assert.equal(encodePublicKeyPem(back), encodePublicKeyPem(k));
      assert.match(encodePublicKeyPem(k), /^-----BEGIN PUBLIC KEY-----/);
    }
    const c = parseCertificatePem(leaf(DAY, new Date(T0.getTime() + DAY)).pem);
    assert.equal(certificateMatchesKey(c, key), true);
    assert.equal(certificateMatchesKey(c, key.privateKey), true);
    assert.equal(certificateMatchesKey(c, await generateKeyPair()), false);
    assert.throws(
      () => CertificateAuthority.fromPem(ca.certPem, encodePrivateKeyPem(key)),
      (e) => e instanceof PkiError && e.code === 'KeyMismatch',
    );
    assert.throws(
      () => CertificateAuthority.fromPem(c.pem, encodePrivateKeyPem(key)),
      (e) => e instanceof PkiError && e.code === 'NotCA',
    );
  });

  it('lays out P-256 PEM and SPKI exactly as OpenSSL exports them, and the openssl CLI reads them', async () => {
    for (let i = 0; i < 200; i++) {
      const k = await generateKeyPair();
      const pem = encodePrivateKeyPem(k);
      assert.equal(pem, k.privateKey.export({ type: 'sec1', format: 'pem' }).toString());
      assert.deepEqual(spkiDerOf(k), k.publicKey.export({ type: 'spki', format: 'der' }));
      assert.deepEqual(spkiDerOf(k.privateKey), spkiDerOf(k.publicKey));
      // Again from the private key alone: the SEC1 export is kept per key.
      assert.equal(encodePrivateKeyPem(k.privateKey), pem);
    }
    const k = await generateKeyPair();
    ossl.file('mine.key', encodePrivateKeyPem(k));
    const pub = ossl.run(['pkey', '-in', 'mine.key', '-pubout', '-outform', 'DER']);
    assert.deepEqual(spkiDerOf(k), pub);
  });

  it('reads openssl PKCS#8, SEC1 and PKCS#1 keys', () => {
    ossl.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec8.key']);
    ossl.run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa8.key']);
    const ec8 = ossl.run(['pkey', '-in', 'ec8.key']).toString();
    const sec1 = ossl.run(['ec', '-in', 'ec8.key']).toString();
    const rsa8 = ossl.run(['pkey', '-in', 'rsa8.key']).toString();
    const pkcs1 = ossl.run(['rsa', '-in', 'rsa8.key', '-traditional']).toString();
    assert.match(ec8, /BEGIN PRIVATE KEY/);
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    assert.equal(parsePrivateKeyPem(ec8).type, 'ecdsa-p256');
    assert.equal(encodePublicKeyPem(parsePrivateKeyPem(sec1)), encodePublicKeyPem(parsePrivateKeyPem(ec8)));
    assert.equal(parsePrivateKeyPem(rsa8).type, 'rsa-2048');
    assert.equal(encodePublicKeyPem(parsePrivateKeyPem(pkcs1)), encodePublicKeyPem(parsePrivateKeyPem(rsa8)));
    assert.throws(
      () => parsePrivateKeyPem('nope'),
      (e) => e instanceof PkiError && e.code === 'BadPem',
    );
  });

  it('parseKeyType names the allowed values', () => {
    assert.equal(parseKeyType('RSA-4096'), 'rsa-4096');
    assert.throws(
      () => parseKeyType('dsa'),
      (e) =>
        e instanceof PkiError &&
        e.code === 'UnsupportedKeyType' &&
        e.message.includes('ecdsa-p256, rsa-2048, rsa-3072, rsa-4096'),
    );
  });
});
