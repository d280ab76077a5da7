// Key pairs as Node KeyObjects, and their PEM forms as kubeadm / client-go keyutil write them:
// EC keys as SEC1 "EC PRIVATE KEY", RSA keys as PKCS#1 "RSA PRIVATE KEY", public keys as SPKI "PUBLIC KEY".
import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { PkiError } from './errors.js';
import { decodePemBlocks, encodePem } from './pem.js';
import { P256_PREFIX } from './spki.js';

export type KeyType = 'ecdsa-p256' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export const KEY_TYPES: readonly KeyType[] = Object.freeze(['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096']);
export const DEFAULT_KEY_TYPE: KeyType = 'ecdsa-p256';

export interface KeyPair {
  readonly type: KeyType;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const generate = promisify(generateKeyPairCb);

/** A fresh key pair; generation runs on libuv's thread pool, so it does not block the event loop. */
export async function generateKeyPair(type: KeyType = DEFAULT_KEY_TYPE): Promise<KeyPair> {
  if (!KEY_TYPES.includes(type)) throw unsupportedKeyType(String(type));
  const { privateKey, publicKey } =
    type === 'ecdsa-p256'
      ? await generate('ec', { namedCurve: 'prime256v1' })
      : await generate('rsa', { modulusLength: Number(type.slice(4)), publicExponent: 0x10001 });
  return { type, privateKey, publicKey };
}

/** The KeyType of a key, or undefined for keys mkube does not issue (other curves, RSA sizes, EdDSA). */
export function keyTypeOf(key: KeyObject): KeyType | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return d?.namedCurve === 'prime256v1' ? 'ecdsa-p256' : undefined;
  if (key.asymmetricKeyType === 'rsa') {
    const t = `rsa-${d?.modulusLength}`;
    return (KEY_TYPES as readonly string[]).includes(t) ? (t as KeyType) : undefined;
  }
  return undefined;
}

function unsupportedKeyType(text: string): PkiError {
  return new PkiError('UnsupportedKeyType', `unsupported key type "${text}": must be one of ${KEY_TYPES.join(', ')}`);
}

/**
 * Parses a key type flag value. Also accepts kubeadm's `encryptionAlgorithm` spellings
 * (ECDSA-P256, RSA-2048, ...) since they differ only in case.
 */
export function parseKeyType(text: string): KeyType {
  const t = text.trim().toLowerCase();
  if ((KEY_TYPES as readonly string[]).includes(t)) return t as KeyType;
  throw unsupportedKeyType(text);
}

function isKeyPair(k: KeyPair | KeyObject): k is KeyPair {
  return 'privateKey' in k && 'publicKey' in k;
}

/** The public half of a key pair or key (a private KeyObject yields its public key). */
export function publicKeyOf(key: KeyPair | KeyObject): KeyObject {
  if (isKeyPair(key)) return key.publicKey;
  return key.type === 'private' ? createPublicKey(key) : key;
}

// SEC1 ECPrivateKey of a P-256 key as OpenSSL writes it: version 1, the 32-byte scalar, the named
// curve, and the uncompressed public point (04 ‖ X ‖ Y) in its last 65 bytes.
const SEC1_P256_HEAD = Buffer.from('30770201010420', 'hex');
const SEC1_P256_MID = Buffer.from('a00a06082a8648ce3d030107a144034200', 'hex');
const sec1Cache = new WeakMap<KeyObject, Buffer>();

/**
 * The SEC1 DER of a P-256 private key, exported once per key: it serves the key's PEM and, since
 * it carries the public point, its SubjectPublicKeyInfo too. OpenSSL 3 exports SEC1 in ~15 µs and
 * SPKI in ~120 µs (its encoder framework); a kubelet needs both for every key it generates.
 */
function p256Sec1Of(k: KeyObject): Buffer | undefined {
  if (k.type !== 'private' || k.asymmetricKeyType !== 'ec') return undefined;
  const hit = sec1Cache.get(k);
  if (hit) return hit;
  const der = k.export({ type: 'sec1', format: 'der' });
  if (der.length !== 121 || !der.subarray(0, 7).equals(SEC1_P256_HEAD) || !der.subarray(39, 56).equals(SEC1_P256_MID))
    return undefined;
  sec1Cache.set(k, der);
  return der;
}

/** DER SubjectPublicKeyInfo of a key. */
// Not laid out by hand from a JWK export: on Node 20, KeyObject.export({ format: 'jwk' }) of an EC
// key can deadlock the thread for good when a garbage collection inside it finalizes the
// key-generation job (ExportJWKEcKey holds the key's mutex, ~KeyGenJob takes it again; seen in gdb
// on a test that hung 1 run in 6). The SEC1 export used instead is the one PEM keys always took.
export function spkiDerOf(key: KeyPair | KeyObject): Buffer {
  const sec1 = p256Sec1Of(isKeyPair(key) ? key.privateKey : key);
  if (sec1) return Buffer.concat([P256_PREFIX, sec1.subarray(57)]);
  return publicKeyOf(key).export({ type: 'spki', format: 'der' });
}

export function encodePrivateKeyPem(key: KeyPair | KeyObject): string {
  const k = isKeyPair(key) ? key.privateKey : key;
  if (k.type !== 'private') throw new PkiError('UnsupportedKey', 'not a private key');
  const sec1 = p256Sec1Of(k);
  if (sec1) return encodePem('EC PRIVATE KEY', sec1);
  if (k.asymmetricKeyType === 'ec') return k.export({ type: 'sec1', format: 'pem' }).toString();
  if (k.asymmetricKeyType === 'rsa') return k.export({ type: 'pkcs1', format: 'pem' }).toString();
  throw new PkiError('UnsupportedKey', `unsupported private key algorithm ${k.asymmetricKeyType}`);
}

export function encodePublicKeyPem(key: KeyPair | KeyObject): string {
  return encodePem('PUBLIC KEY', spkiDerOf(key));
}

const KEY_BLOCKS: Record<string, 'sec1' | 'pkcs1' | 'pkcs8'> = {
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
  'PRIVATE KEY': 'pkcs8',
};

/** Reads the first private key block (SEC1, PKCS#1 or unencrypted PKCS#8); skips "EC PARAMETERS". */
export function parsePrivateKeyPem(pem: string | Uint8Array): KeyPair {
  const blocks = decodePemBlocks(pem);
  if (blocks.some((b) => b.type === 'ENCRYPTED PRIVATE KEY')) {
    throw new PkiError('UnsupportedKey', 'encrypted private keys are not supported');
  }
  const block = blocks.find((b) => b.type in KEY_BLOCKS);
  if (!block) throw new PkiError('BadPem', 'no private key PEM block found');
  if (block.headers) throw new PkiError('UnsupportedKey', 'encrypted (Proc-Type) private keys are not supported');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: block.der, format: 'der', type: KEY_BLOCKS[block.type]! });
  } catch (e) {
    throw new PkiError('BadPem', `cannot parse "${block.type}" block`, { cause: e });
  }
  const type = keyTypeOf(privateKey);
  if (!type) {
    const d = privateKey.asymmetricKeyDetails;
    const what = d?.namedCurve ?? (d?.modulusLength ? `${d.modulusLength} bits` : '');
    throw new PkiError(
      'UnsupportedKey',
      `unsupported private key ${privateKey.asymmetricKeyType} ${what}: want one of ${KEY_TYPES.join(', ')}`.replace(
        '  ',
        ' ',
      ),
    );
  }
  return { type, privateKey, publicKey: createPublicKey(privateKey) };
}
