// The ListWatcher against a fake apiserver over real TLS: list then watch, resume from the last
// resourceVersion, relist on 410, back off on errors, stop cleanly on abort.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type KubeClient, ListWatcher, type ResourceEventHandlers } from '@mkube/shared/client';
import { eventually, FakeApi, type FakeObject, makePki, type Pki, serve, type TestServer } from './client.fixture.js';

describe('ListWatcher', () => {
  let pki: Pki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  async function setup(): Promise<{ api: FakeApi; srv: TestServer; c: KubeClient }> {
    const api = new FakeApi();
    const srv = await serve({ protocol: 'h2', pki }, (req, res) => {
      if (!api.handle(req, res)) res.end();
    });
    const c = createClient({ server: srv.url, caPem: pki.caPem });
    return { api, srv, c };
  }

  function recorder(): { log: string[]; handlers: ResourceEventHandlers<FakeObject> } {
    const log: string[] = [];
    return {
      log,
      handlers: {
        onAdd: (o) => log.push(`add ${o.metadata.name}`),
        onUpdate: (_, o) => log.push(`update ${o.metadata.name}`),
        onDelete: (o) => log.push(`delete ${o.metadata.name}`),
        onResync: (all) => log.push(`resync ${all.length}`),
      },
    };
  }

  const fastBackoff = { initialMs: 20, maxMs: 100 };

  it('lists, watches from the list resourceVersion and resumes after the server ends a stream', async () => {
    const { api, srv, c } = await setup();
    api.put('a');
    api.put('b');
    api.endWatchAfter = 2;
    const rec = recorder();
    const lw = new ListWatcher<FakeObject>({
      source: c.resource<FakeObject>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' }),
      handlers: rec.handlers,
      backoff: fastBackoff,
    });
    const ac = new AbortController();
    const running = lw.run(ac.signal);
    try {
      assert.equal(await lw.waitForSync(AbortSignal.timeout(3000)), true);
      assert.ok(lw.hasSynced());
      assert.deepEqual(lw.store.keys().sort(), ['default/a', 'default/b']);
      const listRv = String(api.rv);
      await eventually(() => api.openWatches() === 1);
      api.put('c');
      api.put('a', { k: 'v' }); // second event: the server ends this stream
      await eventually(() => api.watchRvs.length === 2 && api.openWatches() === 1);
      api.bookmark();
      await eventually(() => lw.resourceVersion === String(api.rv));
      api.remove('b');
      await eventually(() => lw.store.get('default/b') === undefined);
      assert.deepEqual(api.watchRvs, [listRv, String(Number(listRv) + 2)]);
      assert.equal(lw.store.get('default/a')?.data?.k, 'v');
      assert.deepEqual(rec.log, ['add a', 'add b', 'resync 2', 'add c', 'update a', 'delete b']);
      assert.equal(api.lists, 1);
    } finally {
      ac.abort();
      await running;
      await c.close();
      await srv.close();
    }
  });

  it('relists on 410 Gone and replaces the cache', async () => {
    const { api, srv, c } = await setup();
    api.put('a');
    api.put('b');
    api.endWatchAfter = 1;
    const rec = recorder();
    const lw = new ListWatcher<FakeObject>({
      source: c.resource<FakeObject>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' }),
      handlers: rec.handlers,
      backoff: fastBackoff,
    });
    const ac = new AbortController();
    const running = lw.run(ac.signal);
    try {
      await lw.waitForSync(AbortSignal.timeout(3000));
      await eventually(() => api.openWatches() === 1);
      // While no watch is open the log is compacted past the client's resourceVersion.
      api.put('z'); // ends the open stream (endWatchAfter = 1); the client re-watches from z's rv
      api.changeWhileDisconnected(() => {
        api.remove('a');
        api.put('c');
      });
      await eventually(() => lw.stats.goneRelists >= 1 && lw.store.get('default/c') !== undefined);
      assert.deepEqual(lw.store.keys().sort(), ['default/b', 'default/c', 'default/z']);
      assert.ok(rec.log.includes('delete a'), rec.log.join());
      assert.ok(rec.log.includes('add c'), rec.log.join());
      assert.equal(rec.log.filter((l) => l.startsWith('resync')).length, 2);
      assert.equal(api.lists, 2);
    } finally {
      ac.abort();
      await running;
      await c.close();
      await srv.close();
    }
  });

  it('backs off with jitter on list errors, then syncs; abort stops everything', async () => {
    const { api, srv, c } = await setup();
    api.put('a');
    api.failLists = 3;
    const warnings: object[] = [];
    const lw = new ListWatcher<FakeObject>({
      source: c.resource<FakeObject>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' }),
      backoff: { initialMs: 40, maxMs: 200 },
      logger: { warn: (o) => warnings.push(o), debug: () => {} },
    });
    const ac = new AbortController();
    const t0 = Date.now();
    const running = lw.run(ac.signal);
    try {
      assert.equal(await lw.waitForSync(AbortSignal.timeout(5000)), true);
      // 40 + 80 + 160 ms at least (jitter only adds), and exactly one list per attempt.
      assert.ok(Date.now() - t0 >= 280, `synced after ${Date.now() - t0} ms`);
      assert.equal(api.lists, 4);
      assert.equal(lw.stats.errors, 3);
      assert.equal(warnings.length, 3);
      await eventually(() => api.openWatches() === 1);
    } finally {
      ac.abort();
      await running;
    }
    // run() returned: the watch stream is closed on the server, nothing is left running.
    await eventually(() => api.openWatches() === 0 && srv.openRequests() === 0);
    assert.equal(c.stats.running, 0);
    await c.close();
    await srv.close();
  });

  it('does not spin when the server is down', async () => {
    const { srv, c } = await setup();
    await srv.close();
    const lw = new ListWatcher<FakeObject>({
      source: c.resource<FakeObject>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' }),
      backoff: { initialMs: 50, maxMs: 100 },
    });
    const ac = new AbortController();
    const running = lw.run(ac.signal);
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    await running;
    // At most ~500 / 50 attempts, however fast connections are refused.
    assert.ok(lw.stats.errors >= 2 && lw.stats.errors <= 11, `errors: ${lw.stats.errors}`);
    assert.equal(lw.hasSynced(), false);
    await c.close();
  });
});
