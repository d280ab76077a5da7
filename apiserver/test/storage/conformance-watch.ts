// Watch cases of the Store conformance suite (see conformance.ts).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type StoreWatchEvent, StoreWatcherTooSlowError } from '../../src/storage/index.js';
import { b, record, type WithStore, waitFor } from './helpers.js';

export function describeWatchConformance(withStore: WithStore): void {
  it('watches from now: creates, updates and deletes with prevKv, by prefix', () =>
    withStore(async (s) => {
      await s.create('/w/before', b('x'));
      const rec = record(s, '/w/a/', await s.currentRevision());
      const c = await s.create('/w/a/1', b('v1'));
      await s.create('/w/ab', b('not mine'));
      await s.create('/w/b/1', b('not mine'));
      const u = await s.update('/w/a/1', b('v2'));
      const d = await s.delete('/w/a/1');
      await waitFor('3 events', () => rec.events.length >= 3);
      await new Promise((r) => setTimeout(r, 20));
      rec.stop();
      assert.deepEqual(rec.errors, []);
      const [e1, e2, e3] = rec.events as [StoreWatchEvent, StoreWatchEvent, StoreWatchEvent];
      assert.equal(rec.events.length, 3);
      assert.deepEqual(e1, { type: 'put', kv: c, revision: c.modRevision, isCreate: true });
      assert.equal(e2.type, 'put');
      if (e2.type === 'put') {
        assert.deepEqual(e2.kv, u);
        assert.equal(e2.isCreate, false);
        assert.deepEqual(e2.prevKv, c);
      }
      assert.equal(e3.type, 'delete');
      if (e3.type === 'delete') {
        assert.equal(e3.revision, d.revision);
        assert.equal(e3.kv.key, '/w/a/1');
        assert.equal(e3.kv.modRevision, d.revision);
        assert.deepEqual(e3.prevKv, u, 'a delete event carries the deleted value');
      }
    }));

  it('watches from the past: replay then live, exactly once and in order, while writes go on', () =>
    withStore(async (s) => {
      const mine: number[] = [];
      const write = async (i: number): Promise<void> => {
        const k = `/h/in/${i % 40}`;
        const got = await s.get(k);
        if (got.kv === null) mine.push((await s.create(k, b(`c${i}`))).modRevision);
        else if (i % 7 === 0) mine.push((await s.delete(k)).revision);
        else mine.push((await s.update(k, b(`u${i}`))).modRevision);
        await s.create(`/h/out/${i}`, b('other prefix'));
      };
      for (let i = 0; i < 150; i++) await write(i);
      const since = mine[50]!;
      const rec = record(s, '/h/in/', since);
      // Keep writing while the watcher replays, so the hand-over happens under load.
      for (let i = 150; i < 400; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => write(i + j)));
      }
      const expected = mine.filter((r) => r > since).sort((x, y) => x - y);
      await waitFor('all events', () => rec.revisions().length >= expected.length || rec.errors.length > 0, 10_000);
      await new Promise((r) => setTimeout(r, 30));
      rec.stop();
      assert.deepEqual(rec.errors, []);
      assert.deepEqual(rec.revisions(), expected);
      for (const e of rec.events) {
        if (e.type === 'delete') assert.ok(e.prevKv && e.prevKv.value.length > 0, 'replayed delete has prevKv');
        if (e.type !== 'progress') assert.ok(e.kv.key.startsWith('/h/in/'));
      }
    }));

  it('stops delivering after stop()', () =>
    withStore(async (s) => {
      const rec = record(s, '/s/', await s.currentRevision());
      await s.create('/s/1', b('x'));
      await waitFor('first event', () => rec.events.length === 1);
      rec.stop();
      rec.stop();
      await s.create('/s/2', b('x'));
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(rec.events.length, 1);
      assert.deepEqual(rec.errors, []);
    }));

  it('ends a watch whose onEvent throws, with that error', () =>
    withStore(async (s) => {
      const seen: StoreWatchEvent[] = [];
      const errors: Error[] = [];
      s.watch('/t/', {
        sinceRevision: await s.currentRevision(),
        onEvent: (e) => {
          seen.push(e);
          throw new Error('consumer broke');
        },
        onError: (e) => {
          errors.push(e);
        },
      });
      await s.create('/t/1', b('x'));
      await s.create('/t/2', b('x'));
      await waitFor('the error', () => errors.length === 1);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, 1);
      assert.equal(errors[0]?.message, 'consumer broke');
    }));

  it('sends progress notifications to an idle watcher', () =>
    withStore(async (s) => {
      await s.create('/pn/1', b('x'));
      const rec = record(s, '/pn/', await s.currentRevision(), { progressNotifyMs: 40 });
      await s.create('/other/1', b('x'));
      await waitFor('a progress event', () => rec.events.some((e) => e.type === 'progress'), 5000);
      rec.stop();
      const p = rec.events.find((e) => e.type === 'progress')!;
      assert.equal(p.revision, await s.currentRevision());
      assert.equal(rec.revisions().length, 0);
    }));

  it('ends a stalled watcher without delaying writes or other watchers', () =>
    withStore(async (s) => {
      const start = await s.currentRevision();
      const stalledErrors: Error[] = [];
      let stalledCalls = 0;
      s.watch('/sl/', {
        sinceRevision: start,
        maxQueuedEvents: 8,
        // Never settles: this consumer stopped reading.
        onEvent: () => {
          stalledCalls++;
          return new Promise<void>(() => {});
        },
        onError: (e) => {
          stalledErrors.push(e);
        },
      });
      const healthy = record(s, '/sl/', start);
      const t0 = performance.now();
      const revs: number[] = [];
      for (let i = 0; i < 200; i += 20) {
        const kvs = await Promise.all(Array.from({ length: 20 }, (_, j) => s.create(`/sl/${i + j}`, b('x'))));
        revs.push(...kvs.map((kv) => kv.modRevision));
      }
      const writeMs = performance.now() - t0;
      await waitFor('healthy watcher has everything', () => healthy.revisions().length >= 200, 10_000);
      await waitFor('stalled watcher is ended', () => stalledErrors.length === 1);
      healthy.stop();
      assert.ok(stalledErrors[0] instanceof StoreWatcherTooSlowError);
      assert.equal(stalledCalls, 1, 'no event is pushed while the consumer has not finished the previous one');
      // Concurrent writes get their revisions in arrival order, not array order.
      assert.deepEqual(
        healthy.revisions(),
        [...revs].sort((x, y) => x - y),
      );
      assert.deepEqual(healthy.errors, []);
      assert.ok(writeMs < 10_000, `writes took ${writeMs} ms`);
    }));
}
