// The kubelet's serving certificate as kube-apiserver judges it, errors in Go's words, via real kubectl.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Fixture, kubectl, startFixture, tempDir } from '../server/fixture.ts';
import {
  api,
  createNodeAndPod,
  type FakeKubelet,
  type KubeletPki,
  kubeletFlags,
  makeKubeletPki,
  startFakeKubelet,
} from './fake-kubelet.ts';

let pki: KubeletPki;
const kubelets: Record<string, FakeKubelet> = {};

before(async () => {
  pki = makeKubeletPki(tempDir('kubelet-pki'));
  for (const k of ['ok', 'noip', 'selfsigned', 'wrongip'] as const)
    kubelets[k] = await startFakeKubelet(pki, pki.serving[k]);
});

after(async () => {
  for (const k of Object.values(kubelets)) await k.close();
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('with --kubelet-certificate-authority', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture([...kubeletFlags(pki), '--kubelet-preferred-address-types=InternalIP']);
    for (const k of Object.keys(kubelets)) await createNodeAndPod(fx, `node-${k}`, kubelets[k]!.port, `pod-${k}`);
    await createNodeAndPod(fx, 'node-down', 1, 'pod-down');
  });
  after(async () => fx?.close());

  test('a verified kubelet serves', async () => {
    const r = await kubectl(fx, ['logs', 'pod-ok']);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, 'line 1 of pod-ok/app\nline 2\n');
  });

  test('unknown authority', async () => {
    const r = await kubectl(fx, ['logs', 'pod-selfsigned']);
    assert.notEqual(r.status, 0);
    const url = `https://127.0.0.1:${kubelets.selfsigned!.port}/containerLogs/default/pod-selfsigned/app`;
    assert.equal(
      r.err.trim(),
      `Error from server: Get "${url}": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    );
  });

  test('no IP SANs', async () => {
    const r = await kubectl(fx, ['logs', 'pod-noip']);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /^Error from server: Get "https:\/\/127\.0\.0\.1:\d+\/containerLogs\/default\/pod-noip\/app": tls: failed to verify certificate: x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs\n$/,
    );
    const s = await api(fx, 'GET', '/api/v1/namespaces/default/pods/pod-noip/log');
    assert.equal(s.status, 500);
    const status = JSON.parse(s.body);
    assert.equal(status.reason, undefined);
    assert.equal(status.code, 500);
  });

  test('wrong IP SAN', async () => {
    const r = await kubectl(fx, ['logs', 'pod-wrongip']);
    assert.match(r.err, /x509: certificate is valid for 10\.9\.9\.9, not 127\.0\.0\.1/);
  });

  test('exec: the same error after "error dialing backend: "', async () => {
    const r = await kubectl(fx, ['exec', 'pod-noip', '--', 'true']);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /error dialing backend: tls: failed to verify certificate: x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs/,
    );
    assert.ok(!kubelets.noip!.hits.some((h) => h.url.startsWith('/exec')));
  });

  test('connection refused', async () => {
    const r = await kubectl(fx, ['logs', 'pod-down']);
    assert.match(
      r.err,
      /Get "https:\/\/127\.0\.0\.1:1\/containerLogs\/default\/pod-down\/app": dial tcp 127\.0\.0\.1:1: connect: connection refused/,
    );
  });
});

describe('without --kubelet-certificate-authority', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture([...kubeletFlags(pki, false), '--kubelet-preferred-address-types=InternalIP']);
    await createNodeAndPod(fx, 'node-selfsigned', kubelets.selfsigned!.port, 'pod-selfsigned');
  });
  after(async () => fx?.close());

  test('kubelet serving certificates are not verified', async () => {
    const r = await kubectl(fx, ['logs', 'pod-selfsigned']);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, 'line 1 of pod-selfsigned/app\nline 2\n');
  });
});
