// The Store on SQLite (better-sqlite3), kine-style. better-sqlite3 is synchronous, so:
// - writes are queued and committed together on the next turn of the event loop (group commit:
//   one transaction for every write that arrived meanwhile, each still getting its own revision
//   and its own checks);
// - the WAL is then fsynced on libuv's thread pool (an fsync held the event loop ~7 % of the time
//   under load, waiting on the disk); only when a commit is durable are its writes published to
//   watchers, acknowledged, and visible to reads (`rev`, the durable revision, bounds every read),
//   so nothing is ever seen that a power loss could take back. Commits go on while an fsync runs;
//   the next fsync covers all of them;
// - reads run inline; compaction runs in windows of revisions, yielding between them.
import { closeSync, fsync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import {
  StoreClosedError,
  StoreCompactedError,
  StoreConflictError,
  StoreFutureRevisionError,
  StoreKeyExistsError,
  StoreNotFoundError,
} from '../errors.js';
import { assertKey, assertRevision, prefixEnd } from '../keys.js';
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
import { Broadcaster } from '../watch/broadcaster.js';
import type { EventLog } from '../watch/watcher.js';
import { applyPragmas, initSchema } from './schema.js';
import { deleteEvent, logRowToEvent, rowToKv, Statements } from './statements.js';

export interface SqliteStoreOptions {
  /** Database file; its folder is created (0700) and the file is created 0600: it holds Secrets. */
  readonly path: string;
  /** Default bound of each watcher's queue (Kubernetes' cacher ends a watcher that falls behind). */
  readonly watchQueueLength?: number;
  /** Most writes committed in one transaction. */
  readonly maxBatch?: number;
  /** Revisions read per replay window and per compaction transaction. */
  readonly window?: number;
  /** How the WAL is made durable (default fs.fsync); tests delay or fail it. */
  readonly fsync?: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;
}

export interface SqliteStoreStats {
  readonly revision: number;
  readonly compactRevision: number;
  readonly watchers: number;
  /** Transactions committed by the write path, and writes in them (writes / commits = batching). */
  readonly commits: number;
  readonly writes: number;
}

type WriteOp =
  | { readonly kind: 'create'; readonly key: string; readonly value: Buffer }
  | { readonly kind: 'update'; readonly key: string; readonly value: Buffer; readonly expected?: number }
  | { readonly kind: 'delete'; readonly key: string; readonly expected?: number };

type Outcome = { ok: true; event: StoreWatchEvent } | { ok: false; err: Error };

interface Pending {
  readonly op: WriteOp;
  resolve(e: StoreWatchEvent): void;
  reject(err: Error): void;
}

/** A committed batch waiting for its fsync: acknowledged once the durable revision reaches `through`. */
interface Unsynced {
  readonly batch: readonly Pending[];
  readonly outcomes: readonly Outcome[];
  readonly through: number;
}

const DEFAULT_QUEUE = 1024;
const DEFAULT_BATCH = 1000;
const DEFAULT_WINDOW = 1000;

export async function openSqliteStore(dir: string, opts: Omit<SqliteStoreOptions, 'path'> = {}): Promise<SqliteStore> {
  return SqliteStore.open({ ...opts, path: join(dir, 'state.db') });
}

export class SqliteStore implements Store {
  private readonly stmts: Statements;
  private readonly broadcaster: Broadcaster;
  private readonly commitBatch: (batch: readonly Pending[]) => Outcome[];
  private readonly maxBatch: number;
  private readonly window: number;
  /** The durable revision: what reads, lists and watches see. */
  private rev: number;
  /** The last committed revision, durable or not: what writes build on. */
  private committedRev: number;
  private compactRev: number;
  private pending: Pending[] = [];
  private unsynced: Unsynced[] = [];
  private syncing = false;
  private readonly walFd: number;
  private readonly fsyncWal: NonNullable<SqliteStoreOptions['fsync']>;
  private flushScheduled = false;
  private compacting: Promise<void> = Promise.resolve();
  private closed = false;
  private commits = 0;
  private writes = 0;

  static async open(opts: SqliteStoreOptions): Promise<SqliteStore> {
    mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
    // Create the file ourselves so it (and the -wal file SQLite derives from it) is 0600.
    closeSync(openSync(opts.path, 'a', 0o600));
    // timeout 0: a second process on the same file fails at once instead of waiting.
    const db = new Database(opts.path, { timeout: 0 });
    try {
      applyPragmas(db);
      return new SqliteStore(db, opts);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private constructor(
    private readonly db: Database.Database,
    opts: SqliteStoreOptions,
  ) {
    const meta = initSchema(db);
    this.rev = meta.currentRevision;
    this.committedRev = meta.currentRevision;
    // SQLite keeps its WAL file while the database is open (created 0600 here if it is not yet).
    this.walFd = openSync(`${opts.path}-wal`, 'a', 0o600);
    fsyncSync(this.walFd);
    this.fsyncWal = opts.fsync ?? fsync;
    this.compactRev = meta.compactRevision;
    this.stmts = new Statements(db);
    this.maxBatch = opts.maxBatch ?? DEFAULT_BATCH;
    this.window = opts.window ?? DEFAULT_WINDOW;
    const log: EventLog = { readSince: (prefix, after) => this.readSince(prefix, after) };
    this.broadcaster = new Broadcaster({
      log,
      currentRevision: () => this.rev,
      maxQueuedEvents: opts.watchQueueLength ?? DEFAULT_QUEUE,
    });
    this.commitBatch = db.transaction((batch: readonly Pending[]) => batch.map((p) => this.apply(p.op)));
  }

  stats(): SqliteStoreStats {
    return {
      revision: this.rev,
      compactRevision: this.compactRev,
      watchers: this.broadcaster.watcherCount,
      commits: this.commits,
      writes: this.writes,
    };
  }

  async get(key: string): Promise<GetResult> {
    this.checkOpen();
    assertKey(key);
    const row = this.stmts.latestAt(key, this.rev);
    return { kv: row && !row.deleted ? rowToKv(row) : null, revision: this.rev };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const rev = opts.revision ?? this.rev;
    assertRevision('list revision', rev);
    if (rev > this.rev) throw new StoreFutureRevisionError(rev, this.rev);
    if (rev < this.compactRev) throw new StoreCompactedError(rev, this.compactRev);
    const limit = opts.limit;
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) {
      throw new TypeError(`list limit must be a positive integer, got ${limit}`);
    }
    const end = prefixEnd(prefix) ?? undefined;
    const start = opts.startKey !== undefined && opts.startKey > prefix ? opts.startKey : prefix;
    if (end !== undefined && start >= end) return { kvs: [], revision: rev, more: false, count: 0 };
    const range = end === undefined ? { start, rev } : { start, end, rev };
    // One extra row tells whether another page follows.
    const rows = this.stmts.listRange(range, limit === undefined ? -1 : limit + 1);
    const more = limit !== undefined && rows.length > limit;
    const kvs = (more ? rows.slice(0, limit) : rows).map(rowToKv);
    return { kvs, revision: rev, more, count: more ? this.stmts.countRange(range) : kvs.length };
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    assertKey(key);
    return this.enqueue({ kind: 'create', key, value: Buffer.from(value) }).then(putKv);
  }

  update(key: string, value: Uint8Array, opts: UpdateOptions = {}): Promise<KeyValue> {
    assertKey(key);
    const op: WriteOp = { kind: 'update', key, value: Buffer.from(value), expected: opts.expectedModRevision };
    return this.enqueue(op).then(putKv);
  }

  delete(key: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    assertKey(key);
    return this.enqueue({ kind: 'delete', key, expected: opts.expectedModRevision }).then((e) => ({
      prevKv: (e as { prevKv: KeyValue }).prevKv,
      revision: e.revision,
    }));
  }

  watch(prefix: string, opts: WatchOptions): StoreWatch {
    assertRevision('watch sinceRevision', opts.sinceRevision);
    // Failures (closed store, compacted revision) reach onError asynchronously, as etcd reports
    // them on the watch stream rather than at the call.
    return this.broadcaster.add(prefix, opts, this.closed ? new StoreClosedError() : undefined);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  compact(revision: number): Promise<void> {
    const run = this.compacting.then(() => this.compactTo(revision));
    // Keep the chain alive after a failure; the caller still sees it.
    this.compacting = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Acknowledge what was accepted before close; refuse what comes after.
    while (this.pending.length > 0) this.flush();
    await this.compacting;
    if (this.unsynced.length > 0) {
      try {
        fsyncSync(this.walFd);
        this.acknowledge(this.committedRev);
      } catch (err) {
        this.failUnsynced(err as Error);
      }
    }
    this.release(new StoreClosedError());
  }

  /** Ends every watch with `err` and lets go of the files (the last step of closing). */
  private release(err: Error): void {
    this.broadcaster.failAll(err);
    this.broadcaster.flushNow();
    closeSync(this.walFd);
    this.db.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private enqueue(op: WriteOp): Promise<StoreWatchEvent> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate (not a microtask) so writes from every request handled in this I/O phase
        // share one commit.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
    this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch);
    if (this.pending.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch(batch);
    } catch (err) {
      // The transaction rolled back (disk full, I/O error): nothing in it was written.
      for (const p of batch) p.reject(err as Error);
      return;
    }
    this.commits++;
    for (const o of outcomes) if (o.ok) this.committedRev = o.event.revision;
    this.unsynced.push({ batch, outcomes, through: this.committedRev });
    // Nothing new to make durable (every write in the batch failed its check): answer now.
    if (this.committedRev === this.rev && !this.syncing) this.acknowledge(this.rev);
    else this.sync();
  }

  /** One fsync of the WAL at a time; it covers every commit made before it started. */
  private sync(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    this.syncing = true;
    const through = this.committedRev;
    this.fsyncWal(this.walFd, (err) => {
      this.syncing = false;
      // close() made the rest durable itself (or failed it).
      if (this.closed) return;
      if (err) {
        // Whether the data reached the disk is unknown (and a later fsync may not say): stop
        // serving rather than acknowledge writes a power loss could take back.
        this.closed = true;
        this.failUnsynced(err);
        const queued = this.pending;
        this.pending = [];
        for (const p of queued) p.reject(err);
        this.release(err);
        return;
      }
      this.acknowledge(through);
      this.sync();
    });
  }

  /** Publishes and answers, in commit order, every batch durable at `through`. */
  private acknowledge(through: number): void {
    const events: StoreWatchEvent[] = [];
    let n = 0;
    while (n < this.unsynced.length && this.unsynced[n]!.through <= through) {
      for (const o of this.unsynced[n]!.outcomes) if (o.ok) events.push(o.event);
      n++;
    }
    if (n === 0) return;
    const done = this.unsynced.splice(0, n);
    if (through > this.rev) this.rev = through;
    this.writes += events.length;
    this.broadcaster.publish(events);
    for (const u of done) {
      for (let i = 0; i < u.batch.length; i++) {
        const o = u.outcomes[i]!;
        if (o.ok) u.batch[i]!.resolve(o.event);
        else u.batch[i]!.reject(o.err);
      }
    }
  }

  private failUnsynced(err: Error): void {
    const failed = this.unsynced;
    this.unsynced = [];
    for (const u of failed) for (const p of u.batch) p.reject(err);
  }

  /** One write inside the batch transaction; a typed failure is returned before anything is written. */
  private apply(op: WriteOp): Outcome {
    const row = this.stmts.latest(op.key);
    const cur = row && !row.deleted ? rowToKv(row) : null;
    if (op.kind === 'create') {
      if (cur) return { ok: false, err: new StoreKeyExistsError(op.key) };
      const id = this.stmts.insert(op.key, true, false, 0, row?.id ?? 0, op.value);
      const kv: KeyValue = { key: op.key, value: op.value, createRevision: id, modRevision: id };
      return { ok: true, event: { type: 'put', kv, revision: id, isCreate: true } };
    }
    if (!cur) return { ok: false, err: new StoreNotFoundError(op.key) };
    if (op.expected !== undefined && op.expected !== cur.modRevision) {
      return { ok: false, err: new StoreConflictError(op.key, op.expected, cur) };
    }
    if (op.kind === 'update') {
      const id = this.stmts.insert(op.key, false, false, cur.createRevision, cur.modRevision, op.value);
      const kv: KeyValue = { key: op.key, value: op.value, createRevision: cur.createRevision, modRevision: id };
      return { ok: true, event: { type: 'put', kv, prevKv: cur, revision: id, isCreate: false } };
    }
    const id = this.stmts.insert(op.key, false, true, cur.createRevision, cur.modRevision, cur.value);
    return { ok: true, event: deleteEvent(op.key, id, cur) };
  }

  /** EventLog for the broadcaster: one window of revisions, read synchronously. */
  private readSince(prefix: string, after: number): { events: StoreWatchEvent[]; through: number; caughtUp: boolean } {
    if (this.closed) throw new StoreClosedError();
    if (after < this.compactRev) throw new StoreCompactedError(after, this.compactRev);
    const through = Math.min(this.rev, after + this.window);
    const end = prefixEnd(prefix) ?? undefined;
    const rows =
      through > after
        ? this.stmts.logWindow(
            end === undefined ? { start: prefix, rev: through, after } : { start: prefix, end, rev: through, after },
          )
        : [];
    return { events: rows.map(logRowToEvent), through: Math.max(through, after), caughtUp: through >= this.rev };
  }

  private async compactTo(revision: number): Promise<void> {
    this.checkOpen();
    assertRevision('compact revision', revision);
    if (revision > this.rev) throw new StoreFutureRevisionError(revision, this.rev);
    const step = this.db.transaction((from: number, to: number) => this.stmts.compactWindow(from, to));
    while (this.compactRev < revision) {
      const to = Math.min(revision, this.compactRev + this.window);
      step(this.compactRev, to);
      this.compactRev = to;
      if (to < revision) {
        await new Promise<void>((r) => setImmediate(r));
        if (this.closed) return;
      }
    }
  }
}

function putKv(e: StoreWatchEvent): KeyValue {
  return (e as { kv: KeyValue }).kv;
}
