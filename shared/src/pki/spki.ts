// SubjectPublicKeyInfo → KeyObject on the signing hot path. Node's DER import goes through
// OpenSSL 3's decoder framework (~100 µs a key here); importing the same key as a JWK costs about
// half that for P-256 and almost nothing for RSA. The fast path is taken only when the SPKI is in
// canonical form, so the bytes later copied into a certificate are exactly what Go would write.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { contentOf, DerError, DerSeq, decodeBitString, decodeUnsigned, readRoot, TAG } from './der.js';

// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 00 04 ... } }: 27 fixed bytes + X + Y.
export const P256_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');
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

// P-256 (FIPS 186-4 D.1.2.3): the field prime and the curve's b; a = -3.
const P256_P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const bigOf = (b: Buffer): bigint => BigInt(`0x${b.toString('hex')}`);

/** Whether an uncompressed P-256 point (X ‖ Y, 64 bytes) lies on the curve: what OpenSSL checks on import. */
function onP256(xy: Buffer): boolean {
  const x = bigOf(xy.subarray(0, 32));
  const y = bigOf(xy.subarray(32, 64));
  if (x >= P256_P || y >= P256_P) return false;
  const rhs = (((((x * x) % P256_P) * x - 3n * x + P256_B) % P256_P) + P256_P) % P256_P;
  return (y * y) % P256_P === rhs;
}

/**
 * Checks a DER SPKI as importSpki would, and returns a function that imports it on first use. A
 * canonical P-256 key (what kubelets send) is checked without OpenSSL: most certificates a server
 * parses — issued ones it only stores, client leaves it only maps to a user — never need their key.
 */
export function lazySpki(spki: Buffer): () => KeyObject {
  if (spki.length === 91 && spki.subarray(0, 27).equals(P256_PREFIX)) {
    if (!onP256(spki.subarray(27, 91))) throw new DerError('P-256 public key is not on the curve');
    let key: KeyObject | undefined;
    return () => {
      key ??= importSpki(spki).key;
      return key;
    };
  }
  const key = importSpki(spki).key;
  return () => key;
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
