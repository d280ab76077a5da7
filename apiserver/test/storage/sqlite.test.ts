// The Store conformance suite on SQLite, plus what only SQLite has: durability under kill -9, file
// permissions, the single-writer lock, nothing acknowledged, published or read before its fsync, rows
// really removed by compaction, and informative figures.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fsync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteStore, SqliteStore, type StoreWatchEvent } from '../../src/storage/index.js';
import { describeStoreConformance } from './conformance.js';
import { b, waitFor } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mkube-store-'));
}

// A small replay window so the conformance cases cross many replay pages and compaction windows.
describeStoreConformance('sqlite', async () => {
  const dir = tempDir();
  const opts = { window: 64 };
  return {
    store: await openSqliteStore(dir, opts),
    reopen: () => openSqliteStore(dir, opts),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStore', () => {
  it('keeps every acknowledged write across kill -9, and revisions continue', async () => {
    const dir = tempDir();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'burst-writer.ts'), dir], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
      const acked = () => out.split('\n').length - 2; // minus "ready" and the unfinished tail
      try {
        await waitFor(
          'the child to acknowledge 2,000 writes',
          () => acked() >= 2000 || child.exitCode !== null,
          15_000,
        );
      } finally {
        child.kill('SIGKILL');
      }
      assert.equal(await exited, 'SIGKILL', `child ended on its own before the kill: ${err}`);

      const lines = out.split('\n');
      assert.equal(lines.shift(), 'ready');
      lines.pop(); // possibly half a line
      const acks = lines.map((l) => {
        const [key, rev] = l.split(' ');
        return { key: key!, rev: Number(rev) };
      });
      assert.ok(acks.length >= 2000);

      const store = await openSqliteStore(dir);
      try {
        const all = new Map((await store.list('/burst/')).kvs.map((kv) => [kv.key, kv]));
        const missing = acks.filter((a) => all.get(a.key)?.modRevision !== a.rev);
        assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged writes lost`);
        const maxAcked = Math.max(...acks.map((a) => a.rev));
        const current = await store.currentRevision();
        assert.ok(current >= maxAcked);
        const next = await store.create('/after-crash', b('x'));
        assert.equal(next.modRevision, current + 1, 'revisions continue after the last one');
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates its folder 0700 and database 0600 (it holds Secrets)', async () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'nested', 'state.db');
      const s = await SqliteStore.open({ path });
      await s.create('/secret', b('x'));
      assert.equal(statSync(join(dir, 'nested')).mode & 0o777, 0o700);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second writer on the same database', async () => {
    const dir = tempDir();
    try {
      const s = await openSqliteStore(dir);
      await assert.rejects(openSqliteStore(dir), /locked|busy/i);
      await s.close();
      const again = await openSqliteStore(dir);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('acknowledges, publishes and serves a write only once its fsync is done; a failed fsync stops the store', async () => {
    const dir = tempDir();
    // The WAL's fsyncs, held until released: a write is committed to SQLite and then waits on them.
    const held: ((err?: Error) => void)[] = [];
    const heldFsync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => {
      held.push((err) => (err ? done(err) : fsync(fd, done)));
    };
    const release = async (err?: Error) => {
      await waitFor('an fsync to be issued', () => held.length > 0);
      held.shift()!(err);
    };
    try {
      const s = await openSqliteStore(dir, { fsync: heldFsync });
      const since = await s.currentRevision();
      const seen: StoreWatchEvent[] = [];
      let watchError: Error | undefined;
      s.watch('/a/', { sinceRevision: since, onEvent: (e) => void seen.push(e), onError: (e) => (watchError = e) });
      let acked = false;
      const first = s.create('/a/1', b('one')).then((kv) => {
        acked = true;
        return kv;
      });
      await waitFor('the first commit to ask for its fsync', () => held.length > 0);
      // Committed, not durable: no acknowledgment, no event, not readable, revision unchanged.
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(acked, false);
      assert.equal(seen.length, 0);
      assert.equal((await s.get('/a/1')).kv, null);
      assert.equal(await s.currentRevision(), since);
      // A write made meanwhile commits behind it and waits for the next fsync.
      const second = s.create('/a/2', b('two'));
      await new Promise((r) => setTimeout(r, 20));
      await release();
      const kv1 = await first;
      assert.equal(kv1.modRevision, since + 1);
      assert.equal((await s.get('/a/1')).kv?.modRevision, since + 1);
      assert.equal((await s.get('/a/2')).kv, null, 'the second commit is not durable yet');
      await waitFor('the first event', () => seen.length === 1);
      await release();
      assert.equal((await second).modRevision, since + 2);
      await waitFor('the second event', () => seen.length === 2);
      assert.deepEqual(
        seen.map((e) => e.revision),
        [since + 1, since + 2],
      );
      // A failed fsync: the write it covered is refused, the watch ends, the store serves no more.
      const third = s.create('/a/3', b('three'));
      await release(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      await assert.rejects(third, /EIO/);
      await waitFor('the watch to end', () => watchError !== undefined);
      await assert.rejects(s.get('/a/1'), /closed/i);
      await s.close();
      // Reopened: what was acknowledged is there.
      const again = await openSqliteStore(dir);
      assert.equal((await again.get('/a/2')).kv?.modRevision, since + 2);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compaction deletes superseded rows and delete rows at or below the revision', async () => {
    const dir = tempDir();
    try {
      const s = await openSqliteStore(dir, { window: 7 });
      for (let i = 0; i < 20; i++) await s.create(`/k/${i}`, b('v0'));
      for (let round = 1; round <= 5; round++) for (let i = 0; i < 20; i++) await s.update(`/k/${i}`, b(`v${round}`));
      for (let i = 0; i < 10; i++) await s.delete(`/k/${i}`);
      const rev = await s.currentRevision();
      await s.compact(rev);
      assert.equal(s.stats().compactRevision, rev);
      await s.close();
      const db = new Database(join(dir, 'state.db'), { readonly: true });
      try {
        const rows = db.prepare<[], { name: string; deleted: number }>('SELECT name, deleted FROM kv').all();
        assert.equal(rows.length, 10, 'one row per live key');
        assert.ok(rows.every((r) => r.deleted === 0));
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('figures: write throughput and watch fan-out (informative)', async (t) => {
    const dir = tempDir();
    try {
      const s = await openSqliteStore(dir);
      // Writes at concurrency 50.
      const total = 3000;
      const lat: number[] = [];
      let n = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (n < total) {
            const i = n++;
            const w0 = performance.now();
            await s.create(`/bench/${i}`, b(JSON.stringify({ i, pad: 'x'.repeat(300) })));
            lat.push(performance.now() - w0);
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      lat.sort((x, y) => x - y);
      const st = s.stats();
      t.diagnostic(
        `create x${total} @50: ${Math.round(total / secs)} writes/s, p50 ${lat[Math.floor(total / 2)]!.toFixed(2)} ms, ` +
          `p99 ${lat[Math.floor(total * 0.99)]!.toFixed(2)} ms, ${(st.writes / st.commits).toFixed(1)} writes/commit`,
      );

      // 10,000 idle watches, then one event fanned out to all of them.
      const watchers = 10_000;
      const rss0 = process.memoryUsage().rss;
      let delivered = 0;
      const since = await s.currentRevision();
      const onEvent = (_e: StoreWatchEvent) => {
        delivered++;
      };
      let errors = 0;
      const onError = () => {
        errors++;
      };
      for (let i = 0; i < watchers; i++) s.watch('/fan/', { sinceRevision: since, onEvent, onError });
      const rss1 = process.memoryUsage().rss;
      const f0 = performance.now();
      await s.create('/fan/x', b('{}'));
      const ackMs = performance.now() - f0;
      await waitFor('fan-out', () => delivered >= watchers, 10_000);
      const fanMs = performance.now() - f0;
      t.diagnostic(
        `fan-out to ${watchers} watchers: write acked in ${ackMs.toFixed(1)} ms, all delivered in ${fanMs.toFixed(1)} ms; ` +
          `RSS ${(rss1 / 2 ** 20).toFixed(0)} MB (+${((rss1 - rss0) / 2 ** 20).toFixed(1)} MB for the watchers)`,
      );
      assert.equal(delivered, watchers);
      assert.equal(errors, 0);
      assert.equal(s.stats().watchers, watchers);
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
