// Every statement the SQLite store runs, prepared once, and the mapping from rows to KeyValues.
// Each statement touches a bounded number of rows (one key, one page, one window of revisions) so
// no synchronous call holds the event loop for long.
import type Database from 'better-sqlite3';
import type { KeyValue, StoreWatchEvent } from '../store.js';

export interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: Buffer;
}

interface LogRow extends Row {
  p_id: number | null;
  p_created: number | null;
  p_create_revision: number | null;
  p_value: Buffer | null;
}

interface RangeParams {
  start: string;
  end?: string;
  rev: number;
}

const EMPTY = Buffer.alloc(0);
const COLS = 'k.id, k.name, k.created, k.deleted, k.create_revision, k.prev_revision, k.value';

// The latest row of each key at or below @rev, walked in key order on the (name, id) index so a
// LIMIT stops the scan early.
const visible = (end: boolean) =>
  `k.name >= @start${end ? ' AND k.name < @end' : ''} AND k.deleted = 0
   AND k.id = (SELECT MAX(k2.id) FROM kv k2 WHERE k2.name = k.name AND k2.id <= @rev)`;

export class Statements {
  private readonly latestAtStmt: Database.Statement<[string, number], Row>;
  private readonly insertStmt: Database.Statement<[string, number, number, number, number, Buffer]>;
  private readonly list: Record<'end' | 'open', Database.Statement<[RangeParams & { limit: number }], Row>>;
  private readonly count: Record<'end' | 'open', Database.Statement<[RangeParams], { n: number }>>;
  private readonly log: Record<'end' | 'open', Database.Statement<[RangeParams & { after: number }], LogRow>>;
  private readonly compactStmt: Database.Statement<[{ from: number; to: number }]>;
  private readonly setCompactStmt: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.latestAtStmt = db.prepare(
      `SELECT ${COLS} FROM kv k WHERE k.name = ? AND k.id <= ? ORDER BY k.id DESC LIMIT 1`,
    );
    this.insertStmt = db.prepare(
      'INSERT INTO kv (name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const list = (end: boolean) =>
      db.prepare<[RangeParams & { limit: number }], Row>(
        `SELECT ${COLS} FROM kv k WHERE ${visible(end)} ORDER BY k.name LIMIT @limit`,
      );
    this.list = { end: list(true), open: list(false) };
    const count = (end: boolean) =>
      db.prepare<[RangeParams], { n: number }>(`SELECT COUNT(*) AS n FROM kv k WHERE ${visible(end)}`);
    this.count = { end: count(true), open: count(false) };
    // A window of the log in revision order; `+k.name` keeps the planner on the rowid range.
    const log = (end: boolean) =>
      db.prepare<[RangeParams & { after: number }], LogRow>(
        `SELECT ${COLS}, p.id AS p_id, p.created AS p_created, p.create_revision AS p_create_revision,
           p.value AS p_value
         FROM kv k LEFT JOIN kv p ON p.id = k.prev_revision AND k.created = 0 AND k.deleted = 0
         WHERE k.id > @after AND k.id <= @rev AND +k.name >= @start${end ? ' AND +k.name < @end' : ''}
         ORDER BY k.id`,
      );
    this.log = { end: log(true), open: log(false) };
    // kine's compaction: every row superseded by a row in (from, to], and every delete row there.
    this.compactStmt = db.prepare(
      `DELETE FROM kv WHERE id IN (
         SELECT prev_revision FROM kv WHERE id > @from AND id <= @to AND prev_revision != 0
         UNION SELECT id FROM kv WHERE id > @from AND id <= @to AND deleted != 0)`,
    );
    this.setCompactStmt = db.prepare("UPDATE meta SET value = ? WHERE key = 'compact_revision'");
  }

  /** The key's newest row, committed or not yet durable: what a write checks against. */
  latest(key: string): Row | undefined {
    return this.latestAtStmt.get(key, Number.MAX_SAFE_INTEGER);
  }

  /** The key's newest row at or below `rev`: what a read sees. */
  latestAt(key: string, rev: number): Row | undefined {
    return this.latestAtStmt.get(key, rev);
  }

  insert(key: string, created: boolean, deleted: boolean, createRevision: number, prev: number, v: Buffer): number {
    const info = this.insertStmt.run(key, created ? 1 : 0, deleted ? 1 : 0, createRevision, prev, v);
    return Number(info.lastInsertRowid);
  }

  listRange(p: RangeParams, limit: number): Row[] {
    return (p.end === undefined ? this.list.open : this.list.end).all({ ...p, limit });
  }

  countRange(p: RangeParams): number {
    return (p.end === undefined ? this.count.open : this.count.end).get(p)?.n ?? 0;
  }

  logWindow(p: RangeParams & { after: number }): LogRow[] {
    return (p.end === undefined ? this.log.open : this.log.end).all(p);
  }

  compactWindow(from: number, to: number): void {
    this.compactStmt.run({ from, to });
    this.setCompactStmt.run(to);
  }
}

export function rowToKv(r: Row): KeyValue {
  return {
    key: r.name,
    value: r.value,
    createRevision: r.created ? r.id : r.create_revision,
    modRevision: r.id,
  };
}

export function deleteEvent(key: string, revision: number, prevKv: KeyValue): StoreWatchEvent {
  return {
    type: 'delete',
    kv: { key, value: EMPTY, createRevision: 0, modRevision: revision },
    prevKv,
    revision,
    isCreate: false,
  };
}

export function logRowToEvent(r: LogRow): StoreWatchEvent {
  if (r.deleted) {
    const prevKv: KeyValue = {
      key: r.name,
      value: r.value,
      createRevision: r.create_revision,
      modRevision: r.prev_revision,
    };
    return deleteEvent(r.name, r.id, prevKv);
  }
  const kv = rowToKv(r);
  if (r.created || r.p_id === null || r.p_value === null) {
    return { type: 'put', kv, revision: r.id, isCreate: r.created !== 0 };
  }
  const prevKv: KeyValue = {
    key: r.name,
    value: r.p_value,
    createRevision: r.p_created ? r.p_id : (r.p_create_revision ?? 0),
    modRevision: r.p_id,
  };
  return { type: 'put', kv, prevKv, revision: r.id, isCreate: false };
}
