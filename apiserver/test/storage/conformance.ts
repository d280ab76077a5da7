// The Store contract, as node:test cases any implementation must pass (SQLite now, etcd later).
// Each case opens a fresh store through `open` and cleans it up, so cases share nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  guaranteedUpdate,
  type KeyValue,
  type Store,
  StoreClosedError,
  StoreCompactedError,
  StoreConflictError,
  StoreFutureRevisionError,
  StoreKeyExistsError,
  StoreNotFoundError,
} from '../../src/storage/index.js';
import { describeWatchConformance } from './conformance-watch.js';
import { b, record, type WithStore, waitFor } from './helpers.js';

export interface ConformanceFixture {
  readonly store: Store;
  /** Closes nothing itself: the suite closes `store` first, then reopens the same data. */
  readonly reopen?: () => Promise<Store>;
  cleanup(): Promise<void>;
}

export function describeStoreConformance(name: string, open: () => Promise<ConformanceFixture>): void {
  const withStore: WithStore = async (fn) => {
    const f = await open();
    try {
      await fn(f.store);
    } finally {
      await f.store.close();
      await f.cleanup();
    }
  };

  describe(`Store conformance: ${name}`, () => {
    describeWatchConformance(withStore);

    it('creates, gets, updates and deletes with their errors', () =>
      withStore(async (s) => {
        const r0 = await s.currentRevision();
        assert.ok(r0 >= 1, 'a fresh store starts at revision ≥ 1 (never resourceVersion "0")');
        assert.deepEqual(await s.get('/r/x'), { kv: null, revision: r0 });

        const c = await s.create('/r/x', b('one'));
        assert.equal(c.key, '/r/x');
        assert.equal(c.value.toString(), 'one');
        assert.ok(c.modRevision > r0);
        assert.equal(c.createRevision, c.modRevision);
        const got = await s.get('/r/x');
        assert.deepEqual(got.kv, c);
        assert.equal(got.revision, c.modRevision);

        await assert.rejects(s.create('/r/x', b('two')), (e) => e instanceof StoreKeyExistsError && e.key === '/r/x');
        assert.equal(await s.currentRevision(), c.modRevision, 'a failed create writes nothing');

        const u = await s.update('/r/x', b('two'));
        assert.ok(u.modRevision > c.modRevision);
        assert.equal(u.createRevision, c.createRevision, 'createRevision survives updates');
        assert.equal((await s.get('/r/x')).kv?.value.toString(), 'two');

        await assert.rejects(s.update('/r/missing', b('x')), StoreNotFoundError);
        await assert.rejects(s.delete('/r/missing'), StoreNotFoundError);

        const d = await s.delete('/r/x');
        assert.deepEqual(d.prevKv, u);
        assert.ok(d.revision > u.modRevision);
        assert.equal(await s.currentRevision(), d.revision);
        assert.equal((await s.get('/r/x')).kv, null);
        await assert.rejects(s.update('/r/x', b('three')), StoreNotFoundError);

        const again = await s.create('/r/x', b('three'));
        assert.ok(again.createRevision > d.revision, 'a re-created key has a new createRevision');
      }));

    it('honours modRevision preconditions on update and delete', () =>
      withStore(async (s) => {
        const c = await s.create('/p/x', b('a'));
        await assert.rejects(
          s.update('/p/x', b('b'), { expectedModRevision: c.modRevision + 100 }),
          (e) => e instanceof StoreConflictError && e.current.modRevision === c.modRevision,
        );
        const u = await s.update('/p/x', b('b'), { expectedModRevision: c.modRevision });
        await assert.rejects(s.update('/p/x', b('c'), { expectedModRevision: c.modRevision }), (e) => {
          assert.ok(e instanceof StoreConflictError);
          assert.deepEqual(e.current, u, 'the conflict carries the current kv');
          return true;
        });
        await assert.rejects(s.delete('/p/x', { expectedModRevision: c.modRevision }), StoreConflictError);
        assert.equal((await s.get('/p/x')).kv?.value.toString(), 'b');
        const d = await s.delete('/p/x', { expectedModRevision: u.modRevision });
        assert.deepEqual(d.prevKv, u);
      }));

    it('gives every write the next global revision, also under concurrency', () =>
      withStore(async (s) => {
        const seq: number[] = [];
        for (let i = 0; i < 5; i++) seq.push((await s.create(`/g/a/${i}`, b('x'))).modRevision);
        for (let i = 1; i < seq.length; i++) assert.ok(seq[i]! > seq[i - 1]!, 'strictly increasing');
        const kvs = await Promise.all(
          Array.from({ length: 60 }, (_, i) => s.create(`/g/${i % 3 === 0 ? 'b' : 'c'}/${i}`, b(String(i)))),
        );
        const revs = kvs.map((kv) => kv.modRevision);
        assert.equal(new Set(revs).size, revs.length, 'no two writes share a revision');
        assert.ok(Math.min(...revs) > seq.at(-1)!);
        assert.equal(await s.currentRevision(), Math.max(...revs));
      }));

    it('lists by prefix, in key order, with exact prefix boundaries', () =>
      withStore(async (s) => {
        const keys = ['/a/b/z', '/a/b', '/a/bc', '/a/b/a', '/a/b/m/n', '/a/c/x', '/a/b/'];
        for (const k of keys) await s.create(k, b(k));
        const l = await s.list('/a/b/');
        assert.deepEqual(
          l.kvs.map((kv) => kv.key),
          ['/a/b/', '/a/b/a', '/a/b/m/n', '/a/b/z'],
        );
        assert.equal(l.revision, await s.currentRevision());
        assert.equal(l.more, false);
        assert.equal(l.count, 4);
        for (const kv of l.kvs) assert.equal(kv.value.toString(), kv.key);
        assert.deepEqual(
          (await s.list('/a/')).kvs.map((kv) => kv.key),
          [...keys].sort(),
        );
        assert.deepEqual((await s.list('/nothing/')).kvs, []);
      }));

    it('pages with limit and startKey at one revision while writes go on', () =>
      withStore(async (s) => {
        const names = Array.from({ length: 25 }, (_, i) => `/pg/k${String(i).padStart(2, '0')}`);
        for (const k of [...names].reverse()) await s.create(k, b(k));
        await s.create('/pgx', b('outside'));
        const first = await s.list('/pg/', { limit: 10 });
        assert.equal(first.kvs.length, 10);
        assert.equal(first.more, true);
        assert.equal(first.count, 25, 'count covers the whole remaining range');
        // Writes between pages must not show through pages read at the first page's revision.
        await s.delete('/pg/k15');
        await s.create('/pg/k05x', b('late'));
        await s.update('/pg/k20', b('changed'));
        const seen = [...first.kvs];
        let last = first;
        for (let i = 0; i < 10 && last.more; i++) {
          last = await s.list('/pg/', { limit: 10, startKey: `${last.kvs.at(-1)!.key}\x00`, revision: first.revision });
          assert.equal(last.revision, first.revision);
          seen.push(...last.kvs);
        }
        assert.deepEqual(
          seen.map((kv) => kv.key),
          names,
        );
        assert.equal(seen.find((kv) => kv.key === '/pg/k20')?.value.toString(), '/pg/k20');
        const now = await s.list('/pg/');
        assert.equal(now.kvs.length, 25);
        assert.ok(now.kvs.some((kv) => kv.key === '/pg/k05x'));
        assert.ok(!now.kvs.some((kv) => kv.key === '/pg/k15'));
      }));

    it('lists at an older revision, and refuses a future one', () =>
      withStore(async (s) => {
        const a1 = await s.create('/o/a', b('a1'));
        await s.create('/o/b', b('b1'));
        const r1 = await s.currentRevision();
        await s.update('/o/a', b('a2'));
        await s.delete('/o/b');
        await s.create('/o/c', b('c1'));
        const old = await s.list('/o/', { revision: r1 });
        assert.equal(old.revision, r1);
        assert.deepEqual(
          old.kvs.map((kv) => [kv.key, kv.value.toString(), kv.modRevision]),
          [
            ['/o/a', 'a1', a1.modRevision],
            ['/o/b', 'b1', r1],
          ],
        );
        assert.deepEqual(
          (await s.list('/o/')).kvs.map((kv) => [kv.key, kv.value.toString()]),
          [
            ['/o/a', 'a2'],
            ['/o/c', 'c1'],
          ],
        );
        const cur = await s.currentRevision();
        await assert.rejects(s.list('/o/', { revision: cur + 10 }), StoreFutureRevisionError);
      }));

    it('compacts: older reads and watches fail, the state at the compact revision stays', () =>
      withStore(async (s) => {
        const a1 = await s.create('/c/a', b('a1'));
        const a2 = await s.update('/c/a', b('a2'));
        await s.create('/c/b', b('b1'));
        const del = await s.delete('/c/b');
        await s.create('/c/keep', b('k'));
        const target = await s.currentRevision();
        const a3 = await s.update('/c/a', b('a3'));
        const e = await s.create('/c/e', b('e1'));
        await s.compact(target);
        await s.compact(target); // already done: no-op
        await s.compact(a1.modRevision); // older than done: no-op

        await assert.rejects(s.list('/c/', { revision: del.revision - 1 }), (err) => {
          assert.ok(err instanceof StoreCompactedError);
          assert.equal(err.compactRevision, target);
          return true;
        });
        assert.deepEqual(
          (await s.list('/c/', { revision: target })).kvs.map((kv) => [kv.key, kv.value.toString()]),
          [
            ['/c/a', 'a2'],
            ['/c/keep', 'k'],
          ],
        );
        assert.equal((await s.list('/c/', { revision: target })).kvs[0]?.modRevision, a2.modRevision);
        assert.deepEqual((await s.get('/c/a')).kv, a3);
        assert.deepEqual(
          (await s.list('/c/')).kvs.map((kv) => kv.key),
          ['/c/a', '/c/e', '/c/keep'],
        );

        const old = record(s, '/c/', target - 1);
        const ok = record(s, '/c/', target);
        await waitFor('compacted error', () => old.errors.length === 1);
        assert.ok(old.errors[0] instanceof StoreCompactedError);
        assert.equal(old.events.length, 0);
        await waitFor('events after the compact revision', () => ok.revisions().length >= 2);
        ok.stop();
        assert.deepEqual(ok.revisions(), [a3.modRevision, e.modRevision]);
        const put = ok.events[0];
        assert.ok(put?.type === 'put' && put.prevKv?.value.toString() === 'a2', 'prevKv survives compaction');

        await assert.rejects(s.compact((await s.currentRevision()) + 5), StoreFutureRevisionError);
      }));

    it('guaranteedUpdate retries on conflict until every update lands', () =>
      withStore(async (s) => {
        await s.create('/gu/n', b('0'));
        const inc = (kv: KeyValue) => b(String(Number(kv.value.toString()) + 1));
        const results = await Promise.all(
          Array.from({ length: 20 }, () => guaranteedUpdate(s, '/gu/n', inc, { maxAttempts: 50 })),
        );
        assert.equal((await s.get('/gu/n')).kv?.value.toString(), '20');
        assert.equal(new Set(results.map((r) => r.modRevision)).size, 20);
        const before = await s.currentRevision();
        const same = await guaranteedUpdate(s, '/gu/n', (kv) => kv.value);
        assert.equal(same.modRevision, (await s.get('/gu/n')).kv?.modRevision);
        assert.equal(await s.currentRevision(), before, 'an unchanged value writes nothing');
        await assert.rejects(guaranteedUpdate(s, '/gu/missing', inc), StoreNotFoundError);
      }));

    it('refuses work after close and ends open watches with StoreClosedError', async () => {
      const f = await open();
      try {
        const s = f.store;
        const rec = record(s, '/z/', await s.currentRevision());
        await s.close();
        await s.close();
        await waitFor('closed error', () => rec.errors.length === 1);
        assert.ok(rec.errors[0] instanceof StoreClosedError);
        await assert.rejects(s.get('/z/a'), StoreClosedError);
        await assert.rejects(s.create('/z/a', b('x')), StoreClosedError);
        const late = record(s, '/z/', 0);
        await waitFor('closed error for a late watch', () => late.errors.length === 1);
        assert.ok(late.errors[0] instanceof StoreClosedError);
      } finally {
        await f.cleanup();
      }
    });

    it('resumes the same revisions and data after reopen', async (t) => {
      const f = await open();
      if (!f.reopen) {
        await f.store.close();
        await f.cleanup();
        t.skip('no reopen for this store');
        return;
      }
      let s = f.store;
      try {
        await s.create('/ro/a', b('a'));
        const kb = await s.create('/ro/b', b('b'));
        await s.update('/ro/a', b('a2'));
        const compactAt = await s.currentRevision();
        await s.delete('/ro/b');
        await s.compact(compactAt);
        const rev = await s.currentRevision();
        const before = await s.list('/ro/');
        await s.close();
        s = await f.reopen();
        assert.equal(await s.currentRevision(), rev);
        assert.deepEqual(await s.list('/ro/'), before);
        await assert.rejects(s.list('/ro/', { revision: compactAt - 1 }), StoreCompactedError);
        const rec = record(s, '/ro/', kb.modRevision);
        await waitFor('compacted error after reopen', () => rec.errors.length === 1);
        assert.ok(rec.errors[0] instanceof StoreCompactedError);
        const next = await s.create('/ro/c', b('c'));
        assert.ok(next.modRevision > rev, 'revisions continue after the last one');
      } finally {
        await s.close();
        await f.cleanup();
      }
    });
  });
}
