// Requests over real mutual TLS: who the server sees, headers, errors as StatusError/ClientError.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isNotFound, StatusError } from '@mkube/shared/apierrors';
import { ClientError, createClient, type KubeClient, PatchType } from '@mkube/shared/client';
import { makePki, type Pki, peerCn, type Req, type Res, sendJson, serve, type TestServer } from './client.fixture.js';

interface Seen {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

describe('client requests', () => {
  let pki: Pki;
  let srv: TestServer;
  let alice: { certPem: string; keyPem: string };
  const seen: Seen[] = [];
  const clients: KubeClient[] = [];
  const make = (extra: Partial<Parameters<typeof createClient>[0]> = {}): KubeClient => {
    const c = createClient({
      server: srv.url,
      caPem: pki.caPem,
      clientCertPem: alice.certPem,
      clientKeyPem: alice.keyPem,
      ...extra,
    });
    clients.push(c);
    return c;
  };

  const handler = (req: Req, res: Res): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      seen.push({
        method: req.method ?? '',
        url,
        contentType: String(req.headers['content-type'] ?? ''),
        body: Buffer.concat(chunks).toString(),
      });
      if (url === '/whoami') {
        sendJson(res, 200, { cn: peerCn(req), auth: req.headers.authorization ?? '', ua: req.headers['user-agent'] });
      } else if (url === '/plain401') {
        (res as import('node:http').ServerResponse).writeHead(401, { 'content-type': 'text/plain' });
        res.end('Unauthorized\n');
      } else if (url === '/plain502') {
        (res as import('node:http').ServerResponse).writeHead(502);
        res.end('bad gateway');
      } else if (url === '/notjson') {
        res.end('hello');
      } else if (url === '/slow') {
        const t = setTimeout(() => sendJson(res, 200, {}), 3000);
        res.on('close', () => clearTimeout(t));
      } else if (url.endsWith('/missing')) {
        sendJson(res, 404, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'configmaps "missing" not found',
          reason: 'NotFound',
          details: { name: 'missing', kind: 'configmaps' },
          code: 404,
        });
      } else {
        sendJson(res, 200, { kind: 'Echo', metadata: { name: 'x' } });
      }
    });
  };

  before(async () => {
    pki = makePki();
    alice = pki.issueClient('system:node:alice', 'system:nodes');
    srv = await serve({ protocol: 'h2', pki }, handler);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await srv.close();
    pki.cleanup();
  });

  it('presents the client certificate and negotiates h2', async () => {
    const c = make({ userAgent: 'kubelet/v1.33.0 (linux/amd64)' });
    const r = await c.request<{ cn: string; auth: string; ua: string }>('GET', '/whoami');
    assert.equal(r.cn, 'system:node:alice');
    assert.equal(r.auth, '');
    assert.equal(r.ua, 'kubelet/v1.33.0 (linux/amd64)');
    assert.equal(c.protocol, 'h2');
  });

  it('sends a bearer token, calling a token function per request', async () => {
    let n = 0;
    const c = make({ clientCertPem: undefined, clientKeyPem: undefined, token: () => `tok-${++n}` });
    const a = await c.request<{ cn: string; auth: string }>('GET', '/whoami');
    const b = await c.request<{ auth: string }>('GET', '/whoami');
    assert.equal(a.cn, '');
    assert.equal(a.auth, 'Bearer tok-1');
    assert.equal(b.auth, 'Bearer tok-2');
    c.rotateCredentials({ token: 'static' });
    assert.equal((await c.request<{ auth: string }>('GET', '/whoami')).auth, 'Bearer static');
  });

  it('turns a Status body into a StatusError with reason, code and details', async () => {
    const c = make();
    const cms = c.resource({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' });
    const err = await cms.get('missing').then(
      () => assert.fail('no error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StatusError);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.code, 404);
    assert.equal(err.message, 'configmaps "missing" not found');
    assert.equal(err.details?.name, 'missing');
    assert.ok(isNotFound(err));
  });

  it('turns a non-JSON error body into a StatusError for its code', async () => {
    const c = make();
    const e401 = await c.request('GET', '/plain401').catch((e: unknown) => e);
    assert.ok(e401 instanceof StatusError);
    assert.equal(e401.code, 401);
    assert.equal(e401.reason, 'Unauthorized');
    assert.equal(e401.message, 'Unauthorized');
    const e502 = await c.request('GET', '/plain502').catch((e: unknown) => e);
    assert.ok(e502 instanceof StatusError);
    assert.equal(e502.code, 502);
    assert.equal(e502.reason, 'InternalError');
    assert.equal(e502.message, 'bad gateway');
    const bad = await c.request('GET', '/notjson').catch((e: unknown) => e);
    assert.ok(bad instanceof ClientError && bad.code === 'EPROTO', String(bad));
  });

  it('fails with a TLS ClientError when the CA is wrong, keeping Node’s text', async () => {
    const c = make({ caPem: pki.otherCaPem });
    const err = await c.request('GET', '/whoami').catch((e: unknown) => e);
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, 'ETLS');
    assert.match(err.message, /unable to verify the first certificate|self-signed certificate/);
    assert.match(err.message, /^Get "https:\/\/127\.0\.0\.1:\d+\/whoami": /);
  });

  it('fails on a hostname mismatch and passes with insecureSkipTlsVerify', async () => {
    const c = make({ tlsServerName: 'not-the-apiserver.example' });
    const err = await c.request('GET', '/whoami').catch((e: unknown) => e);
    assert.ok(err instanceof ClientError && err.code === 'ETLS', String(err));
    assert.match(err.message, /does not match certificate's altnames/);
    assert.equal(err.causeCode, 'ERR_TLS_CERT_ALTNAME_INVALID');
    const ok = make({ caPem: undefined, insecureSkipTlsVerify: true });
    assert.equal((await ok.request<{ cn: string }>('GET', '/whoami')).cn, 'system:node:alice');
  });

  it('reports ECONNREFUSED, timeouts and aborts as ClientErrors', async () => {
    const dead = await serve({ protocol: 'h2', pki }, () => {});
    const deadUrl = dead.url;
    await dead.close();
    const refused = await make({ server: deadUrl })
      .request('GET', '/x')
      .catch((e: unknown) => e);
    assert.ok(refused instanceof ClientError && refused.code === 'ECONNREFUSED', String(refused));

    const c = make({ timeoutMs: 150 });
    const t0 = Date.now();
    const timedOut = await c.request('GET', '/slow').catch((e: unknown) => e);
    assert.ok(timedOut instanceof ClientError && timedOut.code === 'ETIMEDOUT', String(timedOut));
    assert.ok(Date.now() - t0 < 2000);

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const aborted = await make()
      .request('GET', '/slow', { signal: ac.signal })
      .catch((e: unknown) => e);
    assert.ok(aborted instanceof ClientError && aborted.code === 'EABORTED', String(aborted));
  });

  it('builds resource URLs, bodies and content types like client-go', async () => {
    const c = make();
    seen.length = 0;
    const csr = c.resource({ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' });
    const cms = c.resource({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-public' });
    const nodes = c.resource({ group: '', version: 'v1', resource: 'nodes' });
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info' } };
    await cms.create(obj, { dryRun: true });
    await cms.update(obj);
    await cms.list({ labelSelector: 'a=b', limit: 5, continue: 'tok' });
    await csr.updateSubresource('csr-1', 'approval', { status: {} });
    await csr.patch('csr-1', PatchType.Merge, { metadata: { labels: { x: 'y' } } }, { subresource: 'status' });
    await nodes.delete('n1', { preconditions: { uid: 'u-1' } });
    await c
      .resource({ group: '', version: 'v1', resource: 'pods' })
      .create({ metadata: { name: 'p', namespace: 'ns1' } });
    const lines = seen.map((s) => `${s.method} ${s.url} ${s.contentType}`);
    assert.deepEqual(lines, [
      'POST /api/v1/namespaces/kube-public/configmaps?dryRun=All application/json',
      'PUT /api/v1/namespaces/kube-public/configmaps/cluster-info application/json',
      'GET /api/v1/namespaces/kube-public/configmaps?labelSelector=a%3Db&limit=5&continue=tok ',
      'PUT /apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1/approval application/json',
      'PATCH /apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1/status application/merge-patch+json',
      'DELETE /api/v1/nodes/n1 application/json',
      'POST /api/v1/namespaces/ns1/pods application/json',
    ]);
    assert.deepEqual(JSON.parse(seen[5]?.body ?? ''), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: 'u-1' },
    });
    assert.throws(
      () => nodes.get('..'),
      (e: unknown) => e instanceof ClientError && e.code === 'EINVAL',
    );
  });
});
