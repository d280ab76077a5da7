import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteStore, type Store, type StoreWatchEvent, TTLExpirer } from '../../src/storage/index.js';
import { b, waitFor } from './helpers.js';

async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-ttl-'));
  const s = await openSqliteStore(dir);
  try {
    await fn(s);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const keys = async (s: Store, prefix: string) => (await s.list(prefix)).kvs.map((kv) => kv.key);

describe('TTLExpirer (--event-ttl)', () => {
  it('deletes a key ttl after its last write, watchers see the delete, other prefixes stay', async () => {
    await withStore(async (s) => {
      let now = 1_000_000;
      await s.create('/registry/events/ns/before', b('x'));
      await s.create('/registry/configmaps/ns/keep', b('x'));
      const expired: string[] = [];
      const x = new TTLExpirer(s, {
        prefix: '/registry/events/',
        ttlMs: 60_000,
        now: () => now,
        sweepMs: 3_600_000,
        onExpired: (k) => expired.push(k),
      });
      x.start();
      try {
        await waitFor('the existing key tracked', () => x.tracked === 1);
        now += 30_000;
        await s.create('/registry/events/ns/later', b('x'));
        await waitFor('the new key tracked', () => x.tracked === 2);
        const seen: StoreWatchEvent[] = [];
        const w = s.watch('/registry/events/', {
          sinceRevision: await s.currentRevision(),
          onEvent: (e) => {
            seen.push(e);
          },
          onError: () => undefined,
        });
        assert.equal(await x.sweep(), 0, 'nothing is due yet');
        now += 30_000; // the key present at start is due: a full ttl from start
        assert.equal(await x.sweep(), 1);
        assert.deepEqual(expired, ['/registry/events/ns/before']);
        assert.deepEqual(await keys(s, '/registry/events/'), ['/registry/events/ns/later']);
        await waitFor('the watcher saw the delete', () => seen.some((e) => e.type === 'delete'));
        now += 30_000;
        assert.equal(await x.sweep(), 1);
        assert.deepEqual(await keys(s, '/registry/events/'), []);
        assert.deepEqual(await keys(s, '/registry/configmaps/'), ['/registry/configmaps/ns/keep']);
        assert.equal(x.tracked, 0);
        w.stop();
      } finally {
        x.stop();
      }
    });
  });

  it('a key written again lives ttl from that write; one deleted by someone else is forgotten', async () => {
    await withStore(async (s) => {
      let now = 0;
      const x = new TTLExpirer(s, { prefix: '/e/', ttlMs: 10_000, now: () => now, sweepMs: 3_600_000 });
      x.start();
      try {
        const first = await s.create('/e/a', b('1'));
        await s.create('/e/b', b('1'));
        await waitFor('both tracked', () => x.tracked === 2);
        now = 8_000;
        await s.update('/e/a', b('2'), { expectedModRevision: first.modRevision });
        await s.delete('/e/b');
        await waitFor('the update and the delete seen', () => x.tracked === 1 && x.deadline('/e/a') === 18_000);
        now = 12_000;
        assert.equal(await x.sweep(), 0, 'rewritten at 8 s: due at 18 s, not 10 s');
        assert.deepEqual(await keys(s, '/e/'), ['/e/a']);
        now = 18_000;
        assert.equal(await x.sweep(), 1);
        assert.deepEqual(await keys(s, '/e/'), []);
      } finally {
        x.stop();
      }
    });
  });

  it('expires on its own timer, and stops on abort', async () => {
    await withStore(async (s) => {
      const stop = new AbortController();
      const x = new TTLExpirer(s, { prefix: '/e/', ttlMs: 200 });
      x.start(stop.signal);
      await s.create('/e/a', b('1'));
      for (let i = 0; i < 100 && (await keys(s, '/e/')).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await keys(s, '/e/'), [], 'deleted by the timer within 5 s');
      stop.abort();
      await s.create('/e/b', b('1'));
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(await keys(s, '/e/'), ['/e/b'], 'a stopped expirer deletes nothing');
    });
  });
});
