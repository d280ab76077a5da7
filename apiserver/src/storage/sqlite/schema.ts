// kine's log layout: one row per write, the row id is the revision. The live state of a key is its
// latest row (absent if that row is a delete). `created` marks a row that brought the key into
// existence (its create revision is its own id, stored as 0); `prev_revision` links a row to the
// row it superseded, which is what compaction deletes. A delete row keeps the deleted value, so a
// replayed delete event still has its prevKv.
import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

export const DDL = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * WAL with synchronous=NORMAL: a commit writes the WAL but does not fsync it; the store fsyncs the
 * WAL itself, on libuv's thread pool, and acknowledges, publishes and serves a write only after
 * that (SqliteStore), so an acknowledged write still survives kill -9 and power loss while the
 * event loop never waits on the disk. Exclusive locking: this process is the only writer, which
 * the in-process watch broadcaster relies on (a second apiserver on the same file fails to open).
 */
export function applyPragmas(db: Database.Database): void {
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
}

export interface MetaState {
  readonly currentRevision: number;
  readonly compactRevision: number;
}

/** Creates the schema if needed and reads the revisions a restart resumes from. */
export function initSchema(db: Database.Database): MetaState {
  const init = db.transaction((): MetaState => {
    db.exec(DDL);
    const version = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
    if (version === undefined) {
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('compact_revision', 0)").run(
        SCHEMA_VERSION,
      );
      // Start at revision 1 as etcd does, so no object ever has resourceVersion "0" (which
      // Kubernetes reads as "any").
      db.prepare(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'kv', 1 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'kv')",
      ).run();
    } else if (version.value !== SCHEMA_VERSION) {
      throw new Error(`unsupported storage schema version ${version.value} (want ${SCHEMA_VERSION})`);
    }
    // sqlite_sequence keeps the highest id ever handed out, even when compaction deleted that row.
    const seq = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").get();
    const compact = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'compact_revision'").get();
    return { currentRevision: seq?.seq ?? 0, compactRevision: compact?.value ?? 0 };
  });
  return init.exclusive();
}
