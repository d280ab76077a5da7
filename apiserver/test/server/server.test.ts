// The server shell end to end: real TLS, real curl, HTTP/2 and HTTP/1.1, Status errors, WebSocket.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alwaysAllowAuthorizer, anonymousAuthenticator } from '@mkube/shared/auth';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import type { FastifyInstance } from 'fastify';
import { Agent, WebSocket } from 'undici';
import { APISERVER_FLAGS, loadApiServerConfig } from '../../src/config/index.ts';
import { buildApp } from '../../src/server/app.ts';
import { curl, type Fixture, makePki, serverArgs, startFixture, tempDir } from './fixture.ts';

describe('apiserver over HTTPS', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f?.close();
  });

  it('/version answers JSON over HTTP/2 with the admin client certificate', async () => {
    const r = await curl(f, '/version', ['--http2']);
    assert.equal(r.code, 200, r.stderr);
    assert.equal(r.httpVersion, '2');
    const v = JSON.parse(r.body);
    assert.equal(v.gitVersion, 'v1.33.0-mkube');
    assert.equal(v.major, '1');
  });

  it('HTTP/1.1 works too', async () => {
    const r = await curl(f, '/healthz', ['--http1.1']);
    assert.equal(r.code, 200);
    assert.equal(r.httpVersion, '1.1');
    assert.equal(r.body, 'ok');
  });

  it('TLS 1.1 is refused', async () => {
    const r = await curl(f, '/healthz', ['--tlsv1.1', '--tls-max', '1.1']);
    assert.notEqual(r.status, 0);
    assert.equal(r.code, 0);
  });

  it('unknown paths get a NotFound Status', async () => {
    for (const path of [
      '/nope',
      '/api/v1/nosuchresources',
      '/apis/resource.k8s.io/v1/deviceclasses',
      '/api/v1/nodes/n1/nosuchsub',
    ]) {
      const r = await curl(f, path);
      assert.equal(r.code, 404, path);
      assert.deepEqual(JSON.parse(r.body), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        details: {},
        code: 404,
      });
    }
  });

  it('a body over 3 MiB is a 413 RequestEntityTooLarge Status, on both protocols', async () => {
    const big = join(f.dir, 'big.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(big, `{"data":"${'x'.repeat(3 * 1024 * 1024 + 10)}"}`);
    for (const proto of ['--http2', '--http1.1']) {
      const headers = join(f.dir, `headers${proto}.txt`);
      // curl sends "Expect: 100-continue" for a body this large: the 413 comes without a 100 first,
      // so the body is never uploaded (and a busy machine cannot turn the answer into a reset).
      const r = await curl(f, '/api/v1/namespaces/default/configmaps', [
        proto,
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        `@${big}`,
        '-D',
        headers,
      ]);
      assert.equal(r.code, 413, `${proto}: ${r.body}`);
      assert.doesNotMatch(readFileSync(headers, 'utf8'), /^HTTP\/[\d.]+ 100/m, proto);
      const s = JSON.parse(r.body);
      assert.equal(s.kind, 'Status');
      assert.equal(s.reason, 'RequestEntityTooLarge');
      assert.equal(s.message, 'Request entity too large: limit is 3145728');
    }
  });

  it('discovery: legacy and aggregated chosen by Accept', async () => {
    const legacy = await curl(f, '/apis', ['-H', 'Accept: application/json']);
    assert.equal(JSON.parse(legacy.body).kind, 'APIGroupList');
    const agg = await curl(f, '/api', [
      '-H',
      'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      '-D',
      '-',
    ]);
    assert.match(agg.body, /content-type: application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList/i);
    const body = JSON.parse(agg.body.slice(agg.body.indexOf('{')));
    assert.equal(body.kind, 'APIGroupDiscoveryList');
    assert.deepEqual(
      body.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      [''],
    );
    const rl = JSON.parse((await curl(f, '/apis/certificates.k8s.io/v1')).body);
    assert.deepEqual(
      rl.resources.map((r: { name: string }) => r.name),
      ['certificatesigningrequests', 'certificatesigningrequests/approval', 'certificatesigningrequests/status'],
    );
  });

  it('a client certificate from another CA is a 401, not anonymous', async () => {
    const other = makePki(tempDir('other'));
    try {
      const r = await curl({ url: f.url, pki: { ...other, caCrt: f.pki.caCrt } }, '/version');
      assert.equal(r.code, 401, r.body);
      assert.deepEqual(JSON.parse(r.body), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it('no client certificate: anonymous is let through by AlwaysAllow', async () => {
    const r = await curl(f, '/healthz', [], false);
    assert.equal(r.code, 200);
  });
});

describe('WebSocket upgrade on the HTTP/2 + HTTP/1.1 server', () => {
  let app: FastifyInstance;
  let dir: string;
  before(async () => {
    dir = tempDir('ws');
    const pki = makePki(dir);
    const parsed = parseFlags(APISERVER_FLAGS, serverArgs(pki, join(dir, 'data')));
    const config = loadApiServerConfig(parsed.flags, parsed.given);
    const built = await buildApp({
      serving: config.serving,
      clientCAPem: config.clientCA?.pem,
      authenticator: anonymousAuthenticator,
      authorizer: alwaysAllowAuthorizer,
      log: createLogger({ name: 'test', destination: { write: () => undefined } as never }),
    });
    app = built.fastify;
    app.get('/ws-echo', { websocket: true }, (socket, request) => {
      socket.send(`hello ${request.mkube?.user.username}`);
      socket.on('message', (m: Buffer) => socket.send(`echo ${m.toString()}`));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an HTTP/1.1 upgrade reaches the route, after the handler chain', async () => {
    const addr = app.server.address() as { port: number };
    const dispatcher = new Agent({ connect: { ca: readFileSync(join(dir, 'ca.crt')) } });
    const ws = new WebSocket(`wss://127.0.0.1:${addr.port}/ws-echo`, { dispatcher });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), 5000);
      ws.addEventListener('message', (e) => {
        got.push(String(e.data));
        if (got.length === 1) ws.send('ping');
        if (got.length === 2) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error('websocket error'));
      });
    });
    ws.close();
    await dispatcher.close();
    assert.deepEqual(got, ['hello system:anonymous', 'echo ping']);
  });
});
