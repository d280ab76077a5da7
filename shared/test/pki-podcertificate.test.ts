// PodCertificateRequest keys and proofs of possession: each keyType makes the key it names, and the
// proof over the pod UID is the scheme Go uses — checked both ways against openssl, which implements
// RSASSA-PSS, ECDSA and Ed25519 independently of the code under test.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  decodePemBlocks,
  generatePodCertificateKey,
  parsePodCertificatePublicKey,
  signProofOfPossession,
  verifyProofOfPossession,
} from '../src/pki/index.js';
import { type OpenSsl, openssl } from './helpers/openssl.js';

let ossl: OpenSsl;
before(() => {
  ossl = openssl();
});
after(() => ossl.cleanup());

const UID = '4a1c7e0f-5b0e-4c8a-9d1f-2b3c4d5e6f70';

const CASES = [
  { keyType: 'RSA3072', want: { type: 'rsa', bits: 3072 } },
  { keyType: 'RSA4096', want: { type: 'rsa', bits: 4096 } },
  { keyType: 'ECDSAP256', want: { type: 'ec', curve: 'P-256' } },
  { keyType: 'ECDSAP384', want: { type: 'ec', curve: 'P-384' } },
  { keyType: 'ECDSAP521', want: { type: 'ec', curve: 'P-521' } },
  { keyType: 'ED25519', want: { type: 'ed25519' } },
] as const;

/** openssl's verification of a proof over UID with the public key `pub`. */
function opensslVerifies(type: string, pubPath: string, sigPath: string, dataPath: string): boolean {
  const args =
    type === 'ed25519'
      ? ['pkeyutl', '-verify', '-pubin', '-inkey', pubPath, '-rawin', '-in', dataPath, '-sigfile', sigPath]
      : type === 'rsa'
        ? [
            'dgst',
            '-sha256',
            '-sigopt',
            'rsa_padding_mode:pss',
            '-sigopt',
            'rsa_pss_saltlen:-2',
            '-verify',
            pubPath,
            '-signature',
            sigPath,
            dataPath,
          ]
        : ['dgst', '-sha256', '-verify', pubPath, '-signature', sigPath, dataPath];
  try {
    ossl.run(args);
    return true;
  } catch {
    return false;
  }
}

describe('PodCertificateRequest proof of possession', () => {
  for (const c of CASES) {
    it(`${c.keyType}: the key it names, a proof that openssl verifies, and openssl's proofs verify`, async () => {
      const key = await generatePodCertificateKey(c.keyType);
      const pub = parsePodCertificatePublicKey(key.pkixPublicKey);
      const { key: _k, ...shape } = pub;
      assert.deepEqual(shape, c.want);
      // One PKCS#8 block, as the kubelet writes it, that parses back to the same key.
      assert.deepEqual(
        decodePemBlocks(key.privateKeyPem).map((b) => b.type),
        ['PRIVATE KEY'],
      );
      assert.equal(
        createPrivateKey(key.privateKeyPem).export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        key.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      );

      const proof = signProofOfPossession(key.privateKey, UID);
      assert.equal(verifyProofOfPossession(pub, UID, proof), true);
      assert.equal(verifyProofOfPossession(pub, `${UID}x`, proof), false, 'bound to the pod UID');
      const flipped = Buffer.from(proof);
      flipped[flipped.length - 1]! ^= 1;
      assert.equal(verifyProofOfPossession(pub, UID, flipped), false);
      assert.equal(verifyProofOfPossession(pub, UID, Buffer.alloc(0)), false, 'garbage is not an error');

      const pubPath = ossl.file(
        `${c.keyType}.pub`,
        createPublicKey(key.privateKey).export({ format: 'pem', type: 'spki' }),
      );
      const keyPath = ossl.file(`${c.keyType}.key`, key.privateKeyPem);
      const dataPath = ossl.file('uid', UID);
      const otherPath = ossl.file('other', `${UID}x`);
      const sigPath = ossl.file(`${c.keyType}.sig`, proof);
      assert.equal(opensslVerifies(pub.type, pubPath, sigPath, dataPath), true, 'openssl accepts our proof');
      assert.equal(opensslVerifies(pub.type, pubPath, sigPath, otherPath), false);

      // openssl's own signature in the same scheme (PSS with the largest salt: Go's verifier takes any).
      const signArgs =
        pub.type === 'ed25519'
          ? ['pkeyutl', '-sign', '-inkey', keyPath, '-rawin', '-in', dataPath]
          : pub.type === 'rsa'
            ? [
                'dgst',
                '-sha256',
                '-sigopt',
                'rsa_padding_mode:pss',
                '-sigopt',
                'rsa_pss_saltlen:max',
                '-sign',
                keyPath,
                dataPath,
              ]
            : ['dgst', '-sha256', '-sign', keyPath, dataPath];
      assert.equal(verifyProofOfPossession(pub, UID, ossl.run(signArgs)), true, 'we accept openssl-made proofs');
    });
  }

  it('refuses what a projection cannot ask for, and proofs from a key of another kind', async () => {
    await assert.rejects(generatePodCertificateKey('RSA2048'), { message: 'unknown key type "RSA2048"' });
    const ec = await generatePodCertificateKey('ECDSAP256');
    const ed = await generatePodCertificateKey('ED25519');
    const edPub = parsePodCertificatePublicKey(ed.pkixPublicKey);
    assert.equal(verifyProofOfPossession(edPub, UID, signProofOfPossession(ec.privateKey, UID)), false);
    assert.throws(() => parsePodCertificatePublicKey(Buffer.from('not a key')));
  });
});
