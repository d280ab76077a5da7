// Typed storage errors with stable codes. The registry layer maps each code to an API Status in one
// place (KeyExists → AlreadyExists, KeyNotFound → NotFound, ResourceVersionConflicts → Conflict,
// Compacted → 410 Expired "too old resource version", …); the store itself knows nothing of HTTP.
// Codes follow k8s.io/apiserver/pkg/storage/errors.go where Kubernetes has one.
import type { KeyValue } from './store.js';

export type StoreErrorCode =
  | 'KeyExists'
  | 'KeyNotFound'
  | 'ResourceVersionConflicts'
  | 'Compacted'
  | 'FutureRevision'
  | 'Closed'
  | 'WatcherTooSlow';

/** Every code, so a test can check that each one is mapped upstream. */
export const STORE_ERROR_CODES: readonly StoreErrorCode[] = [
  'KeyExists',
  'KeyNotFound',
  'ResourceVersionConflicts',
  'Compacted',
  'FutureRevision',
  'Closed',
  'WatcherTooSlow',
];

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

export class StoreKeyExistsError extends StoreError {
  override readonly name = 'StoreKeyExistsError';
  readonly code = 'KeyExists';
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}

export class StoreNotFoundError extends StoreError {
  override readonly name = 'StoreNotFoundError';
  readonly code = 'KeyNotFound';
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

/** A precondition on the modification revision failed; `current` lets a retry skip a re-read. */
export class StoreConflictError extends StoreError {
  override readonly name = 'StoreConflictError';
  readonly code = 'ResourceVersionConflicts';
  constructor(
    readonly key: string,
    readonly expectedModRevision: number,
    readonly current: KeyValue,
  ) {
    super(
      `resource version conflicts: ${key}: expected revision ${expectedModRevision}, current ${current.modRevision}`,
    );
  }
}

/** The requested revision is older than the oldest one kept (etcd's ErrCompacted). */
export class StoreCompactedError extends StoreError {
  override readonly name = 'StoreCompactedError';
  readonly code = 'Compacted';
  constructor(
    readonly requestedRevision: number,
    readonly compactRevision: number,
  ) {
    super(`required revision ${requestedRevision} has been compacted (compacted through ${compactRevision})`);
  }
}

/** The requested revision is newer than the store's (etcd's ErrFutureRev). */
export class StoreFutureRevisionError extends StoreError {
  override readonly name = 'StoreFutureRevisionError';
  readonly code = 'FutureRevision';
  constructor(
    readonly requestedRevision: number,
    readonly currentRevision: number,
  ) {
    super(`required revision ${requestedRevision} is a future revision (current ${currentRevision})`);
  }
}

export class StoreClosedError extends StoreError {
  override readonly name = 'StoreClosedError';
  readonly code = 'Closed';
  constructor() {
    super('store is closed');
  }
}

/** The watcher's queue overflowed; like the cacher's forced close, the client must watch again. */
export class StoreWatcherTooSlowError extends StoreError {
  override readonly name = 'StoreWatcherTooSlowError';
  readonly code = 'WatcherTooSlow';
  constructor(
    readonly prefix: string,
    readonly queueLength: number,
  ) {
    super(`watcher on ${prefix} is too slow: more than ${queueLength} events queued`);
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
