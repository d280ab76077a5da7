// The KubeClient's own HTTP/2 path (src/client/h2exchange.ts over src/h2) against Node's HTTP/2
// server: a request the server never saw (above a GOAWAY's last stream) sent again on a fresh
// connection, DELETE with a body, a streamed answer whose server goes silent ending on its idle
// deadline, and an idle client that lets its process exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import {
  createSecureServer,
  type Http2SecureServer,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '@mkube/shared/client';
import { h2Stream } from '../src/client/h2exchange.ts';
import { H2Connection } from '../src/h2/index.ts';
import { makePki, type Pki } from './client.fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface H2Server {
  readonly url: string;
  readonly server: Http2SecureServer;
  /** TLS connections accepted. */
  connections(): number;
  close(): Promise<void>;
}

async function serveH2(
  pki: Pki,
  onStream: (s: ServerHttp2Stream, path: string, body: string) => void,
): Promise<H2Server> {
  const server = createSecureServer({ key: pki.serverKeyPem, cert: pki.serverCertPem, allowHTTP1: false });
  let conns = 0;
  const open = new Set<ServerHttp2Session>();
  server.on('secureConnection', () => conns++);
  server.on('session', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('stream', (stream, headers) => {
    // A stream refused by the GOAWAY test ends in an error on this side; that is the point.
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => onStream(stream, String(headers[':path']), Buffer.concat(chunks).toString()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    connections: () => conns,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // Sessions still open (a silent watch) must not keep close() waiting.
        for (const s of open) s.destroy();
      }),
  };
}

const json = (stream: ServerHttp2Stream, body: unknown): void => {
  stream.respond({ ':status': 200, 'content-type': 'application/json' });
  stream.end(JSON.stringify(body));
};

describe('client over its own HTTP/2 framing', () => {
  let pki: Pki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  it('sends a request the server left above its GOAWAY again, on a new connection', async () => {
    let n = 0;
    const srv = await serveH2(pki, (stream, path) => {
      n++;
      // The second request's stream is refused by a GOAWAY whose last stream is the first one.
      if (n === 2) {
        stream.session?.goaway(0, 1);
        return;
      }
      json(stream, { path, n });
    });
    const c = createClient({ server: srv.url, caPem: pki.caPem });
    try {
      assert.deepEqual(await c.request('GET', '/a'), { path: '/a', n: 1 });
      assert.equal(c.protocol, 'h2');
      const again = await c.request<{ path: string; n: number }>('POST', '/b', { body: { x: 1 } });
      assert.equal(again.path, '/b');
      assert.equal(again.n, 3, 'the refused request was sent once more');
      assert.equal(srv.connections(), 2);
    } finally {
      await c.close();
      await srv.close();
    }
  });

  it('carries a DELETE body (DeleteOptions) with its length', async () => {
    let seen = { path: '', body: '' };
    const srv = await serveH2(pki, (stream, path, body) => {
      seen = { path, body };
      json(stream, { kind: 'Status', status: 'Success' });
    });
    const c = createClient({ server: srv.url, caPem: pki.caPem });
    try {
      await c.request('DELETE', '/api/v1/namespaces/default/pods/p', { body: { propagationPolicy: 'Background' } });
      assert.deepEqual(seen, {
        path: '/api/v1/namespaces/default/pods/p',
        body: '{"propagationPolicy":"Background"}',
      });
    } finally {
      await c.close();
      await srv.close();
    }
  });

  it('ends a streamed answer whose server goes silent at its idle deadline', async () => {
    const srv = await serveH2(pki, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
      // …and nothing more, without ending the stream.
    });
    const u = new URL(srv.url);
    const conn = new H2Connection({ host: u.hostname, port: Number(u.port), authority: u.host, ca: pki.caPem });
    try {
      const res = await h2Stream(
        conn,
        { method: 'GET', path: '/w', headers: {}, body: undefined },
        new AbortController().signal,
        undefined,
        { headersMs: 0, bodyIdleMs: 300 },
      );
      assert.equal(res.statusCode, 200);
      const started = Date.now();
      const chunks: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const c of res.body) chunks.push(String(c));
        })(),
        (e: NodeJS.ErrnoException) => e.code === 'H2_BODY_TIMEOUT',
      );
      assert.match(chunks.join(''), /"name":"a"/);
      const waited = Date.now() - started;
      assert.ok(waited >= 250 && waited < 5000, `ended after ${waited} ms`);
      // The stream was reset: nothing is left open on the connection.
      assert.equal(conn.active, 0);
    } finally {
      conn.close();
      await srv.close();
    }
  });

  it('lets its process exit when idle, without close() (as undici’s idle sockets do)', async () => {
    const srv = await serveH2(pki, (stream) => json(stream, { ok: true }));
    const script = join(pki.dir, 'idle-client.mts');
    writeFileSync(
      script,
      [
        `import { createClient } from ${JSON.stringify(join(ROOT, 'shared/src/client/index.ts'))};`,
        `const c = createClient({ server: ${JSON.stringify(srv.url)}, caPem: process.env.CA });`,
        `const r = await c.request('GET', '/x');`,
        `process.stdout.write(JSON.stringify(r));`,
      ].join('\n'),
    );
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT,
        env: { ...process.env, CA: pki.caPem },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
      });
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('the process did not exit with an idle client'));
        }, 20_000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      assert.equal(code, 0);
      assert.equal(out, '{"ok":true}');
    } finally {
      await srv.close();
    }
  });
});
