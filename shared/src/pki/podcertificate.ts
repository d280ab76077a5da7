// The key pair and proof of possession behind a PodCertificateRequest (KEP-4317). The kubelet makes
// a key of the projection's keyType and signs the pod's UID with it; the apiserver checks that
// signature against spec.pkixPublicKey, so a request can only name a key its sender holds. The
// signature schemes are Go's: RSASSA-PSS over SHA-256 (salt = hash length when signing, any when
// verifying, as rsa.VerifyPSS with nil options), ECDSA ASN.1 over SHA-256 whatever the curve,
// Ed25519 over the raw UID.
import {
  constants,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPair,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { PodCertificateKeyType } from '../api/certificates.js';

const generate = promisify(generateKeyPair);

export interface PodCertificateKey {
  readonly privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo: spec.pkixPublicKey. */
  readonly pkixPublicKey: Buffer;
  /** PEM `PRIVATE KEY` (PKCS#8), as the kubelet writes it. */
  readonly privateKeyPem: string;
}

const CURVES: Record<string, string> = { ECDSAP256: 'prime256v1', ECDSAP384: 'secp384r1', ECDSAP521: 'secp521r1' };

/** A new key of a projection's keyType; throws `unknown key type "X"` as the kubelet does. */
export async function generatePodCertificateKey(keyType: PodCertificateKeyType | string): Promise<PodCertificateKey> {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (keyType === 'RSA3072' || keyType === 'RSA4096') {
    pair = await generate('rsa', { modulusLength: keyType === 'RSA3072' ? 3072 : 4096 });
  } else if (CURVES[keyType]) {
    pair = await generate('ec', { namedCurve: CURVES[keyType]! });
  } else if (keyType === 'ED25519') {
    pair = await generate('ed25519');
  } else {
    throw new Error(`unknown key type ${JSON.stringify(keyType)}`);
  }
  return {
    privateKey: pair.privateKey,
    pkixPublicKey: pair.publicKey.export({ format: 'der', type: 'spki' }),
    privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** The key's signature over the ASCII pod UID: spec.proofOfPossession. */
export function signProofOfPossession(privateKey: KeyObject, podUID: string): Buffer {
  const data = Buffer.from(podUID);
  switch (privateKey.asymmetricKeyType) {
    case 'rsa':
      return cryptoSign('sha256', data, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case 'ec':
      return cryptoSign('sha256', data, privateKey);
    case 'ed25519':
      return cryptoSign(null, data, privateKey);
    default:
      throw new Error(`unknown key type ${JSON.stringify(privateKey.asymmetricKeyType)}`);
  }
}

/** What the apiserver needs to know of a request's public key before it checks the proof. */
export type PodCertificatePublicKey =
  | { readonly type: 'rsa'; readonly bits: number; readonly key: KeyObject }
  | { readonly type: 'ec'; readonly curve: string; readonly key: KeyObject }
  | { readonly type: 'ed25519'; readonly key: KeyObject }
  | { readonly type: 'other'; readonly key: KeyObject };

/** Go's curve names, for messages: P-256, P-384, P-521, P-224… */
const GO_CURVE: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  secp224r1: 'P-224',
};

/** Parses a DER SubjectPublicKeyInfo; throws when it is not one (x509.ParsePKIXPublicKey failing). */
export function parsePodCertificatePublicKey(spki: Buffer): PodCertificatePublicKey {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { type: 'rsa', bits: d.modulusLength ?? 0, key };
    case 'ec':
      return { type: 'ec', curve: GO_CURVE[d.namedCurve ?? ''] ?? d.namedCurve ?? '', key };
    case 'ed25519':
      return { type: 'ed25519', key };
    default:
      return { type: 'other', key };
  }
}

/** Whether proof is the key's signature over podUID, in the scheme its type uses. */
export function verifyProofOfPossession(pub: PodCertificatePublicKey, podUID: string, proof: Buffer): boolean {
  const data = Buffer.from(podUID);
  try {
    switch (pub.type) {
      case 'rsa':
        return cryptoVerify(
          'sha256',
          data,
          { key: pub.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          proof,
        );
      case 'ec':
        return cryptoVerify('sha256', data, pub.key, proof);
      case 'ed25519':
        return cryptoVerify(null, data, pub.key, proof);
      default:
        return false;
    }
  } catch {
    // Malformed signatures (bad DER, wrong length) make OpenSSL throw: just "not verified".
    return false;
  }
}
