// Failover between apiservers over real TLS: two HTTPS servers on 127.0.0.1 (each can be stopped
// and started again on its port), one client listing both. Requests move to the server that is
// up; writes are resent only when nothing was sent; TLS failures, HTTP statuses and a single
// server behave as before; a ListWatcher resumes its watch through the other server.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest } from 'node:http2';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { StatusError } from '@mkube/shared/apierrors';
import { ClientError, createClient, type KubeClient, ListWatcher } from '@mkube/shared/client';
import { eventually, FakeApi, type FakeObject, makePki, type Pki, type Req, type Res } from './client.fixture.js';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/** A TLS server (h2 with HTTP/1.1 fallback) that can be stopped and started again on the same port. */
class Apiserver {
  readonly seen: Seen[] = [];
  /** Serves the FakeApi's ConfigMaps when set (several servers may share one, as they share etcd). */
  api: FakeApi | undefined;
  /** `/crash` cuts the connection after the request arrived (otherwise it is answered). */
  crash = false;
  port = 0;
  #server: ReturnType<typeof createSecureServer> | undefined;
  readonly #sockets = new Set<TLSSocket>();

  constructor(
    readonly name: string,
    readonly tls: { readonly certPem: string; readonly keyPem: string },
  ) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.#server !== undefined;
  }

  async start(): Promise<void> {
    const server = createSecureServer({ key: this.tls.keyPem, cert: this.tls.certPem, allowHTTP1: true }, (req, res) =>
      this.#handle(req, res),
    );
    server.on('secureConnection', (sock: TLSSocket) => {
      this.#sockets.add(sock);
      sock.on('close', () => this.#sockets.delete(sock));
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Dies: every connection is cut (watches included) and the port refuses connections. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  count(method: string, path: string): number {
    return this.seen.filter((s) => s.method === method && s.path === path).length;
  }

  #handle(req: Req, res: Res): void {
    const url = new URL(req.url ?? '/', 'https://x');
    if (this.api && url.pathname === FakeApi.PATH) {
      const watch = url.searchParams.get('watch') === 'true';
      this.seen.push({ method: req.method ?? '', path: url.pathname + (watch ? '?watch' : ''), body: '' });
      this.api.handle(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', path: url.pathname, body: Buffer.concat(chunks).toString() };
      this.seen.push(seen);
      if (url.pathname === '/crash' && this.crash) {
        // The connection dies after the whole request arrived, before any answer.
        const h2 = (req as Http2ServerRequest).stream?.session;
        if (h2) h2.destroy();
        else (req as IncomingMessage).socket.destroy();
        return;
      }
      if (url.pathname === '/unavailable') {
        json(res, 503, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'etcd is unavailable',
          reason: 'ServiceUnavailable',
          code: 503,
        });
        return;
      }
      json(res, 200, { server: this.name, method: seen.method, body: seen.body });
    });
  }
}

function json(res: Res, code: number, body: unknown): void {
  (res as ServerResponse).writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

interface Warned {
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

describe('client failover between apiservers', () => {
  let pki: Pki;
  /** A second CA: a server with its certificate fails the client's verification. */
  let foreign: Pki;
  const servers: Apiserver[] = [];
  const clients: KubeClient[] = [];

  before(() => {
    pki = makePki();
    foreign = makePki();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close({ graceMs: 100 })));
    await Promise.all(servers.map((s) => s.stop()));
    pki.cleanup();
    foreign.cleanup();
  });

  async function apiserver(name: string, p: Pki = pki): Promise<Apiserver> {
    const s = new Apiserver(name, { certPem: p.serverCertPem, keyPem: p.serverKeyPem });
    await s.start();
    servers.push(s);
    return s;
  }

  function client(list: Apiserver[], extra: Partial<Parameters<typeof createClient>[0]> = {}) {
    const warned: Warned[] = [];
    const c = createClient({
      server: list[0]!.url,
      servers: list.map((s) => s.url),
      caPem: pki.caPem,
      logger: { warn: (obj, msg) => warned.push({ msg, obj: obj as Record<string, unknown> }), debug: () => {} },
      ...extra,
    });
    clients.push(c);
    return { c, warned };
  }

  const who = async (c: KubeClient): Promise<string> => (await c.request<{ server: string }>('GET', '/who')).server;

  for (const allowH2 of [true, false]) {
    const proto = allowH2 ? 'h2' : 'http/1.1';

    it(`GETs move to B when A dies and back to A when B dies (${proto})`, { timeout: 30_000 }, async () => {
      const a = await apiserver('A');
      const b = await apiserver('B');
      const { c, warned } = client([a, b], { allowH2 });
      assert.deepEqual(c.servers, [a.url, b.url]);
      assert.equal(await who(c), 'A');
      assert.equal(c.protocol, proto);

      await a.stop();
      for (let i = 0; i < 5; i++) assert.equal(await who(c), 'B');
      assert.equal(c.activeServer, b.url);
      // One failover: later requests go to B first instead of knocking at A each time.
      assert.deepEqual(
        warned.map((w) => [w.msg, w.obj.server]),
        [['apiserver unreachable; failing over', a.url]],
      );
      // Refused, or reset when the request met the dying connection first.
      assert.match((warned[0]!.obj.err as { code: string }).code, /^(ECONNREFUSED|ECONNRESET)$/);

      // A comes back (still within its down time), B dies: requests go back to A.
      await a.start();
      await b.stop();
      for (let i = 0; i < 3; i++) assert.equal(await who(c), 'A');
      assert.equal(c.activeServer, a.url);

      // Both down: the error of the last server tried, as a ClientError.
      await a.stop();
      const err = await who(c).catch((e: unknown) => e);
      assert.ok(err instanceof ClientError && err.code === 'ECONNREFUSED', String(err));
      await a.start();
      assert.equal(await who(c), 'A');
    });

    it(`a write refused before it was sent is sent to B, once (${proto})`, { timeout: 30_000 }, async () => {
      const a = await apiserver('A');
      const b = await apiserver('B');
      await a.stop();
      const { c } = client([a, b], { allowH2 });
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        const r = await c.request<{ server: string; method: string; body: string }>(method, '/things', {
          body: { n: method },
        });
        assert.deepEqual(r, { server: 'B', method, body: JSON.stringify({ n: method }) });
        assert.equal(b.count(method, '/things'), 1);
      }
      assert.equal(a.seen.length, 0);
    });

    it(`a write whose connection dies after it was sent is not resent; a GET is (${proto})`, {
      timeout: 30_000,
    }, async () => {
      const a = await apiserver('A');
      const b = await apiserver('B');
      a.crash = true;
      const { c } = client([a, b], { allowH2 });
      assert.equal(await who(c), 'A'); // a live connection to A
      const err = await c.request('POST', '/crash', { body: { x: 1 } }).catch((e: unknown) => e);
      assert.ok(err instanceof ClientError, String(err));
      assert.ok(['ECONNRESET', 'EPIPE'].includes(err.code), String(err));
      assert.match(err.message, new RegExp(`^Post "${a.url}/crash": `));
      assert.equal(a.count('POST', '/crash'), 1);
      assert.equal(b.count('POST', '/crash'), 0, 'the POST was not sent twice');

      // The same death for a GET: it is safe to send again, so it is answered by the other server
      // (A is marked down by the POST's failure: B first now, and A last).
      const fresh = client([a, b], { allowH2 }).c;
      assert.equal(await who(fresh), 'A');
      const got = await fresh.request<{ server: string }>('GET', '/crash');
      assert.equal(got.server, 'B');
      assert.equal(a.count('GET', '/crash'), 1);
      assert.equal(b.count('GET', '/crash'), 1);
    });
  }

  it('a TLS verification failure on A is not failed over', { timeout: 30_000 }, async () => {
    const a = await apiserver('A', foreign); // serves a certificate of another CA
    const b = await apiserver('B');
    const { c, warned } = client([a, b]);
    const err = await who(c).catch((e: unknown) => e);
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, 'ETLS');
    assert.match(err.message, new RegExp(`^Get "${a.url}/who": `));
    assert.match(err.message, /unable to verify|self-signed certificate|certificate/);
    assert.equal(b.seen.length, 0);
    assert.equal(warned.length, 0);
    assert.equal(c.activeServer, a.url);
  });

  it('HTTP error statuses (503) are answers: not failed over', { timeout: 30_000 }, async () => {
    const a = await apiserver('A');
    const b = await apiserver('B');
    const { c, warned } = client([a, b]);
    const err = await c.request('GET', '/unavailable').catch((e: unknown) => e);
    assert.ok(err instanceof StatusError && err.code === 503, String(err));
    assert.equal(b.seen.length, 0);
    assert.equal(warned.length, 0);
  });

  /** Accepts TCP connections and never says a word: the TLS handshake hangs. */
  async function blackhole(): Promise<{ url: string; close(): Promise<void> }> {
    const socks = new Set<Socket>();
    const srv = createTcpServer((s) => {
      socks.add(s);
      s.on('close', () => socks.delete(s));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return {
      url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`,
      close: async () => {
        for (const s of socks) s.destroy();
        await new Promise<void>((r) => srv.close(() => r()));
      },
    };
  }

  it('the request deadline covers every attempt and is not failed over', { timeout: 30_000 }, async () => {
    const hole = await blackhole();
    const b = await apiserver('B');
    const c = createClient({ server: hole.url, servers: [b.url], caPem: pki.caPem, timeoutMs: 300 });
    clients.push(c);
    const err = await who(c).catch((e: unknown) => e);
    // (undici settles a request aborted while its connection is being made only when the connect
    // attempt ends: here after its 10 s connect timeout, as with a single server.)
    assert.ok(err instanceof ClientError && err.code === 'ETIMEDOUT', String(err));
    assert.match(err.message, /context deadline exceeded/);
    assert.equal(b.seen.length, 0);
    await c.close({ graceMs: 0 });
    await hole.close();
  });

  it('a connect timeout (handshake never completes) fails over', { timeout: 40_000 }, async () => {
    const hole = await blackhole();
    const b = await apiserver('B');
    const warned: Warned[] = [];
    const c = createClient({
      server: hole.url,
      servers: [b.url],
      caPem: pki.caPem,
      logger: { warn: (obj, msg) => warned.push({ msg, obj: obj as Record<string, unknown> }), debug: () => {} },
    });
    clients.push(c);
    const t0 = Date.now();
    assert.equal(await who(c), 'B');
    // undici's connect timeout (10 s) ended the first attempt.
    assert.ok(Date.now() - t0 >= 9_000, `${Date.now() - t0} ms`);
    assert.equal(warned.length, 1);
    assert.equal((warned[0]!.obj.err as { code: string }).code, 'ETIMEDOUT');
    // Sticky: the next one goes straight to B.
    const t1 = Date.now();
    assert.equal(await who(c), 'B');
    assert.ok(Date.now() - t1 < 2_000);
    await c.close({ graceMs: 0 });
    await hole.close();
  });

  it('a single server behaves as before: refused surfaces at once, nothing is logged', {
    timeout: 30_000,
  }, async () => {
    const a = await apiserver('A');
    const url = a.url;
    await a.stop();
    for (const servers of [undefined, [url], [url, `${url}/`]]) {
      const warned: Warned[] = [];
      const c = createClient({
        server: url,
        ...(servers ? { servers } : {}),
        caPem: pki.caPem,
        logger: { warn: (obj, msg) => warned.push({ msg, obj: obj as Record<string, unknown> }), debug: () => {} },
      });
      clients.push(c);
      assert.deepEqual(c.servers, [url]);
      const err = await who(c).catch((e: unknown) => e);
      assert.ok(err instanceof ClientError && err.code === 'ECONNREFUSED', String(err));
      assert.equal(err.causeCode, 'ECONNREFUSED');
      assert.match(err.message, new RegExp(`^Get "${url}/who": connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`));
      assert.equal(warned.length, 0);
      // The same request again: still the one server, still refused (no down time to wait out).
      const again = await who(c).catch((e: unknown) => e);
      assert.ok(again instanceof ClientError && again.code === 'ECONNREFUSED', String(again));
    }
  });

  it('rejects a malformed URL in servers', () => {
    assert.throws(
      () => createClient({ server: 'https://127.0.0.1:1', servers: ['ftp://x'] }),
      (e: unknown) => e instanceof ClientError && e.code === 'EINVAL' && /ftp:\/\/x/.test(e.message),
    );
  });

  describe('ListWatcher', () => {
    const CMS = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' } as const;
    const backoff = { initialMs: 20, maxMs: 200 };
    const watchesAt = (s: Apiserver) => s.seen.filter((x) => x.path.endsWith('?watch') && x.method === 'GET').length;

    it('resumes the watch from its last resourceVersion through B when A dies (one etcd)', {
      timeout: 30_000,
    }, async () => {
      const etcd = new FakeApi();
      const a = await apiserver('A');
      const b = await apiserver('B');
      a.api = etcd;
      b.api = etcd;
      etcd.put('one');
      const { c } = client([a, b]);
      const seen: string[] = [];
      const lw = new ListWatcher<FakeObject>({
        source: c.resource<FakeObject>(CMS),
        handlers: { onAdd: (o) => seen.push(o.metadata.name), onUpdate: (_, o) => seen.push(`~${o.metadata.name}`) },
        backoff,
      });
      const ac = new AbortController();
      const running = lw.run(ac.signal);
      try {
        assert.equal(await lw.waitForSync(AbortSignal.timeout(5000)), true);
        await eventually(() => etcd.openWatches() === 1 && watchesAt(a) === 1);
        etcd.put('two');
        await eventually(() => lw.store.get('default/two') !== undefined);
        const rvBefore = lw.resourceVersion;
        assert.equal(rvBefore, String(etcd.rv));

        await a.stop();
        // Written (through B, say) while the watch through A is gone: the resumed watch delivers it.
        etcd.put('three');
        await eventually(() => lw.store.get('default/three') !== undefined, 10_000);
        await eventually(() => etcd.openWatches() === 1);
        assert.equal(watchesAt(a), 1);
        assert.equal(watchesAt(b), 1);
        // Resumed from where it was, not relisted.
        assert.equal(etcd.watchRvs.at(-1), rvBefore);
        assert.equal(lw.stats.lists, 1);
        assert.equal(lw.stats.goneRelists, 0);
        assert.equal(c.activeServer, b.url);
        etcd.put('four');
        etcd.put('one', { k: 'v' });
        await eventually(() => lw.store.get('default/one')?.data?.k === 'v');
        assert.deepEqual(seen, ['one', 'two', 'three', 'four', '~one']);
      } finally {
        ac.abort();
        await running;
      }
    });

    it('relists through B when B cannot resume from A’s resourceVersion (410)', { timeout: 30_000 }, async () => {
      const a = await apiserver('A');
      const b = await apiserver('B');
      a.api = new FakeApi();
      b.api = new FakeApi();
      a.api.put('on-a');
      b.api.rv = 5000;
      b.api.put('on-b');
      // B's log starts later than anything A handed out: A's resourceVersions are too old for it.
      b.api.compactedBelow = b.api.rv;
      const { c } = client([a, b]);
      const lw = new ListWatcher<FakeObject>({ source: c.resource<FakeObject>(CMS), backoff });
      const ac = new AbortController();
      const running = lw.run(ac.signal);
      try {
        assert.equal(await lw.waitForSync(AbortSignal.timeout(5000)), true);
        await eventually(() => a.api!.openWatches() === 1);
        assert.deepEqual(lw.store.keys(), ['default/on-a']);
        await a.stop();
        await eventually(() => lw.stats.goneRelists >= 1 && b.api!.openWatches() === 1, 10_000);
        assert.deepEqual(lw.store.keys(), ['default/on-b']);
        assert.equal(lw.stats.lists, 2);
        b.api.put('later');
        await eventually(() => lw.store.get('default/later') !== undefined);
      } finally {
        ac.abort();
        await running;
      }
    });
  });
});
