// The `identity` provider: values are stored as they are. Reading refuses data that carries the
// `k8s:enc:` prefix reserved for encrypted values (upstream's encrypt-check identity transformer), so
// an identity placed first (to decrypt away from encryption) hands encrypted values on to the
// providers after it, and a resource dropped from the config fails loudly instead of decoding
// ciphertext as JSON.
import { type FromStorage, TransformError, type Transformer } from './transformer.js';

/** Stored values that begin with this are encrypted (JSON starts with `{`, protobuf with `k8s\0`). */
export const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:');

export const identityTransformer: Transformer = Object.freeze({
  fromStorage(data: Buffer): FromStorage {
    if (data.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX)) {
      throw new TransformError('identity transformer tried to read encrypted data');
    }
    return { value: data, stale: false };
  },
  toStorage(data: Buffer): Buffer {
    return data;
  },
});
