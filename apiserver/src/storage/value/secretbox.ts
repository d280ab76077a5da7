// The `secretbox` provider: NaCl secretbox (XSalsa20-Poly1305) with a 32-byte key, stored as a random
// 24-byte nonce ‖ the sealed box (16-byte Poly1305 tag ‖ ciphertext), as upstream's
// encrypt/secretbox (golang.org/x/crypto/nacl/secretbox, whose layout tweetnacl shares). Node's
// crypto has no XSalsa20, hence tweetnacl. No additional authenticated data (secretbox has none).
import { randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { type FromStorage, TransformError, type Transformer } from './transformer.js';

export const SECRETBOX_KEY_SIZE = 32;
const NONCE = 24;

export function secretboxTransformer(secret: Uint8Array): Transformer {
  if (secret.length !== SECRETBOX_KEY_SIZE) {
    throw new Error(`secretbox key must be ${SECRETBOX_KEY_SIZE} bytes, got ${secret.length}`);
  }
  const key = new Uint8Array(secret);
  return Object.freeze({
    fromStorage(data: Buffer): FromStorage {
      if (data.length < NONCE + nacl.secretbox.overheadLength) {
        throw new TransformError('the stored data was shorter than the required size');
      }
      const opened = nacl.secretbox.open(data.subarray(NONCE), data.subarray(0, NONCE), key);
      // Upstream says "output array was not large enough for encryption" here; this names the cause.
      if (opened === null) throw new TransformError('message authentication failed');
      return { value: Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength), stale: false };
    },
    toStorage(data: Buffer): Buffer {
      const nonce = randomBytes(NONCE);
      const sealed = nacl.secretbox(data, nonce, key);
      return Buffer.concat([nonce, sealed]);
    },
  });
}
