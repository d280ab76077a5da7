// A value transformer sits between the registry's bytes and the store's bytes (k8s.io/apiserver
// pkg/storage/value): encryption at rest is one. `key` is the object's storage key
// (`/registry/secrets/ns/name`), which AES-GCM binds the ciphertext to as additional authenticated
// data, so a value copied to another key does not decrypt there. Synchronous: Node's ciphers are.

export interface FromStorage {
  /** The plaintext. May be `data` itself (identity): treat as read-only. */
  readonly value: Buffer;
  /**
   * True when the value was read by a provider or key other than the first one configured: a write
   * would store it differently (with the current key), so an update must write it even when the
   * object is unchanged (upstream's `stale`, which is what makes key rotation's "rewrite all
   * secrets" step work).
   */
  readonly stale: boolean;
}

export interface Transformer {
  /** Throws TransformError when the value cannot be read (unknown prefix, wrong key, tampering). */
  fromStorage(data: Buffer, key: string): FromStorage;
  toStorage(data: Buffer, key: string): Buffer;
}

/** A value that cannot be read or written. Messages never include key material or plaintext. */
export class TransformError extends Error {
  override readonly name = 'TransformError';
}

/** Reading the data failed for every candidate: one error, or all of them in order. */
export function aggregate(errors: readonly Error[]): TransformError {
  if (errors.length === 1 && errors[0] instanceof TransformError) return errors[0];
  return new TransformError(
    errors.length === 1 ? (errors[0]?.message ?? '') : `[${errors.map((e) => e.message).join(', ')}]`,
  );
}

/**
 * The value can be read once `resolve()` has run (a KMS plugin must decrypt its seed first): the
 * transforming store awaits it and reads again. Never aggregated with other failures.
 */
export class AsyncReadNeeded extends Error {
  override readonly name = 'AsyncReadNeeded';
  constructor(
    readonly resolve: () => Promise<void>,
    message = 'the value needs an asynchronous step before it can be read',
  ) {
    super(message);
  }
}
