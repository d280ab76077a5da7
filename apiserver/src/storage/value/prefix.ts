// Several transformers told apart by a prefix on the stored value (upstream's prefixTransformers):
// writes use the first and prepend its prefix; reads strip the first matching prefix and use that
// transformer. Used twice: providers (`k8s:enc:aescbc:v1:`, …, identity with an empty prefix) and,
// inside a provider, its keys (`<name>:`).
import { AsyncReadNeeded, aggregate, type FromStorage, type Transformer } from './transformer.js';

export interface PrefixTransformer {
  readonly prefix: Buffer;
  readonly transformer: Transformer;
}

/**
 * `noMatch`: the error when no prefix matches. A matching transformer that fails does not end the
 * search: the same provider may be listed twice with different keys (rotating between them), so a
 * later match is still tried; and an empty prefix (identity) that fails is skipped silently. The
 * value is stale when read by any transformer but the first, or stale at a deeper level.
 */
export function prefixTransformers(noMatch: string, list: readonly PrefixTransformer[]): Transformer {
  const entries = list.map((t) => ({ prefix: Buffer.from(t.prefix), transformer: t.transformer }));
  const first = entries[0];
  if (!first) throw new Error('prefixTransformers: at least one transformer is required');
  return Object.freeze({
    fromStorage(data: Buffer, key: string): FromStorage {
      const errors: Error[] = [];
      for (const [i, { prefix, transformer }] of entries.entries()) {
        if (data.length < prefix.length || !data.subarray(0, prefix.length).equals(prefix)) continue;
        try {
          const read = transformer.fromStorage(data.subarray(prefix.length), key);
          return i === 0 ? read : { value: read.value, stale: true };
        } catch (e) {
          if (e instanceof AsyncReadNeeded) throw e;
          if (prefix.length > 0) errors.push(e as Error);
        }
      }
      throw errors.length > 0 ? aggregate(errors) : aggregate([new Error(noMatch)]);
    },
    toStorage(data: Buffer, key: string): Buffer {
      return Buffer.concat([first.prefix, first.transformer.toStorage(data, key)]);
    },
  });
}
