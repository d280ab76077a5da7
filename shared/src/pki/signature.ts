// Checking a signature over DER bytes with the algorithm an AlgorithmIdentifier names. The key's
// family must match the algorithm's, so an RSA key cannot "verify" an ECDSA-labelled signature.
import { type KeyObject, verify } from 'node:crypto';
import { contentOf, DerSeq, decodeOid, TAG, type Tlv } from './der.js';
import { OID, SIGNATURE_ALGORITHMS } from './oids.js';

export interface SignatureAlgorithm {
  readonly oid: string;
  readonly name: string;
  readonly hash: string | null;
  readonly keyType: 'ec' | 'rsa' | 'ed25519';
}

/** Reads an AlgorithmIdentifier; undefined `hash`/keyType mean mkube cannot verify it. */
export function decodeSignatureAlgorithm(buf: Uint8Array, t: Tlv): { oid: string; alg?: SignatureAlgorithm } {
  const it = new DerSeq(buf, t);
  const oid = decodeOid(contentOf(buf, it.next(TAG.OID)));
  const params = it.done ? undefined : it.next();
  it.end();
  const known = SIGNATURE_ALGORITHMS[oid];
  if (!known) return { oid };
  const keyType = oid === OID.ed25519 ? 'ed25519' : oid.startsWith('1.2.840.10045.') ? 'ec' : 'rsa';
  // RSA PKCS#1 v1.5 carries NULL parameters (or none); ECDSA and EdDSA carry none.
  if (params && !(keyType === 'rsa' && params.tag === TAG.NULL && params.end === params.valueStart)) return { oid };
  return { oid, alg: { oid, name: known.name, hash: known.hash, keyType } };
}

export function verifySignature(alg: SignatureAlgorithm, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  if (key.asymmetricKeyType !== alg.keyType) return false;
  try {
    return verify(alg.hash, data, key, signature);
  } catch {
    // OpenSSL rejects malformed signatures (bad DER in ECDSA) by throwing: that is just "invalid".
    return false;
  }
}

/** verifySignature on libuv's thread pool (crypto.verify with a callback). */
export function verifySignatureAsync(
  alg: SignatureAlgorithm,
  data: Buffer,
  key: KeyObject,
  signature: Buffer,
): Promise<boolean> {
  if (key.asymmetricKeyType !== alg.keyType) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify(alg.hash, data, key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}
