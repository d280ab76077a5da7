// A Store that transforms values on their way in and out of another Store (encryption at rest):
// every write is stored as `toStorage(value, key)` and every value read back, by get, list, a
// write's result, a delete's prevKv, a conflict's current kv or a watch event, is `fromStorage`'d.
// Keys, revisions, counts and errors pass through; the inner store never sees plaintext of a
// transformed key. A value that cannot be read fails the operation (a watch ends with the error),
// as kube-apiserver answers an internal error for an undecryptable object.
//
// A read that needs an asynchronous step first (a KMS plugin decrypting an unknown seed) throws
// AsyncReadNeeded from the synchronous transformer; get, list, delete and conflicts await it and
// read again, and a watch holds its next events back (the store's backpressure) until it is done.
//
// KeyValue objects are shared between readers and watchers (store.ts): they are never mutated.
// New ones are built, and remembered per inner KeyValue so that N watchers of one event, or a
// write's result seen again as a watch event, decrypt it once.
import { StoreConflictError } from '../errors.js';
import type {
  DeleteOptions,
  DeleteResult,
  GetResult,
  KeyValue,
  ListOptions,
  ListResult,
  Store,
  StoreWatch,
  StoreWatchEvent,
  UpdateOptions,
  WatchOptions,
} from '../store.js';
import { AsyncReadNeeded, TransformError, type Transformer } from './transformer.js';

/** KeyValues read through a provider or key other than the current (first) one. */
const staleValues = new WeakSet<KeyValue>();

/**
 * True when `kv` (as returned by a transforming store) was not stored with the first provider and
 * key: an update should write it even if the object is unchanged, so that rewriting every object
 * (`kubectl get secrets -A -o json | kubectl replace -f -`) moves it to the new key. Upstream's
 * GuaranteedUpdate does exactly this with the transformer's `stale` result.
 */
export function isStaleInStorage(kv: KeyValue): boolean {
  return staleValues.has(kv);
}

export function transformingStore(inner: Store, transformerForKey: (key: string) => Transformer | undefined): Store {
  const plainOf = new WeakMap<KeyValue, KeyValue>();

  const read = (kv: KeyValue): KeyValue => {
    const cached = plainOf.get(kv);
    if (cached) return cached;
    const t = transformerForKey(kv.key);
    if (!t) return kv;
    let out: KeyValue;
    try {
      const { value, stale } = t.fromStorage(kv.value, kv.key);
      // Identity (a resource no rule names) hands the same bytes back: keep the shared kv.
      if (value === kv.value && !stale) return kv;
      out = { ...kv, value };
      if (stale) staleValues.add(out);
    } catch (e) {
      if (e instanceof AsyncReadNeeded) throw e;
      throw new TransformError(`cannot read ${kv.key} from storage: ${(e as Error).message}`);
    }
    plainOf.set(kv, out);
    return out;
  };

  /** `fn` (reads), after the asynchronous steps it asks for (a few: each resolves one seed). */
  const settled = async <T>(fn: () => T, key: string): Promise<T> => {
    for (let i = 0; ; i++) {
      try {
        return fn();
      } catch (e) {
        if (!(e instanceof AsyncReadNeeded)) throw e;
        if (i >= 8) throw new TransformError(`cannot read ${key} from storage: ${e.message}`);
        try {
          await e.resolve();
        } catch (err) {
          throw new TransformError(`cannot read ${key} from storage: ${(err as Error).message}`);
        }
      }
    }
  };
  const readAsync = (kv: KeyValue): Promise<KeyValue> => settled(() => read(kv), kv.key);

  const write = (key: string, value: Uint8Array): { stored: Buffer; plain: Buffer } | undefined => {
    const t = transformerForKey(key);
    if (!t) return undefined;
    const plain = Buffer.from(value); // a copy: the caller keeps its buffer
    return { stored: t.toStorage(plain, key), plain };
  };

  /** The kv a write returned, with the plaintext the caller wrote (no decrypt needed). */
  const written = (kv: KeyValue, plain: Buffer | undefined): KeyValue => {
    if (plain === undefined) return kv;
    const out = { ...kv, value: plain };
    plainOf.set(kv, out);
    return out;
  };

  const conflict = async (e: unknown): Promise<unknown> =>
    e instanceof StoreConflictError
      ? new StoreConflictError(e.key, e.expectedModRevision, await readAsync(e.current))
      : e;

  const readEvent = (e: StoreWatchEvent): StoreWatchEvent => {
    switch (e.type) {
      case 'progress':
        return e;
      case 'put': {
        const kv = read(e.kv);
        return e.prevKv ? { ...e, kv, prevKv: read(e.prevKv) } : { ...e, kv };
      }
      case 'delete':
        // The delete's own kv carries no value (as etcd sends it); the deleted value is prevKv.
        return e.prevKv ? { ...e, prevKv: read(e.prevKv) } : e;
    }
  };

  return {
    async get(key: string): Promise<GetResult> {
      const res = await inner.get(key);
      return res.kv ? { ...res, kv: await readAsync(res.kv) } : res;
    },
    async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
      const res = await inner.list(prefix, opts);
      let kvs: KeyValue[];
      try {
        kvs = res.kvs.map(read);
      } catch (e) {
        if (!(e instanceof AsyncReadNeeded)) throw e;
        kvs = [];
        for (const kv of res.kvs) kvs.push(await readAsync(kv));
      }
      return { ...res, kvs };
    },
    async create(key: string, value: Uint8Array): Promise<KeyValue> {
      const w = write(key, value);
      return written(await inner.create(key, w ? w.stored : value), w?.plain);
    },
    async update(key: string, value: Uint8Array, opts?: UpdateOptions): Promise<KeyValue> {
      const w = write(key, value);
      try {
        return written(await inner.update(key, w ? w.stored : value, opts), w?.plain);
      } catch (e) {
        throw await conflict(e);
      }
    },
    async delete(key: string, opts?: DeleteOptions): Promise<DeleteResult> {
      let res: DeleteResult;
      try {
        res = await inner.delete(key, opts);
      } catch (e) {
        throw await conflict(e);
      }
      return { ...res, prevKv: await readAsync(res.prevKv) };
    },
    watch(prefix: string, opts: WatchOptions): StoreWatch {
      const onEvent = opts.onEvent;
      // A value that cannot be read throws here, which ends the watch with that error (store.ts).
      return inner.watch(prefix, {
        ...opts,
        onEvent: (e) => {
          try {
            return onEvent(readEvent(e));
          } catch (err) {
            if (!(err instanceof AsyncReadNeeded)) throw err;
            // Returning the promise holds the watch's next events back until this one is delivered.
            return settled(() => readEvent(e), prefixKey(e)).then(onEvent);
          }
        },
      });
    },
    currentRevision: () => inner.currentRevision(),
    compact: (revision: number) => inner.compact(revision),
    close: () => inner.close(),
  };
}

function prefixKey(e: StoreWatchEvent): string {
  return e.type === 'progress' ? '' : e.kv.key;
}
