// Service-account signing and verification keys (facts §13): RS256 for RSA, ES256 for P-256;
// `kid` = base64url(SHA-256(DER SubjectPublicKeyInfo)) without padding, as kube-apiserver computes it.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

export function algorithmOf(key: KeyObject): 'RS256' | 'ES256' {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported service-account key type ${key.asymmetricKeyType}`);
}

/** Public keys from a --service-account-key-file: PEM public keys, certificates or private keys, several per file. */
export function publicKeysFromPem(pem: string): KeyObject[] {
  const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  return blocks.map((b) => createPublicKey(b.includes('CERTIFICATE') ? { key: b, format: 'pem' } : b));
}
