// CSRs: openssl-made requests parse and sign; ours pass `openssl req -verify`; tampering and
// garbage are refused with PkiError only (bounded fuzz of the DER parsers).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CertificateAuthority,
  createCsrPem,
  encodePem,
  generateKeyPair,
  PkiError,
  parseCertificatePem,
  parseCsrPem,
} from '../src/pki/index.js';
import { type OpenSsl, openssl } from './helpers/openssl.js';

let ossl: OpenSsl;
let ca: CertificateAuthority;
let caPath: string;
before(async () => {
  ossl = openssl();
  const created = await CertificateAuthority.createSelfSigned({ commonName: 'csr-ca' });
  ca = created.ca;
  caPath = ossl.file('ca.crt', created.certPem);
});
after(() => ossl.cleanup());

const DAY = 24 * 3600 * 1000;

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function opensslCsr(name: string, keyArgs: readonly string[]): string {
  const keyPath = `${name}.key`;
  ossl.run(['genpkey', ...keyArgs, '-out', keyPath]);
  return ossl
    .run([
      'req',
      '-new',
      '-key',
      keyPath,
      '-subj',
      '/O=system:nodes/CN=system:node:worker-1',
      '-addext',
      'subjectAltName=DNS:worker-1,DNS:worker-1.example,IP:192.0.2.10,IP:2001:db8::1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ])
    .toString();
}

describe('CSRs from openssl req', () => {
  for (const [label, keyArgs] of [
    ['ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
    ['rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
  ] as const) {
    it(`parses and signs a ${label} CSR; requested extensions are dropped`, () => {
      const csrPem = opensslCsr(label, keyArgs);
      const csr = parseCsrPem(csrPem);
      assert.deepEqual(csr.subject, {
        commonName: 'system:node:worker-1',
        organizations: ['system:nodes'],
        organizationalUnits: [],
      });
      assert.deepEqual(csr.dnsNames, ['worker-1', 'worker-1.example']);
      assert.deepEqual(csr.ipAddresses, ['192.0.2.10', '2001:db8::1']);
      assert.equal(csr.keyType, label === 'ec' ? 'ecdsa-p256' : 'rsa-2048');
      assert.equal(csr.signatureAlgorithm, label === 'ec' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption');

      const issued = ca.signCsr(csrPem, { usages: ['digital signature', 'server auth'], ttlMs: 30 * DAY });
      const leafPath = ossl.file(`${label}-leaf.crt`, issued.pem);
      assert.match(ossl.run(['verify', '-CAfile', caPath, leafPath]).toString(), /OK/);
      const text = ossl.run(['x509', '-in', leafPath, '-noout', '-text']).toString();
      assert.match(text, /CA:FALSE/);
      assert.doesNotMatch(text, /CA:TRUE/);
      assert.match(text, /DNS:worker-1, DNS:worker-1.example, IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:1/);
      const cert = parseCertificatePem(issued.pem);
      assert.deepEqual(cert.subject, csr.subject);
      assert.deepEqual(cert.publicKeyDer, csr.publicKeyDer);
    });
  }

  it('createCsrPem output passes openssl req -verify, with subject and SANs', async () => {
    for (const keyType of ['ecdsa-p256', 'rsa-2048'] as const) {
      const key = await generateKeyPair(keyType);
      const pem = await createCsrPem(
        key,
        { commonName: 'system:node:n1', organizations: ['system:nodes'] },
        { dnsNames: ['n1'], ipAddresses: ['10.0.0.1'], uris: ['spiffe://cluster.local/n1'], emailAddresses: ['a@b.c'] },
      );
      const path = ossl.file(`ours-${keyType}.csr`, pem);
      const out = ossl.run(['req', '-in', path, '-verify', '-noout', '-text'], undefined);
      assert.match(out.toString(), /O = system:nodes, CN = system:node:n1/);
      assert.match(out.toString(), /DNS:n1, email:a@b.c, IP Address:10.0.0.1, URI:spiffe:\/\/cluster.local\/n1/);
      const parsed = parseCsrPem(pem);
      assert.deepEqual(parsed.uris, ['spiffe://cluster.local/n1']);
      assert.deepEqual(parsed.emailAddresses, ['a@b.c']);
    }
  });
});

describe('refusals', () => {
  it('refuses a tampered CSR with BadCsrSignature', () => {
    const pem = opensslCsr('tamper', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const der = pemBody(pem);
    const cnAt = der.indexOf(Buffer.from('worker-1'));
    assert.ok(cnAt > 0);
    der[cnAt] = 'W'.charCodeAt(0);
    assert.throws(
      () => parseCsrPem(encodePem('CERTIFICATE REQUEST', der)),
      (e) => e instanceof PkiError && e.code === 'BadCsrSignature',
    );
    assert.throws(
      () => ca.signCsr(encodePem('CERTIFICATE REQUEST', der), { usages: ['client auth'], ttlMs: DAY }),
      (e) => e instanceof PkiError && e.code === 'BadCsrSignature',
    );
  });

  it('refuses garbage PEM with BadPem or BadCsr', () => {
    const cases: [string, string][] = [
      ['', 'BadPem'],
      ['hello', 'BadPem'],
      ['-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n', 'BadPem'],
      [encodePem('CERTIFICATE REQUEST', Buffer.from('not der')), 'BadCsr'],
      [encodePem('CERTIFICATE REQUEST', Buffer.from([0x30, 0x80, 0, 0])), 'BadCsr'],
      [encodePem('CERTIFICATE', Buffer.from([0x30, 0x00])), 'BadPem'],
    ];
    for (const [input, code] of cases) {
      assert.throws(
        () => parseCsrPem(input),
        (e) => e instanceof PkiError && e.code === code,
        JSON.stringify(input),
      );
    }
  });

  it('fuzz: mutated and random DER never throws anything but PkiError', async () => {
    const key = await generateKeyPair();
    const csrDer = pemBody(
      await createCsrPem(key, { commonName: 'fuzz', organizations: ['o'] }, { dnsNames: ['a'], ipAddresses: ['::1'] }),
    );
    const certDer = parseCertificatePem(
      ca.issue({
        subject: { commonName: 'fuzz' },
        publicKey: key.publicKey,
        usages: ['server auth'],
        ttlMs: DAY,
        dnsNames: ['a'],
      }).pem,
    ).der;
    const deadline = Date.now() + 8000;
    let accepted = 0;
    for (let i = 0; i < 2000 && Date.now() < deadline; i++) {
      const base = i % 2 === 0 ? csrDer : certDer;
      let input: Buffer;
      if (i % 10 === 9) input = randomBytes(1 + (i % 300));
      else {
        input = Buffer.from(base);
        const flips = 1 + (i % 4);
        for (let f = 0; f < flips; f++) input[(i * 7919 + f * 104729) % input.length] = randomBytes(1)[0]!;
        if (i % 7 === 0) input = input.subarray(0, (i * 31) % input.length);
      }
      for (const parse of [
        () => parseCsrPem(encodePem('CERTIFICATE REQUEST', input)),
        () => parseCertificatePem(encodePem('CERTIFICATE', input)),
      ]) {
        try {
          parse();
          accepted++;
        } catch (e) {
          assert.ok(e instanceof PkiError, `iteration ${i}: ${String(e)}`);
        }
      }
    }
    assert.ok(accepted < 4000);
  });
});
