// The apiserver's revisioned key-value store, shaped after etcd's v3 API so that both the SQLite
// log (kine-style) and an etcd client can implement it: every write gets the next global revision,
// a key's modRevision is the revision of its last write (the object's resourceVersion), updates
// and deletes take an optional compare-and-swap on modRevision (etcd Txn), reads may name a past
// revision, and watches replay history then follow live writes. Keys are plain strings such as
// `/registry/configmaps/default/foo`; values are opaque bytes (JSON written by the registry).

export interface KeyValue {
  readonly key: string;
  /** Shared with every reader and watcher of the same revision: treat as read-only. */
  readonly value: Buffer;
  /** Revision of the write that created the key (kept across updates; new after delete + create). */
  readonly createRevision: number;
  /** Revision of the last write to the key. */
  readonly modRevision: number;
}

export interface GetResult {
  readonly kv: KeyValue | null;
  /** The store's revision when read. */
  readonly revision: number;
}

export interface ListOptions {
  /** At most this many kvs (> 0); `more` says whether others follow. */
  readonly limit?: number;
  /**
   * First key to return, inclusive (etcd's range start). To continue after the last key of a page,
   * pass `lastKey + '\x00'`. Keys outside the prefix are ignored.
   */
  readonly startKey?: string;
  /**
   * Read the state as of this revision (consistent paging). StoreCompactedError if older than the
   * compacted revision, StoreFutureRevisionError if newer than the current one. Default: current.
   */
  readonly revision?: number;
}

export interface ListResult {
  /** Sorted by key (byte order). */
  readonly kvs: readonly KeyValue[];
  /** The revision read at: `opts.revision` when given, else the current revision. */
  readonly revision: number;
  readonly more: boolean;
  /** Number of keys from the start key to the end of the prefix at that revision (etcd's count). */
  readonly count: number;
}

export interface UpdateOptions {
  /** Compare-and-swap: fail with StoreConflictError unless the key's modRevision is this. */
  readonly expectedModRevision?: number;
}

export type DeleteOptions = UpdateOptions;

export interface DeleteResult {
  /** The key as it was just before the delete. */
  readonly prevKv: KeyValue;
  /** Revision of the delete itself. */
  readonly revision: number;
}

export type StoreWatchEvent =
  | {
      readonly type: 'put';
      readonly kv: KeyValue;
      /** The key before this write; absent on create (and when that revision was compacted). */
      readonly prevKv?: KeyValue;
      readonly revision: number;
      /** True when the key did not exist before (ADDED rather than MODIFIED). */
      readonly isCreate: boolean;
    }
  | {
      readonly type: 'delete';
      /** The key and the delete's revision; value empty (as etcd sends it). */
      readonly kv: KeyValue;
      /** The deleted value. */
      readonly prevKv?: KeyValue;
      readonly revision: number;
      readonly isCreate: false;
    }
  | {
      /** Every event with revision ≤ `revision` has been delivered (etcd progress notify → BOOKMARK). */
      readonly type: 'progress';
      readonly revision: number;
    };

export interface WatchOptions {
  /** Deliver events with revision > sinceRevision. StoreCompactedError if sinceRevision < compacted revision. */
  readonly sinceRevision: number;
  /**
   * Called in revision order, never from inside a write. Returning a promise holds the next event
   * back until it settles (backpressure); events then queue, and a queue over its bound ends the
   * watch with StoreWatcherTooSlowError. A throw or rejection ends the watch with that error.
   */
  onEvent(e: StoreWatchEvent): void | PromiseLike<void>;
  /** Called at most once; the watch is over and no event follows. Not called after stop(). */
  onError(err: Error): void;
  /** Send a progress event after this long without an event (etcd's WithProgressNotify). */
  readonly progressNotifyMs?: number;
  /**
   * Watch the one key equal to the prefix (a watch on a named object): such watchers are indexed
   * by key, so an event costs one lookup for all of them instead of a check per watcher.
   */
  readonly exactKey?: boolean;
  /** Bound on queued events for this watcher; the store's default otherwise. */
  readonly maxQueuedEvents?: number;
}

export interface StoreWatch {
  /** Idempotent; no callback runs after it returns. */
  stop(): void;
}

export interface Store {
  get(key: string): Promise<GetResult>;
  /** Keys starting with `prefix` (a plain string prefix: `/a/b/` matches `/a/b/c`, not `/a/bc`). */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** StoreKeyExistsError if the key exists. */
  create(key: string, value: Uint8Array): Promise<KeyValue>;
  /** StoreNotFoundError if missing; StoreConflictError if the precondition fails. */
  update(key: string, value: Uint8Array, opts?: UpdateOptions): Promise<KeyValue>;
  /** StoreNotFoundError if missing; StoreConflictError if the precondition fails. */
  delete(key: string, opts?: DeleteOptions): Promise<DeleteResult>;
  watch(prefix: string, opts: WatchOptions): StoreWatch;
  currentRevision(): Promise<number>;
  /**
   * Forget history at and below `revision`: the state at `revision` stays readable, older reads
   * and watches fail with StoreCompactedError. No-op if already compacted that far.
   */
  compact(revision: number): Promise<void>;
  /** Finishes acknowledged work, ends watches with StoreClosedError; idempotent. */
  close(): Promise<void>;
}
