// guaranteedUpdate: read, transform, compare-and-swap, retry on conflict (Kubernetes'
// storage.Interface.GuaranteedUpdate), generic over any Store. A conflict carries the current kv,
// so a retry needs no extra read.
import { StoreConflictError, StoreNotFoundError } from './errors.js';
import type { KeyValue, Store } from './store.js';
import { isStaleInStorage } from './value/transforming-store.js';

export interface GuaranteedUpdateOptions {
  /** Attempts before the last conflict is thrown (default 16). */
  readonly maxAttempts?: number;
}

/**
 * Applies `tryUpdate` to the key's current value until the write lands on an unchanged key.
 * StoreNotFoundError if the key is missing; whatever `tryUpdate` throws aborts. A result equal to
 * the current bytes writes nothing and returns the current kv (no new revision, as Kubernetes).
 */
export async function guaranteedUpdate(
  store: Store,
  key: string,
  tryUpdate: (current: KeyValue) => Uint8Array | Promise<Uint8Array>,
  opts: GuaranteedUpdateOptions = {},
): Promise<KeyValue> {
  const maxAttempts = opts.maxAttempts ?? 16;
  let current: KeyValue | null = null;
  for (let attempt = 1; ; attempt++) {
    if (current === null) {
      const got = await store.get(key);
      if (got.kv === null) throw new StoreNotFoundError(key);
      current = got.kv;
    }
    const next = await tryUpdate(current);
    if (
      Buffer.compare(Buffer.from(next.buffer, next.byteOffset, next.byteLength), current.value) === 0 &&
      !isStaleInStorage(current)
    ) {
      return current;
    }
    try {
      return await store.update(key, next, { expectedModRevision: current.modRevision });
    } catch (e) {
      if (!(e instanceof StoreConflictError) || attempt >= maxAttempts) throw e;
      current = e.current;
    }
  }
}
