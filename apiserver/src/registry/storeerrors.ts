// The one place where storage errors become API errors.
import {
  type GroupResource,
  newAlreadyExists,
  newConflict,
  newInternalError,
  newNotFound,
  newResourceExpired,
  newServiceUnavailable,
  newTimeout,
  OBJECT_MODIFIED,
  type StatusError,
  toStatusError,
} from '@mkube/shared/apierrors';
import { isStoreError, type StoreErrorCode } from '../storage/index.js';

const MAP: Record<StoreErrorCode, (gr: GroupResource, name: string, err: Error) => StatusError> = {
  KeyExists: (gr, name) => newAlreadyExists(gr, name),
  KeyNotFound: (gr, name) => newNotFound(gr, name),
  ResourceVersionConflicts: (gr, name) => newConflict(gr, name, OBJECT_MODIFIED),
  Compacted: (_gr, _name, err) => {
    const e = err as Error & { requestedRevision?: number; compactRevision?: number };
    return newResourceExpired(`too old resource version: ${e.requestedRevision} (${e.compactRevision})`);
  },
  FutureRevision: (_gr, _name, err) =>
    newTimeout(`Too large resource version: ${(err as Error & { requestedRevision?: number }).requestedRevision}`, 1),
  Closed: () => newServiceUnavailable('the storage is shutting down'),
  WatcherTooSlow: () => newInternalError('watch closed: the client is too slow to keep up'),
};

export function storeErrorToStatus(err: unknown, gr: GroupResource, name: string): StatusError {
  if (isStoreError(err)) return MAP[err.code](gr, name, err);
  return toStatusError(err);
}
