// dispatchUnary: the whole body, the status before it, aborts before and during the answer, and a
// connection cut mid-body — against a real HTTP server.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from 'undici';
import { dispatchUnary } from '../src/client/unary.js';

let server: ReturnType<typeof createServer>;
let client: Client;
const seen: string[] = [];
const closed: string[] = [];

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '');
    res.on('close', () => closed.push(req.url ?? ''));
    if (req.url === '/big') {
      res.writeHead(201, { 'content-type': 'text/plain' });
      for (let i = 0; i < 64; i++) res.write('é'.repeat(1024));
      res.end('end');
    } else if (req.url === '/stall') {
      res.writeHead(200);
      res.write('part');
    } else if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('short');
      setTimeout(() => res.socket?.destroy(), 20);
    } else {
      res.writeHead(404);
      res.end('{"kind":"Status"}');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  client = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

after(async () => {
  await client.destroy();
  server.closeAllConnections();
  server.close();
});

describe('dispatchUnary', () => {
  it('returns the status and the whole body, calling onResponse once before settling', async () => {
    const order: string[] = [];
    const res = await dispatchUnary(client, { path: '/big', method: 'GET' }, new AbortController().signal, () =>
      order.push('response'),
    ).then((r) => {
      order.push('settled');
      return r;
    });
    assert.equal(res.statusCode, 201);
    assert.equal(res.text, `${'é'.repeat(64 * 1024)}end`);
    assert.deepEqual(order, ['response', 'settled']);
    const missing = await dispatchUnary(
      client,
      { path: '/nope', method: 'GET' },
      new AbortController().signal,
      () => {},
    );
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.text, '{"kind":"Status"}');
  });

  it('an aborted signal rejects with its reason and sends nothing', async () => {
    const ac = new AbortController();
    const why = new Error('caller gave up');
    ac.abort(why);
    const before = seen.length;
    await assert.rejects(
      dispatchUnary(client, { path: '/never', method: 'GET' }, ac.signal, () => {}),
      (e) => e === why,
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen.length, before);
  });

  it('an abort during the body rejects at once and ends the request', async () => {
    const ac = new AbortController();
    let responded = false;
    const p = dispatchUnary(client, { path: '/stall', method: 'GET' }, ac.signal, () => {
      responded = true;
    });
    while (!responded) await new Promise((r) => setTimeout(r, 5));
    ac.abort(new Error('deadline'));
    await assert.rejects(p, /deadline/);
    for (let i = 0; i < 100 && !closed.includes('/stall'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closed.includes('/stall'), 'the server saw the request end');
  });

  it('a connection cut mid-body is an error, not a short answer', async () => {
    await assert.rejects(
      dispatchUnary(client, { path: '/cut', method: 'GET' }, new AbortController().signal, () => {}),
      (e: Error & { code?: string }) => typeof e.code === 'string' && e.code.startsWith('UND_ERR'),
    );
  });
});
