// CA creation and issuance, checked by the real openssl binary.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CertificateAuthority,
  certificateMatchesKey,
  encodePrivateKeyPem,
  generateKeyPair,
  type KeyType,
  parseCertificateDer,
  parseCertificatePem,
  spkiSha256Pin,
} from '../src/pki/index.js';
import { type OpenSsl, openssl } from './helpers/openssl.js';

let ossl: OpenSsl;
before(() => {
  ossl = openssl();
});
after(() => ossl.cleanup());

const YEAR = 365 * 24 * 3600 * 1000;

for (const caType of ['ecdsa-p256', 'rsa-2048'] as const satisfies readonly KeyType[]) {
  describe(`CA ${caType}`, () => {
    it('issues leaves of both key types that openssl verifies, with SANs, EKUs, key usages and AKI', async () => {
      const { ca, certPem } = await CertificateAuthority.createSelfSigned({
        commonName: `ca-${caType}`,
        keyType: caType,
      });
      const caPath = ossl.file(`ca-${caType}.crt`, certPem);
      const caText = ossl.run(['x509', '-in', caPath, '-noout', '-text']).toString();
      assert.match(caText, /CA:TRUE/);
      assert.match(caText, /Basic Constraints: critical/);
      assert.match(caText, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
      assert.match(caText, caType === 'ecdsa-p256' ? /ecdsa-with-SHA256/ : /sha256WithRSAEncryption/);
      const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)?.[1];
      assert.ok(ski, 'CA has an SKI');
      assert.equal(ca.certificate.subjectKeyId, ski.replaceAll(':', '').toLowerCase());
      assert.ok(ca.certificate.notAfter.getTime() - ca.certificate.notBefore.getTime() >= 10 * YEAR);

      for (const leafType of ['ecdsa-p256', 'rsa-2048'] as const) {
        const key = await generateKeyPair(leafType);
        const issued = ca.issue({
          subject: { commonName: 'kube-apiserver', organizations: ['mkube'] },
          dnsNames: ['kubernetes', 'kubernetes.default.svc'],
          ipAddresses: ['10.96.0.1', '127.0.0.1', '::1'],
          publicKey: key.publicKey,
          usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
          ttlMs: YEAR,
        });
        const leafPath = ossl.file(`leaf-${caType}-${leafType}.crt`, issued.pem);
        assert.match(ossl.run(['verify', '-CAfile', caPath, leafPath]).toString(), /: OK/);
        const text = ossl.run(['x509', '-in', leafPath, '-noout', '-text']).toString();
        assert.match(text, /DNS:kubernetes, DNS:kubernetes.default.svc, IP Address:10.96.0.1, IP Address:127.0.0.1/);
        assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
        assert.match(text, /CA:FALSE/);
        assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
        assert.match(text, /Subject: O = mkube, CN = kube-apiserver/);
        assert.match(text, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski}`));
        const keyPath = ossl.file(`leaf-${caType}-${leafType}.key`, encodePrivateKeyPem(key));
        const certMod = ossl.run(['x509', '-in', leafPath, '-noout', '-pubkey']).toString();
        const keyMod = ossl.run(['pkey', '-in', keyPath, '-pubout']).toString();
        assert.equal(certMod, keyMod);

        const parsed = parseCertificatePem(issued.pem);
        assert.equal(parsed.serialHex, issued.serialHex);
        assert.deepEqual(parsed.ipAddresses, ['10.96.0.1', '127.0.0.1', '::1']);
        assert.equal(parsed.authorityKeyId, ca.certificate.subjectKeyId);
        assert.equal(parsed.subjectKeyId, undefined, 'Go adds no SKI to leaves');
        assert.deepEqual(parsed.rawIssuer, ca.certificate.rawSubject);
      }
    });
  });
}

describe('serials and intermediate CAs', () => {
  it('uses random 128-bit serials (two differ; DER INTEGER stays positive)', async () => {
    const { ca, certPem } = await CertificateAuthority.createSelfSigned({ commonName: 'serial-ca' });
    const caPath = ossl.file('serial-ca.crt', certPem);
    const key = await generateKeyPair();
    const serials = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const c = ca.issue({
        subject: { commonName: `s${i}` },
        publicKey: key.publicKey,
        usages: ['client auth'],
        ttlMs: YEAR,
      });
      assert.ok(c.serialHex.length <= 32 && c.serialHex.length >= 20, c.serialHex);
      serials.add(c.serialHex);
      if (i < 3) {
        const out = ossl.run(['x509', '-in', ossl.file(`s${i}.crt`, c.pem), '-noout', '-serial']).toString();
        assert.equal(BigInt(`0x${out.trim().split('=')[1]}`), BigInt(`0x${c.serialHex}`));
        assert.match(ossl.run(['verify', '-CAfile', caPath, ossl.file(`s${i}.crt`, c.pem)]).toString(), /OK/);
      }
    }
    assert.equal(serials.size, 40);
  });

  it('issues an intermediate CA whose leaves openssl verifies through the chain', async () => {
    const { ca, certPem } = await CertificateAuthority.createSelfSigned({ commonName: 'root' });
    const interKey = await generateKeyPair();
    const inter = ca.issue({
      subject: { commonName: 'intermediate' },
      publicKey: interKey.publicKey,
      usages: [],
      ttlMs: YEAR,
      isCA: true,
    });
    const interCa = CertificateAuthority.fromPem(inter.pem, encodePrivateKeyPem(interKey));
    assert.equal(interCa.certificate.isCA, true);
    assert.deepEqual(interCa.certificate.keyUsages, ['digitalSignature', 'keyCertSign', 'cRLSign']);
    const leafKey = await generateKeyPair();
    const leaf = interCa.issue({
      subject: { commonName: 'leaf' },
      publicKey: leafKey.publicKey,
      usages: ['server auth'],
      ttlMs: YEAR,
      dnsNames: ['leaf.example'],
    });
    const out = ossl.run([
      'verify',
      '-CAfile',
      ossl.file('root.crt', certPem),
      '-untrusted',
      ossl.file('inter.crt', inter.pem),
      ossl.file('leaf-of-inter.crt', leaf.pem),
    ]);
    assert.match(out.toString(), /OK/);
  });

  it('spkiSha256Pin equals openssl pkey -pubout DER | sha256', async () => {
    for (const keyType of ['ecdsa-p256', 'rsa-2048'] as const) {
      const { ca, certPem } = await CertificateAuthority.createSelfSigned({ commonName: `pin-${keyType}`, keyType });
      const pub = ossl.run(['x509', '-in', ossl.file(`pin-${keyType}.crt`, certPem), '-pubkey', '-noout']);
      const der = ossl.run(['pkey', '-pubin', '-outform', 'der'], pub);
      const digest = ossl.run(['dgst', '-sha256', '-hex', '-r'], der).toString().split(' ')[0];
      assert.equal(spkiSha256Pin(ca.certificate), `sha256:${digest}`);
      assert.equal(spkiSha256Pin(ca.certificate.publicKey), `sha256:${digest}`);
    }
  });
});

describe('parsing a certificate whose public key it has not imported yet', () => {
  it('rejects a P-256 point off the curve at parse time, and imports the key it carries on first use', async () => {
    const { ca } = await CertificateAuthority.createSelfSigned({ commonName: 'lazy-ca', keyType: 'ecdsa-p256' });
    const key = await generateKeyPair('ecdsa-p256');
    const issued = ca.issue({
      subject: { commonName: 'system:node:lazy', organizations: ['system:nodes'] },
      publicKey: key.publicKey,
      usages: ['digital signature', 'client auth'],
      ttlMs: YEAR,
    });
    const parsed = parseCertificatePem(issued.pem);
    assert.ok(parsed.publicKey.equals(key.publicKey));
    assert.ok(certificateMatchesKey(parsed, key));
    assert.equal(parsed.publicKey, parsed.publicKey, 'imported once');

    // Flip the last byte of Y: same length and prefix, no longer a point of P-256.
    const spki = parsed.publicKeyDer;
    const at = parsed.der.indexOf(spki) + spki.length - 1;
    const bad = Buffer.from(parsed.der);
    bad[at]! ^= 0x01;
    assert.throws(() => parseCertificateDer(bad), { name: 'PkiError', message: /not on the curve/ });
  });
});
