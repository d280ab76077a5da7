// Watch streams over real TLS: events split anywhere, bad lines counted and logged, ERROR events
// as StatusError, and aborts that really close the stream on the server.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { isGone, StatusError } from '@mkube/shared/apierrors';
import { createClient, type KubeClient, LineDecoder, type Watch } from '@mkube/shared/client';
import {
  delay,
  eventually,
  makePki,
  type Pki,
  type Req,
  type Res,
  sendJson,
  serve,
  type TestServer,
} from './client.fixture.js';

interface Cm {
  metadata: { name: string };
  data?: Record<string, string>;
}

const ev = (type: string, name: string, data: Record<string, string> = {}): string =>
  JSON.stringify({ type, object: { metadata: { name }, data } });

/** What each watch path streams; `/hang` streams nothing and stays open. */
const STREAMS: Record<string, string> = {
  // Multi-byte characters, CRLF, two events in one line group and a missing final newline.
  '/split': `${ev('ADDED', 'é-1', { v: 'héllo 🌍' })}\r\n${ev('MODIFIED', 'b')}\n${ev('DELETED', 'c', { x: '✓' })}\n\n${ev('BOOKMARK', '')}`,
  '/bad': [
    ev('ADDED', 'ok-1'),
    'not json {"token":"secret-value"}',
    '{"type":"WEIRD","object":{}}',
    '{"type":"ADDED"}',
    ev('ADDED', 'ok-2'),
    '',
  ].join('\n'),
  '/gone': `${ev('ADDED', 'a')}\n${JSON.stringify({
    type: 'ERROR',
    object: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'too old resource version: 5 (10)',
      reason: 'Expired',
      code: 410,
    },
  })}\n`,
};

async function collect<T>(w: Watch<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of w) out.push(e.object);
  return out;
}

for (const protocol of ['h2', 'http/1.1'] as const) {
  describe(`watch over ${protocol}`, () => {
    let pki: Pki;
    let srv: TestServer;
    let c: KubeClient;
    const warnings: object[] = [];
    const queries: string[] = [];

    const handler = (req: Req, res: Res): void => {
      const url = new URL(req.url ?? '/', 'https://x');
      queries.push(url.search);
      if (url.pathname === '/expired') {
        sendJson(res, 410, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'gone',
          reason: 'Expired',
          code: 410,
        });
        return;
      }
      (res as ServerResponse).writeHead(200, { 'content-type': 'application/json' });
      if (url.pathname === '/hang') {
        // The apiserver sends a watch's headers at once; Node's HTTP/1.1 would hold them back.
        (res as ServerResponse).flushHeaders();
        return;
      }
      const bytes = Buffer.from(STREAMS[url.pathname] ?? '');
      // 7-byte pieces, each in its own write a tick apart: cuts inside events and UTF-8 sequences.
      void (async () => {
        for (let i = 0; i < bytes.length; i += 7) {
          (res as ServerResponse).write(bytes.subarray(i, i + 7));
          await delay(1);
        }
        res.end();
      })();
    };

    before(async () => {
      pki = makePki();
      srv = await serve({ protocol, pki }, handler);
      c = createClient({
        server: srv.url,
        caPem: pki.caPem,
        logger: { warn: (o) => warnings.push(o), debug: () => {} },
      });
    });
    after(async () => {
      await c.close();
      await srv.close();
      pki.cleanup();
    });

    it('reassembles events split across chunks and sends the watch query', async () => {
      const w = await c.watch<Cm>('/split', {
        query: { resourceVersion: '7', allowWatchBookmarks: true, timeoutSeconds: 30 },
      });
      const got = await collect(w);
      assert.deepEqual(
        got.map((o) => o.metadata.name),
        ['é-1', 'b', 'c', ''],
      );
      assert.equal(got[0]?.data?.v, 'héllo 🌍');
      assert.equal(got[2]?.data?.x, '✓');
      assert.deepEqual(w.stats, { events: 4, unparsable: 0 });
      assert.equal(queries.at(-1), '?resourceVersion=7&allowWatchBookmarks=true&timeoutSeconds=30&watch=true');
    });

    it('counts and logs unparsable lines without their content, and keeps going', async () => {
      warnings.length = 0;
      const w = await c.watch<Cm>('/bad');
      const got = await collect(w);
      assert.deepEqual(
        got.map((o) => o.metadata.name),
        ['ok-1', 'ok-2'],
      );
      assert.equal(w.stats.unparsable, 3);
      assert.equal(warnings.length, 3);
      assert.ok(!JSON.stringify(warnings).includes('secret-value'));
    });

    it('surfaces an ERROR event as a StatusError (410 → isGone)', async () => {
      const w = await c.watch<Cm>('/gone');
      const seen: string[] = [];
      const err = await (async () => {
        for await (const e of w) seen.push(e.object.metadata.name);
      })().catch((e: unknown) => e);
      assert.deepEqual(seen, ['a']);
      assert.ok(err instanceof StatusError, String(err));
      assert.equal(err.reason, 'Expired');
      assert.ok(isGone(err));
      await assert.rejects(c.watch('/expired'), (e: unknown) => isGone(e));
    });

    it('closes the stream on the server when the signal aborts or the loop breaks', async () => {
      const ac = new AbortController();
      const w = await c.watch<Cm>('/hang', { signal: ac.signal });
      await eventually(() => srv.openRequests() === 1);
      setTimeout(() => ac.abort(), 20);
      assert.deepEqual(await collect(w), []);
      await eventually(() => srv.openRequests() === 0);

      const w2 = await c.watch<Cm>('/split');
      for await (const _ of w2) break;
      await eventually(() => srv.openRequests() === 0);
      // The connection still serves requests afterwards.
      assert.deepEqual((await collect(await c.watch<Cm>('/bad'))).length, 2);
    });
  });
}

describe('LineDecoder', () => {
  const cases: { name: string; chunks: string[]; want: string[]; oversized?: number }[] = [
    { name: 'one line per chunk', chunks: ['a\n', 'b\n'], want: ['a', 'b'] },
    { name: 'several lines in one chunk', chunks: ['a\nb\nc\n'], want: ['a', 'b', 'c'] },
    { name: 'a line across chunks', chunks: ['{"a"', ':1}', '\n'], want: ['{"a":1}'] },
    { name: 'CRLF', chunks: ['a\r\nb\r', '\n'], want: ['a', 'b'] },
    { name: 'no final newline', chunks: ['a\nb'], want: ['a', 'b'] },
    { name: 'oversized line dropped, next kept', chunks: ['x'.repeat(11), 'xx\nok\n'], want: ['ok'], oversized: 1 },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const d = new LineDecoder(10);
      const out = tc.chunks.flatMap((ch) => d.push(Buffer.from(ch)));
      out.push(...d.end());
      assert.deepEqual(out, tc.want);
      assert.equal(d.oversized, tc.oversized ?? 0);
    });
  }
  it('keeps a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('é\n');
    const d = new LineDecoder();
    assert.deepEqual([...d.push(bytes.subarray(0, 1)), ...d.push(bytes.subarray(1))], ['é']);
  });
});
