// Connection reuse: HTTP/2 multiplexing, the HTTP/1.1 fallback pool, keep-alive, and credential
// rotation, counted from the server's side of real TLS connections.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient, type KubeClient, type WatchEvent } from '@mkube/shared/client';
import { eventually, makePki, type Pki, peerCn, type Req, type Res, sendJson, serve } from './client.fixture.js';

describe('client connections', () => {
  let pki: Pki;
  let alice: { certPem: string; keyPem: string };
  let bob: { certPem: string; keyPem: string };
  before(() => {
    pki = makePki();
    alice = pki.issueClient('system:node:alice', 'system:nodes');
    bob = pki.issueClient('system:node:bob', 'system:nodes');
  });
  after(() => pki.cleanup());

  /** Answers after a short delay so requests overlap; `/watch` streams until closed. */
  function api(): { handler: (req: Req, res: Res) => void; maxInFlight: () => number; watches: Set<Res> } {
    let inFlight = 0;
    let max = 0;
    const watches = new Set<Res>();
    const handler = (req: Req, res: Res): void => {
      req.resume();
      if (req.url?.startsWith('/watch')) {
        (res as ServerResponse).writeHead(200, { 'content-type': 'application/json' });
        (res as ServerResponse).write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
        watches.add(res);
        res.on('close', () => watches.delete(res));
        return;
      }
      inFlight++;
      max = Math.max(max, inFlight);
      setTimeout(() => {
        inFlight--;
        sendJson(res, 200, { cn: peerCn(req) });
      }, 20);
    };
    return { handler, maxInFlight: () => max, watches };
  }

  const burst = (c: KubeClient, n: number): Promise<unknown[]> =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        i % 2 ? c.request('POST', `/r/${i}`, { body: { i } }) : c.request('GET', `/r/${i}`),
      ),
    );

  it('multiplexes 200 concurrent requests and a watch over one h2 connection', async () => {
    const a = api();
    const srv = await serve({ protocol: 'h2', pki }, a.handler);
    const c = createClient({
      server: srv.url,
      caPem: pki.caPem,
      clientCertPem: alice.certPem,
      clientKeyPem: alice.keyPem,
    });
    try {
      const w = await c.watch<{ metadata: { name: string } }>('/watch');
      await burst(c, 200);
      assert.equal(c.protocol, 'h2');
      assert.ok(srv.connections.length <= 2, `connections: ${srv.connections.length}`);
      assert.ok(srv.connections.every((x) => x.alpn === 'h2'));
      assert.ok(a.maxInFlight() > 50, `server saw at most ${a.maxInFlight()} requests at once`);
      const it = w[Symbol.asyncIterator]();
      const first = (await it.next()) as IteratorResult<WatchEvent<{ metadata: { name: string } }>>;
      assert.equal(first.value?.object.metadata.name, 'a');
      w.close();
      await eventually(() => a.watches.size === 0);
    } finally {
      await c.close();
      await srv.close();
    }
  });

  it('falls back to a bounded HTTP/1.1 pool and keeps connections alive', async () => {
    const a = api();
    const srv = await serve({ protocol: 'http/1.1', pki }, a.handler);
    const c = createClient({
      server: srv.url,
      caPem: pki.caPem,
      clientCertPem: alice.certPem,
      clientKeyPem: alice.keyPem,
      connections: 4,
    });
    try {
      await burst(c, 200);
      assert.equal(c.protocol, 'http/1.1');
      assert.ok(srv.connections.length <= 4, `connections: ${srv.connections.length}`);
      assert.ok(srv.connections.every((x) => x.alpn === 'http/1.1' || x.alpn === false));
      const before = srv.connections.length;
      for (let i = 0; i < 30; i++) await c.request('GET', `/seq/${i}`);
      assert.equal(srv.connections.length, before, 'sequential requests reuse kept-alive connections');
    } finally {
      await c.close();
      await srv.close();
    }
  });

  it('speaks HTTP/1.1 to an h2 server when allowH2 is false', async () => {
    const a = api();
    const srv = await serve({ protocol: 'h2', pki }, a.handler);
    const c = createClient({ server: srv.url, caPem: pki.caPem, allowH2: false });
    try {
      await c.request('GET', '/x');
      assert.equal(c.protocol, 'http/1.1');
      assert.equal(srv.connections[0]?.alpn, 'http/1.1');
    } finally {
      await c.close();
      await srv.close();
    }
  });

  it('rotates the client certificate: new connections present it, running watches finish', async () => {
    const a = api();
    const srv = await serve({ protocol: 'h2', pki }, a.handler);
    const c = createClient({
      server: srv.url,
      caPem: pki.caPem,
      clientCertPem: alice.certPem,
      clientKeyPem: alice.keyPem,
    });
    try {
      assert.equal((await c.request<{ cn: string }>('GET', '/who')).cn, 'system:node:alice');
      const w = await c.watch('/watch');
      const events = w[Symbol.asyncIterator]();
      c.rotateCredentials({ clientCertPem: bob.certPem, clientKeyPem: bob.keyPem });
      const after = await Promise.all([1, 2, 3].map(() => c.request<{ cn: string }>('GET', '/who')));
      assert.deepEqual(
        after.map((r) => r.cn),
        ['system:node:bob', 'system:node:bob', 'system:node:bob'],
      );
      assert.deepEqual(
        srv.connections.map((x) => x.cn),
        ['system:node:alice', 'system:node:bob'],
      );
      // The watch opened before the rotation still streams on the old connection.
      assert.equal(a.watches.size, 1);
      assert.equal(c.stats.retiring, 1);
      const first = await events.next();
      assert.equal(first.done, false);
      w.close();
      await eventually(() => a.watches.size === 0 && c.stats.retiring === 0);
    } finally {
      await c.close();
      await srv.close();
    }
  });
});
