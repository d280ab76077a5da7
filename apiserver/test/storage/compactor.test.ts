import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newCompactor, openSqliteStore, StoreCompactedError } from '../../src/storage/index.js';
import { b } from './helpers.js';

describe('compactor', () => {
  it('compacts to the revision seen a tick earlier, keeping the latest N revisions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkube-compactor-'));
    const s = await openSqliteStore(dir);
    try {
      const c = newCompactor(s, { keepRevisions: 5 });
      const write = async (n: number) => {
        for (let i = 0; i < n; i++) await s.create(`/cp/${(await s.currentRevision()) + 1}`, b('x'));
      };
      await write(20);
      assert.equal(await c.runOnce(), null, 'the first tick only remembers the revision');
      const seen = await s.currentRevision();
      await write(2);
      // The revision remembered is newer than current - keep: only current - keep is compacted.
      assert.equal(await c.runOnce(), seen + 2 - 5);
      await write(30);
      const secondSeen = seen + 2;
      assert.equal(await c.runOnce(), secondSeen, 'history of one whole interval is kept');
      assert.equal(await c.runOnce(), (await s.currentRevision()) - 5);
      assert.equal(await c.runOnce(), null, 'nothing new to compact');
      await assert.rejects(s.list('/cp/', { revision: secondSeen - 1 }), StoreCompactedError);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports each compaction from its timer and stops on abort', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkube-compactor-'));
    const s = await openSqliteStore(dir);
    try {
      for (let i = 0; i < 10; i++) await s.create(`/t/${i}`, b('x'));
      const reports: unknown[] = [];
      const ac = new AbortController();
      const c = newCompactor(s, { intervalMs: 10, keepRevisions: 0, onCompact: (r) => reports.push(r) });
      c.start(ac.signal);
      const deadline = Date.now() + 5000;
      while (reports.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      ac.abort();
      assert.deepEqual(reports[0], { revision: 11 });
      const n = reports.length;
      await new Promise((r) => setTimeout(r, 40));
      assert.equal(reports.length, n, 'no tick after abort');
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
