// SubjectPublicKeyInfo → KeyObject on the signing hot path. Node's DER import goes through
// OpenSSL 3's decoder framework (~100 µs a key here); importing the same key as a JWK costs about
// half that for P-256 and almost nothing for RSA. The fast path is taken only when the SPKI is in
// canonical form, so the bytes later copied into a certificate are exactly what Go would write.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { contentOf, DerError, DerSeq, decodeBitString, decodeUnsigned, readRoot, TAG } from './der.js';

// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 00 04 ... } }: 27 fixed bytes + X + Y.
const P256_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');
// AlgorithmIdentifier { rsaEncryption, NULL }
const RSA_ALG = Buffer.from('300d06092a864886f70d0101010500', 'hex');

export interface ImportedKey {
  readonly key: KeyObject;
  /** Canonical DER SPKI: the input when it was canonical, else the key re-encoded. */
  readonly spki: Buffer;
}

const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

function importRsa(spki: Buffer): KeyObject | undefined {
  const root = readRoot(spki, TAG.SEQUENCE);
  const top = new DerSeq(spki, root);
  const alg = top.next(TAG.SEQUENCE);
  if (!spki.subarray(alg.start, alg.end).equals(RSA_ALG)) return undefined;
  const bits = decodeBitString(contentOf(spki, top.next(TAG.BIT_STRING)));
  top.end();
  if (bits.unused !== 0) throw new DerError('bad RSA public key');
  const inner = readRoot(bits.bytes, TAG.SEQUENCE);
  const rsa = new DerSeq(bits.bytes, inner);
  const n = decodeUnsigned(contentOf(bits.bytes, rsa.next(TAG.INTEGER)), 'RSA modulus');
  const e = decodeUnsigned(contentOf(bits.bytes, rsa.next(TAG.INTEGER)), 'RSA exponent');
  rsa.end();
  // Same limits Go's x509 applies, and no absurd sizes for OpenSSL to chew on.
  if (n.length < 64 || n.length > 1024 || e.length === 0 || e.length > 4) throw new DerError('bad RSA public key');
  return createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' });
}

/** Imports a DER SPKI; throws (DerError or a crypto error) when it is not a usable public key. */
export function importSpki(spki: Buffer): ImportedKey {
  if (spki.length === 91 && spki.subarray(0, 27).equals(P256_PREFIX)) {
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64u(spki.subarray(27, 59)), y: b64u(spki.subarray(59, 91)) },
      format: 'jwk',
    });
    return { key, spki };
  }
  const rsa = importRsa(spki);
  if (rsa) return { key: rsa, spki };
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return { key, spki: key.export({ type: 'spki', format: 'der' }) };
}
