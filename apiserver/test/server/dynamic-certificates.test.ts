// --client-ca-file and --tls-cert-file/--tls-private-key-file are read again when they change, as
// kube-apiserver's dynamic certificates: a CA added for a rotation is trusted without a restart
// (kubectl, which picks its certificate by the CA names the server offers, included), a CA taken out
// is no longer trusted, a renewed serving certificate is served to new connections, and a broken or
// half-written file leaves the previous content in use.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from '@mkube/shared/pki';
import {
  curlStatus,
  eventually,
  type Fixture,
  issueClient,
  issueFromCa,
  kubectl,
  makePki,
  type Pki,
  replaceFile,
  run,
  startFixture,
  tempDir,
} from './fixture.ts';

/** GET /api with a client certificate, trusting `caFile` for the server. */
const get = (f: Fixture, caFile: string, cert?: { crt: string; key: string }) =>
  curlStatus(`${f.url}/api`, caFile, cert);

/** The CA names in the server's certificate request, as openssl s_client prints them. */
async function acceptableCAs(f: Fixture): Promise<string[]> {
  const port = new URL(f.url).port;
  const r = await run('sh', [
    '-c',
    `openssl s_client -connect 127.0.0.1:${port} -servername localhost </dev/null 2>/dev/null`,
  ]);
  const m =
    /Acceptable client certificate CA names\n((?:.+\n)*?)(?:Requested|Client Certificate Types|Shared|Peer)/.exec(
      r.stdout,
    );
  assert.ok(m, r.stdout);
  return m[1]!
    .trim()
    .split('\n')
    .map((l) => l.replace(/\s/g, ''));
}

describe('dynamic serving certificates and client CA', () => {
  let f: Fixture;
  let other: Pki;
  let otherCA: CertificateAuthority;
  let carol: { kubeconfig: string; crt: string; key: string };
  let clientCA1: string;
  const logsSince = (n: number) => f.logs.slice(n).join('');

  before(async () => {
    f = await startFixture();
    clientCA1 = readFileSync(f.pki.caCrt, 'utf8');
    // Its own name: Go clients pick a certificate by the issuer names the server offers.
    other = makePki(tempDir('dyn-ca2'), undefined, '/CN=kubernetes-next');
    otherCA = CertificateAuthority.fromPem(readFileSync(other.caCrt), readFileSync(join(other.dir, 'ca.key')));
    // A cluster admin whose certificate comes from a CA the apiserver does not trust yet.
    carol = await issueClient(f, 'carol', ['kubeadm:cluster-admins'], otherCA);
  });
  after(async () => {
    await f?.close();
    if (other) rmSync(other.dir, { recursive: true, force: true });
  });

  it('a CA added to --client-ca-file is trusted without a restart, by curl and by kubectl', async () => {
    const before = await get(f, f.pki.caCrt, carol);
    assert.equal(before.status, 401, 'an untrusted client certificate is a 401');
    const refused = await kubectl({ kubeconfig: carol.kubeconfig, dir: f.dir }, ['get', 'namespaces']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.err, /You must be logged in to the server/);
    // The TLS layer offers the trusted CAs' names in its certificate request (Go clients without a
    // certificate callback pick their certificate by them): only the first CA's so far.
    assert.deepEqual(await acceptableCAs(f), ['CN=kubernetes']);

    const mark = f.logs.length;
    replaceFile(f.pki.caCrt, `${clientCA1}${readFileSync(other.caCrt, 'utf8')}`);
    await eventually('carol authenticated', async () => (await get(f, f.pki.caCrt, carol)).status === 200);
    const who = await kubectl({ kubeconfig: carol.kubeconfig, dir: f.dir }, [
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    assert.equal(who.status, 0, who.err);
    assert.equal(who.out, 'carol');
    assert.equal((await get(f, f.pki.caCrt, { crt: f.pki.adminCrt, key: f.pki.adminKey })).status, 200);
    assert.deepEqual(await acceptableCAs(f), ['CN=kubernetes', 'CN=kubernetes-next']);
    const loaded = logsSince(mark);
    assert.match(loaded, /Loaded a new CA Bundle and Verifier/);
    assert.ok(loaded.includes(`client-ca-bundle::${f.pki.caCrt}`), loaded);

    // The published trust for other servers' delegated authentication follows.
    const cm = await kubectl(f, [
      'get',
      'configmap',
      '-n',
      'kube-system',
      'extension-apiserver-authentication',
      '-o',
      'jsonpath={.data.client-ca-file}',
    ]);
    assert.equal(cm.status, 0, cm.err);
    assert.ok(cm.out.includes(readFileSync(other.caCrt, 'utf8').trim()), 'the added CA is published');
  });

  it('a broken client CA file is refused and the previous bundle stays in use', async () => {
    const mark = f.logs.length;
    replaceFile(f.pki.caCrt, 'not a certificate\n');
    await eventually('the refusal logged', async () => /keeping the previous content/.test(logsSince(mark)));
    const log = logsSince(mark);
    assert.match(log, /--client-ca-file/);
    // What the server trusts is unchanged: both CAs.
    writeFileSync(join(f.dir, 'ca1.crt'), clientCA1);
    assert.equal((await get(f, join(f.dir, 'ca1.crt'), carol)).status, 200);
    assert.equal((await get(f, join(f.dir, 'ca1.crt'), { crt: f.pki.adminCrt, key: f.pki.adminKey })).status, 200);
  });

  it('a CA taken out of --client-ca-file is no longer trusted', async () => {
    replaceFile(f.pki.caCrt, clientCA1);
    await eventually('carol refused again', async () => (await get(f, f.pki.caCrt, carol)).status === 401);
    assert.equal((await get(f, f.pki.caCrt, { crt: f.pki.adminCrt, key: f.pki.adminKey })).status, 200);
  });

  it('a renewed serving certificate is served to new connections; a mismatched pair is refused', async () => {
    // The old certificate verifies against the first CA only.
    assert.equal((await get(f, other.caCrt)).exit, 60);
    const renewed = issueFromCa(
      other.dir,
      'apiserver-renewed',
      '/CN=kube-apiserver',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n',
    );
    const mark = f.logs.length;
    // The key first, then the certificate, as a tool writing two files would: the half-way state
    // (new key, old certificate) must not be taken.
    replaceFile(f.pki.serverKey, readFileSync(renewed.key));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await get(f, f.pki.caCrt)).exit, 0, 'still the old certificate');
    replaceFile(f.pki.serverCrt, readFileSync(renewed.crt));
    await eventually('the renewed certificate served', async () => (await get(f, other.caCrt)).exit === 0);
    assert.equal((await get(f, f.pki.caCrt)).exit, 60, 'the old chain no longer verifies');
    const log = logsSince(mark);
    assert.match(log, /private key does not match/);
    assert.match(log, /Loaded a new cert\/key pair/);
    // kubectl trusting the new CA reaches the server with the renewed certificate.
    const conf = join(f.dir, 'renewed.conf');
    writeFileSync(conf, readFileSync(f.kubeconfig, 'utf8').replace(f.pki.caCrt, other.caCrt));
    const ns = await kubectl({ kubeconfig: conf, dir: f.dir }, ['get', 'namespace', 'default', '-o', 'name']);
    assert.equal(ns.status, 0, ns.err);
    assert.equal(ns.out.trim(), 'namespace/default');
  });
});
