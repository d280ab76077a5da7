// The apiserver's revisioned key-value store: the Store interface, its errors, the SQLite
// (kine-style) implementation and helpers that work over any Store.
export { type Compactor, type CompactorOptions, newCompactor } from './compactor.js';
export {
  isStoreError,
  STORE_ERROR_CODES,
  StoreClosedError,
  StoreCompactedError,
  StoreConflictError,
  StoreError,
  type StoreErrorCode,
  StoreFutureRevisionError,
  StoreKeyExistsError,
  StoreNotFoundError,
  StoreWatcherTooSlowError,
} from './errors.js';
export { type GuaranteedUpdateOptions, guaranteedUpdate } from './guaranteed-update.js';
export { prefixEnd } from './keys.js';
export {
  openSqliteStore,
  SqliteStore,
  type SqliteStoreOptions,
  type SqliteStoreStats,
} from './sqlite/store.js';
export type {
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
} from './store.js';
export { TTLExpirer, type TTLExpirerOptions } from './ttl.js';
