// --kubelet-client-certificate/--kubelet-client-key are read again when they change (kube-apiserver
// sets client-go's ReloadTLSFiles for its kubelet client): a renewed apiserver-kubelet-client pair
// is what the kubelet sees on the next logs and exec, and a half-written pair is not taken.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { eventually, type Fixture, kubectl, replaceFile, startFixture, tempDir } from '../server/fixture.ts';
import {
  createNodeAndPod,
  type FakeKubelet,
  issueFromKubeletCA,
  type KubeletPki,
  kubeletFlags,
  makeKubeletPki,
  startFakeKubelet,
} from './fake-kubelet.ts';

let pki: KubeletPki;
let kubelet: FakeKubelet;
let fx: Fixture;

before(async () => {
  pki = makeKubeletPki(tempDir('kubelet-client-reload'));
  kubelet = await startFakeKubelet(pki, pki.serving.ok);
  fx = await startFixture([...kubeletFlags(pki), '--kubelet-preferred-address-types=InternalIP']);
  await createNodeAndPod(fx, 'node1', kubelet.port, 'web');
});

after(async () => {
  await fx?.close();
  await kubelet?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

/** A new key and a certificate for it from the kubelet CA, named `cn`. */
function renewedPair(cn: string): { crt: Buffer; key: Buffer } {
  const p = issueFromKubeletCA(
    pki.dir,
    'renewed',
    `/CN=${cn}/O=kubeadm:cluster-admins`,
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
  );
  return { crt: readFileSync(p.crt), key: readFileSync(p.key) };
}

/** The client certificate's CN the kubelet saw on the request `kubectl args` made. */
async function seenBy(args: string[], url: RegExp): Promise<string | undefined> {
  const from = kubelet.hits.length;
  const r = await kubectl(fx, args);
  const hit = kubelet.hits.slice(from).find((h) => url.test(h.url));
  assert.ok(hit, `the kubelet got no ${url} request (kubectl: ${r.status} ${r.err})`);
  return hit.clientCN;
}

const logs = () => seenBy(['logs', 'web'], /^\/containerLogs\/default\/web\/app/);

test('a renewed client pair is presented to kubelets without a restart; a half-written one is not taken', async () => {
  assert.equal(await logs(), 'kube-apiserver-kubelet-client');

  const renewed = renewedPair('kube-apiserver-kubelet-client-renewed');
  // The key lands first: for a moment the files do not match. The pair in use stays.
  const mark = fx.logs.length;
  replaceFile(pki.clientKey, renewed.key);
  await eventually('the mismatch logged', async () =>
    /keeping the previous content/.test(fx.logs.slice(mark).join('')),
  );
  const refusal = fx.logs.slice(mark).join('');
  assert.match(refusal, /kubelet-client::/);
  assert.doesNotMatch(refusal, /BEGIN|PRIVATE/, 'no key material in the log');
  assert.equal(await logs(), 'kube-apiserver-kubelet-client', 'the old pair is still used');

  replaceFile(pki.clientCrt, renewed.crt);
  await eventually(
    'the renewed certificate presented',
    async () => (await logs()) === 'kube-apiserver-kubelet-client-renewed',
  );
  assert.match(fx.logs.slice(mark).join(''), /Loaded a new cert\/key pair/);

  // exec dials through the WebSocket path: the renewed pair there too, and the kubelet's answer intact.
  const from = kubelet.hits.length;
  const r = await kubectl(fx, ['exec', 'web', '--', 'sh', '-c', 'echo hi; exit 3']);
  assert.equal(r.status, 3, r.err);
  assert.equal(r.out, 'hi\n');
  const exec = kubelet.hits.slice(from).find((h) => h.url.startsWith('/exec/default/web/app'));
  assert.equal(exec?.clientCN, 'kube-apiserver-kubelet-client-renewed');
});
