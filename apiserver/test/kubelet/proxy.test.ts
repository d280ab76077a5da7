// nodes/proxy: any method relayed to the kubelet; redirects returned to the client, never followed.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Fixture, kubectl, startFixture, tempDir } from '../server/fixture.ts';
import {
  api,
  createNodeAndPod,
  type FakeKubelet,
  kubeletFlags,
  makeKubeletPki,
  startFakeKubelet,
} from './fake-kubelet.ts';

let fx: Fixture;
let kubelet: FakeKubelet;
let target: FakeKubelet;
let pkiDir: string;

before(async () => {
  pkiDir = tempDir('kubelet-pki');
  const pki = makeKubeletPki(pkiDir);
  // The redirect target is a server the apiserver could reach (same CA, client cert accepted).
  target = await startFakeKubelet(pki, pki.serving.ok);
  kubelet = await startFakeKubelet(pki, pki.serving.ok, `https://127.0.0.1:${target.port}/healthz`);
  fx = await startFixture([...kubeletFlags(pki), '--kubelet-preferred-address-types=InternalIP']);
  await createNodeAndPod(fx, 'node1', kubelet.port, 'web');
});

after(async () => {
  await fx?.close();
  await kubelet?.close();
  await target?.close();
  rmSync(pkiDir, { recursive: true, force: true });
});

test('kubectl get --raw through nodes/proxy', async () => {
  const r = await kubectl(fx, ['get', '--raw', '/api/v1/nodes/node1/proxy/healthz']);
  assert.equal(r.status, 0, r.err);
  assert.equal(r.out, 'ok');
  assert.equal(kubelet.hits.at(-1)?.clientCN, 'kube-apiserver-kubelet-client');
});

test('method, path, query, headers and body are relayed; the answer streams back', async () => {
  const r = await api(fx, 'POST', '/api/v1/nodes/node1/proxy/echo/a%20b?x=1&y=2', 'payload', 'text/plain');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'POST /echo/a%20b?x=1&y=2 passed payload');
  assert.equal(r.headers['x-kubelet'], 'fake');
  const put = await api(fx, 'PUT', `/api/v1/nodes/node1:${kubelet.port}/proxy/echo/p`, 'v', 'text/plain');
  assert.equal(put.body, 'PUT /echo/p passed v');
});

test('a kubelet redirect is returned, not followed (CVE-2020-8559)', async () => {
  const before = target.hits.length;
  const r = await api(fx, 'GET', '/api/v1/nodes/node1/proxy/redirect');
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, `https://127.0.0.1:${target.port}/healthz`);
  assert.ok(kubelet.hits.some((h) => h.url === '/redirect'));
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(target.hits.length, before, 'the apiserver contacted the redirect target');
});

test('unknown node → 404', async () => {
  const r = await api(fx, 'GET', '/api/v1/nodes/nope/proxy/healthz');
  assert.equal(r.status, 404);
  assert.equal(JSON.parse(r.body).message, 'nodes "nope" not found');
});
