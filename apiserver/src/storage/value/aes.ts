// The `aescbc` and `aesgcm` providers' ciphers (upstream's encrypt/aes), key sizes 16, 24 or 32 bytes.
//   aescbc: random 16-byte IV ‖ AES-CBC(plaintext + PKCS#7 padding). No integrity: kept for
//           compatibility, as upstream (which recommends against it).
//   aesgcm: random 12-byte nonce ‖ AES-GCM ciphertext ‖ 16-byte tag, with the storage key as the
//           additional authenticated data (upstream passes the etcd key as the value.Context), so a
//           value moved to another key fails to authenticate. Random nonces: rotate keys well before
//           2^32 writes per key (NIST SP 800-38D), as upstream documents.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type FromStorage, TransformError, type Transformer } from './transformer.js';

export const AES_KEY_SIZES: readonly number[] = [16, 24, 32];

const BLOCK = 16;
const GCM_NONCE = 12;
const GCM_TAG = 16;

function checkKey(key: Uint8Array): number {
  if (!AES_KEY_SIZES.includes(key.length)) {
    throw new Error(`AES key must be ${AES_KEY_SIZES.join(', ')} bytes, got ${key.length}`);
  }
  return key.length * 8;
}

const short = () => new TransformError('the stored data was shorter than the required size');

export function aesCbcTransformer(secret: Uint8Array): Transformer {
  const key = Buffer.from(secret);
  const algorithm = `aes-${checkKey(key)}-cbc`;
  return Object.freeze({
    fromStorage(data: Buffer): FromStorage {
      if (data.length < BLOCK) throw short();
      const body = data.subarray(BLOCK);
      if (body.length % BLOCK !== 0) throw new TransformError('the stored data is not a multiple of the block size');
      if (body.length === 0) throw new TransformError('invalid PKCS7 data (empty or not padded)');
      const decipher = createDecipheriv(algorithm, key, data.subarray(0, BLOCK)).setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      const pad = plain[plain.length - 1] ?? 0;
      if (pad === 0 || pad > BLOCK || pad > plain.length) {
        throw new TransformError('invalid PKCS7 data (empty or not padded)');
      }
      for (let i = plain.length - pad; i < plain.length; i++) {
        if (plain[i] !== pad) throw new TransformError('invalid padding on input');
      }
      return { value: plain.subarray(0, plain.length - pad), stale: false };
    },
    toStorage(data: Buffer): Buffer {
      const iv = randomBytes(BLOCK);
      // Node's automatic padding is PKCS#7: 1..16 bytes, a whole block when already aligned.
      const cipher = createCipheriv(algorithm, key, iv);
      return Buffer.concat([iv, cipher.update(data), cipher.final()]);
    },
  });
}

export function aesGcmTransformer(secret: Uint8Array): Transformer {
  const key = Buffer.from(secret);
  const algorithm = `aes-${checkKey(key)}-gcm` as const;
  return Object.freeze({
    fromStorage(data: Buffer, storageKey: string): FromStorage {
      if (data.length < GCM_NONCE) throw short();
      if (data.length < GCM_NONCE + GCM_TAG) throw new TransformError('message authentication failed');
      const decipher = createDecipheriv(algorithm as 'aes-256-gcm', key, data.subarray(0, GCM_NONCE), {
        authTagLength: GCM_TAG,
      });
      decipher.setAAD(Buffer.from(storageKey, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - GCM_TAG));
      try {
        const plain = Buffer.concat([
          decipher.update(data.subarray(GCM_NONCE, data.length - GCM_TAG)),
          decipher.final(),
        ]);
        return { value: plain, stale: false };
      } catch {
        // Wrong key, tampered bytes, or a value copied from another storage key.
        throw new TransformError('message authentication failed');
      }
    },
    toStorage(data: Buffer, storageKey: string): Buffer {
      const nonce = randomBytes(GCM_NONCE);
      const cipher = createCipheriv(algorithm as 'aes-256-gcm', key, nonce, { authTagLength: GCM_TAG });
      cipher.setAAD(Buffer.from(storageKey, 'utf8'));
      return Buffer.concat([nonce, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
    },
  });
}
