// pods/log end to end: real kubectl → apiserver → fake kubelet (client certificate, verified serving cert).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
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
let pkiDir: string;

before(async () => {
  pkiDir = tempDir('kubelet-pki');
  const pki = makeKubeletPki(pkiDir);
  kubelet = await startFakeKubelet(pki, pki.serving.ok);
  fx = await startFixture([...kubeletFlags(pki), '--kubelet-preferred-address-types=InternalIP,Hostname']);
  await createNodeAndPod(fx, 'node1', kubelet.port, 'web');
  await createNodeAndPod(fx, 'node2', kubelet.port, 'multi', ['a', 'b', 'gone', 'waiting']);
  const r = await api(fx, 'POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pending' },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
  });
  assert.equal(r.status, 201, r.body);
});

after(async () => {
  await fx?.close();
  await kubelet?.close();
  rmSync(pkiDir, { recursive: true, force: true });
});

test('kubectl logs streams the kubelet container log, as the kubelet client identity', async () => {
  const r = await kubectl(fx, ['logs', 'web', '--tail=5', '--timestamps', '--limit-bytes=100']);
  assert.equal(r.status, 0, r.err);
  assert.equal(r.out, 'line 1 of web/app\nline 2\n');
  const hit = kubelet.hits.find((h) => h.url.startsWith('/containerLogs/default/web/app'));
  assert.ok(hit, JSON.stringify(kubelet.hits));
  assert.equal(hit.clientCN, 'kube-apiserver-kubelet-client');
  assert.equal(hit.url, '/containerLogs/default/web/app?limitBytes=100&tailLines=5&timestamps=true');
});

test('kubectl logs -f streams chunks as they come; killing kubectl aborts the kubelet request', async () => {
  const child = spawn(
    'kubectl',
    [`--kubeconfig=${fx.kubeconfig}`, `--cache-dir=${join(fx.dir, 'cache-f')}`, 'logs', '-f', 'web'],
    {
      env: { ...process.env, KUBECONFIG: '', HOME: fx.dir },
    },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no streamed lines: ${out}`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('follow 2\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGTERM');
  assert.match(out, /^follow 1\nfollow 2\n/);
  await Promise.race([
    kubelet.followClosed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('kubelet stream was not closed')), 5000)),
  ]);
  assert.ok(kubelet.hits.some((h) => h.url === '/containerLogs/default/web/app?follow=true'));
});

test('container choice: required with several containers, must exist', async () => {
  let r = await api(fx, 'GET', '/api/v1/namespaces/default/pods/multi/log');
  assert.equal(r.status, 400);
  assert.equal(
    JSON.parse(r.body).message,
    'a container name must be specified for pod multi, choose one of: [a b gone waiting]',
  );
  r = await api(fx, 'GET', '/api/v1/namespaces/default/pods/multi/log?container=zzz');
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).message, 'container zzz is not valid for pod multi');
  r = await api(fx, 'GET', '/api/v1/namespaces/default/pods/nope/log');
  assert.equal(r.status, 404);
  assert.equal(JSON.parse(r.body).message, 'pods "nope" not found');
  r = await api(fx, 'GET', '/api/v1/namespaces/default/pods/pending/log');
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).message, 'pod pending does not have a host assigned');
  r = await api(fx, 'GET', '/api/v1/namespaces/default/pods/web/log?tailLines=-1');
  assert.equal(r.status, 422, r.body);
});

test('kubelet errors come back as kube-apiserver words them', async () => {
  let r = await kubectl(fx, ['logs', 'multi', '-c', 'waiting']);
  assert.notEqual(r.status, 0);
  assert.match(
    r.err,
    /Error from server \(BadRequest\): container "waiting" in pod "multi" is waiting to start: ContainerCreating/,
  );
  r = await kubectl(fx, ['logs', 'multi', '-c', 'gone']);
  assert.notEqual(r.status, 0);
  assert.match(
    r.err,
    /Error from server \(NotFound\): the server could not find the requested resource \( pods\/log multi\)/,
  );
});
