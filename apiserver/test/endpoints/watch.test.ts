// Watches through the real server: chunked HTTP and WebSocket, selector transitions, 410 after
// compaction, and a stalled reader that must not hold anyone else up.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import type { ConfigMap } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { Agent, WebSocket } from 'undici';
import { type Fixture, startFixture } from '../server/fixture.ts';

describe('watch endpoints', () => {
  let fx: Fixture;
  let client: KubeClient;
  const cms = () =>
    client.resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' });
  before(async () => {
    fx = await startFixture();
    client = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
  });
  after(async () => {
    await client?.close();
    await fx?.close();
  });

  it('streams ADDED/MODIFIED/DELETED after a resourceVersion, and selector transitions', async () => {
    const rv = (await cms().list()).metadata.resourceVersion!;
    const ac = new AbortController();
    const w = await cms().watch({
      resourceVersion: rv,
      labelSelector: 'app=web',
      signal: ac.signal,
      allowWatchBookmarks: false,
    });
    const got: string[] = [];
    const reading = (async () => {
      for await (const e of w) {
        got.push(`${e.type} ${e.object.metadata.name}`);
        if (got.length === 4) break;
      }
    })();
    await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { app: 'web' } } });
    await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', labels: { app: 'db' } } });
    const a = await cms().get('a');
    await cms().update({ ...a, data: { x: '1' } });
    const a2 = await cms().get('a');
    await cms().update({ ...a2, metadata: { ...a2.metadata, labels: { app: 'db' } } });
    const b = await cms().get('b');
    await cms().update({ ...b, metadata: { ...b.metadata, labels: { app: 'web' } } });
    await Promise.race([reading, new Promise((_, rej) => setTimeout(() => rej(new Error(`only got ${got}`)), 5000))]);
    ac.abort();
    assert.deepEqual(got, ['ADDED a', 'MODIFIED a', 'DELETED a', 'ADDED b']);
  });

  it('a watch of one name, and one without a selector, see every change of that object as MODIFIED', async () => {
    const rv = (await cms().list()).metadata.resourceVersion!;
    const ac = new AbortController();
    const read = async (w: AsyncIterable<{ type: string; object: { metadata: { name?: string } } }>, out: string[]) => {
      for await (const e of w) {
        out.push(`${e.type} ${e.object.metadata.name}`);
        if (out.filter((x) => x.endsWith(' n1')).length === 4) break;
      }
    };
    const named: string[] = [];
    const all: string[] = [];
    const opts = { resourceVersion: rv, signal: ac.signal, allowWatchBookmarks: false };
    const readers = Promise.all([
      read(await cms().watch({ ...opts, fieldSelector: 'metadata.name=n1' }), named),
      read(await cms().watch(opts), all),
    ]);
    await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n1', labels: { a: '1' } } });
    await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n2' } });
    const n1 = await cms().get('n1');
    await cms().update({ ...n1, metadata: { ...n1.metadata, labels: { a: '2' } } });
    const n1b = await cms().get('n1');
    await cms().update({ ...n1b, data: { x: '1' } });
    await cms().delete('n1');
    await Promise.race([
      readers,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${named} / ${all}`)), 5000)),
    ]);
    ac.abort();
    assert.deepEqual(named, ['ADDED n1', 'MODIFIED n1', 'MODIFIED n1', 'DELETED n1']);
    assert.deepEqual(all, ['ADDED n1', 'ADDED n2', 'MODIFIED n1', 'MODIFIED n1', 'DELETED n1']);
  });

  it('answers 410 Expired for a watch from a compacted revision', async () => {
    const old = Number((await cms().list()).metadata.resourceVersion);
    for (let i = 0; i < 3; i++)
      await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } });
    await fx.server.store.compact(await fx.server.store.currentRevision());
    await assert.rejects(
      (async () => {
        const w = await cms().watch({ resourceVersion: String(old) });
        for await (const _ of w) break;
      })(),
      (e: { code?: number; message?: string }) => e.code === 410 && /too old resource version/.test(e.message ?? ''),
    );
  });

  it('serves a watch over WebSocket, one event per message', async () => {
    const rv = (await cms().list()).metadata.resourceVersion!;
    const dispatcher = new Agent({
      connect: {
        ca: readFileSync(fx.pki.caCrt),
        cert: readFileSync(fx.pki.adminCrt),
        key: readFileSync(fx.pki.adminKey),
        ALPNProtocols: ['http/1.1'],
      },
    });
    const ws = new WebSocket(
      `${fx.url.replace('https', 'wss')}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
      { dispatcher },
    );
    const messages: { type: string; object: { metadata: { name: string } } }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => void cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'over-ws' } });
      ws.onmessage = (m) => {
        messages.push(JSON.parse(String(m.data)));
        resolve();
      };
      ws.onerror = () => reject(new Error('websocket error'));
      setTimeout(() => reject(new Error('no message over WebSocket')), 5000);
    });
    ws.close();
    await dispatcher.close();
    assert.equal(messages[0]?.type, 'ADDED');
    assert.equal(messages[0]?.object.metadata.name, 'over-ws');
  });

  it('a reader that never reads does not hold up writes or other watchers', async () => {
    const rv = (await cms().list()).metadata.resourceVersion!;
    // A raw HTTP/1.1 watch whose socket is paused: the server's writes back up on it.
    const stalled = connect({
      host: '127.0.0.1',
      port: fx.server.port,
      ca: readFileSync(fx.pki.caCrt),
      cert: readFileSync(fx.pki.adminCrt),
      key: readFileSync(fx.pki.adminKey),
      ALPNProtocols: ['http/1.1'],
    });
    await new Promise<void>((r) => stalled.once('secureConnect', () => r()));
    stalled.write(
      `GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    stalled.pause();
    const ac = new AbortController();
    const w = await cms().watch({ resourceVersion: rv, signal: ac.signal, allowWatchBookmarks: false });
    let seen = 0;
    const N = 300;
    const reading = (async () => {
      for await (const _ of w) if (++seen >= N) break;
    })();
    const big = 'x'.repeat(20_000);
    const t0 = Date.now();
    for (let i = 0; i < N; i++)
      await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `s${i}` }, data: { big } });
    const writeMs = Date.now() - t0;
    await Promise.race([
      reading,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`healthy watcher saw ${seen}/${N}`)), 10_000)),
    ]);
    ac.abort();
    stalled.destroy();
    assert.equal(seen, N);
    assert.ok(writeMs < 10_000, `writes took ${writeMs} ms`);
  });
});
