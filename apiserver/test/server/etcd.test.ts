// Two apiservers on one real etcd (mutual TLS, --etcd-prefix): what one writes the other serves
// and watches, resourceVersions are etcd's revisions and mean the same on both, optimistic
// concurrency holds across them, a compacted resourceVersion is 410 Gone, and bad --etcd-* flags
// stop the process with the reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { Etcd3 } from 'etcd3';
import { APISERVER_FLAGS, loadApiServerConfig, type RunningApiServer, startApiServer } from '../../src/main.ts';
import { type EtcdFixture, startEtcdFixture } from '../storage/etcd-fixture.ts';
import { curl, kubectl, makePki, type Pki, run, serverArgs, tempDir, writeKubeconfig } from './fixture.ts';

const RUNNER = join(import.meta.dirname, 'run-apiserver.ts');

interface Apiserver {
  readonly server: RunningApiServer;
  readonly url: string;
  readonly kubeconfig: string;
  readonly dir: string;
  readonly pki: Pki;
}

describe('apiservers on etcd', () => {
  let etcd: EtcdFixture;
  const rawEtcd = () =>
    new Etcd3({
      hosts: [...etcd.cluster.clientUrls],
      credentials: {
        rootCertificate: Buffer.from(etcd.tls.caPem),
        certChain: Buffer.from(etcd.tls.certPem),
        privateKey: Buffer.from(etcd.tls.keyPem),
      },
    });
  let dir: string;
  let pki: Pki;
  let a: Apiserver;
  let b: Apiserver;

  async function start(name: string): Promise<Apiserver> {
    const parsed = parseFlags(
      APISERVER_FLAGS,
      serverArgs(pki, join(dir, `unused-${name}`), [
        ...etcd.apiserverFlags('/mkube-e2e'),
        '--etcd-compaction-interval=0',
      ]),
    );
    const config = loadApiServerConfig(parsed.flags, parsed.given);
    const log = createLogger({ name: `kube-apiserver-${name}`, destination: { write: () => undefined } as never });
    const server = await startApiServer(config, { log, drainTimeoutMs: 3000 });
    const url = `https://127.0.0.1:${server.port}`;
    const kubeconfig = join(dir, `${name}.conf`);
    writeKubeconfig(kubeconfig, url, pki);
    return { server, url, kubeconfig, dir, pki };
  }

  before(async () => {
    etcd = await startEtcdFixture(1);
    dir = tempDir('etcd-apiservers');
    pki = makePki(dir);
    a = await start('a');
    b = await start('b');
  });
  after(async () => {
    await a?.server.stop();
    await b?.server.stop();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a watch on apiserver B sees a write made through apiserver A', async () => {
    const watch = spawn(
      'kubectl',
      [`--kubeconfig=${b.kubeconfig}`, `--cache-dir=${join(dir, 'cache-w')}`, 'get', 'configmaps', '-w', '-o', 'name'],
      { env: { ...process.env, KUBECONFIG: '', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    watch.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    try {
      // The watch is established once kubectl printed the initial list (kube-root-ca-less: maybe empty).
      await new Promise((r) => setTimeout(r, 1500));
      const c = await kubectl(a, ['create', 'configmap', 'from-a', '--from-literal=k=v']);
      assert.equal(c.status, 0, c.err);
      const deadline = Date.now() + 10_000;
      while (!out.includes('configmap/from-a') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, /configmap\/from-a/);
    } finally {
      watch.kill();
    }
  });

  it('serves etcd revisions as resourceVersions, the same through both', async () => {
    await kubectl(a, ['create', 'configmap', 'rv', '--from-literal=k=1']);
    const viaA = JSON.parse((await kubectl(a, ['get', 'configmap', 'rv', '-o', 'json'])).out);
    const viaB = JSON.parse((await kubectl(b, ['get', 'configmap', 'rv', '-o', 'json'])).out);
    assert.equal(viaA.metadata.resourceVersion, viaB.metadata.resourceVersion);
    const raw = rawEtcd();
    try {
      const r = await raw.get('/mkube-e2e/configmaps/default/rv').exec();
      assert.equal(r.kvs[0]?.mod_revision, viaA.metadata.resourceVersion);
      assert.equal(JSON.parse(r.kvs[0]!.value.toString()).data.k, '1');
    } finally {
      raw.close();
    }
  });

  it('refuses a stale update through B after an update through A (409 Conflict)', async () => {
    await kubectl(a, ['create', 'configmap', 'occ', '--from-literal=k=1']);
    const obj = JSON.parse((await kubectl(b, ['get', 'configmap', 'occ', '-o', 'json'])).out);
    const up = await kubectl(a, ['patch', 'configmap', 'occ', '-p', '{"data":{"k":"2"}}']);
    assert.equal(up.status, 0, up.err);
    obj.data.k = '3';
    const r = await curl(b, '/api/v1/namespaces/default/configmaps/occ', [
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      JSON.stringify(obj),
    ]);
    assert.equal(r.code, 409, r.body);
    const status = JSON.parse(r.body);
    assert.equal(status.reason, 'Conflict');
    assert.match(status.message, /the object has been modified; please apply your changes to the latest version/);
  });

  it("applies a patch through B to the newest object, not to B's older copy of it", async () => {
    // Sent with curl: kubectl would GET through B first and so refresh B's copy.
    const mergePatchViaB = (patch: string) =>
      curl(b, '/api/v1/namespaces/default/configmaps/newest', [
        '-X',
        'PATCH',
        '-H',
        'Content-Type: application/merge-patch+json',
        '--data-binary',
        patch,
      ]);
    await kubectl(a, ['create', 'configmap', 'newest', '--from-literal=k=1']);
    // B decodes (and keeps) the first version; A then writes a second.
    await kubectl(b, ['get', 'configmap', 'newest', '-o', 'json']);
    assert.equal((await kubectl(a, ['patch', 'configmap', 'newest', '-p', '{"data":{"a":"2"}}'])).status, 0);
    const viaB = await mergePatchViaB('{"data":{"b":"3"}}');
    assert.equal(viaB.code, 200, viaB.body);
    assert.deepEqual(JSON.parse(viaB.body).data, { k: '1', a: '2', b: '3' }, 'no update lost');
    // A patch that changes nothing against B's copy but something against the store is written.
    assert.equal((await kubectl(a, ['patch', 'configmap', 'newest', '-p', '{"data":{"b":"5"}}'])).status, 0);
    const patched = await mergePatchViaB('{"data":{"b":"3"}}');
    assert.equal(patched.code, 200, patched.body);
    const final = JSON.parse((await kubectl(a, ['get', 'configmap', 'newest', '-o', 'json'])).out);
    assert.deepEqual(final.data, { k: '1', a: '2', b: '3' });
  });

  it('pages a list across both (kubectl --chunk-size) and answers a compacted resourceVersion with 410', async () => {
    for (let i = 0; i < 25; i++)
      await curl(a, '/api/v1/namespaces/default/configmaps', [
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        JSON.stringify({ metadata: { name: `page-${i}` } }),
      ]);
    const listed = await kubectl(b, ['get', 'configmaps', '--chunk-size=7', '-o', 'name']);
    assert.equal(listed.status, 0, listed.err);
    assert.equal(listed.out.split('\n').filter((l) => l.startsWith('configmap/page-')).length, 25);

    const first = JSON.parse((await curl(a, '/api/v1/namespaces/default/configmaps?limit=1')).body);
    const oldRv = Number(first.metadata.resourceVersion);
    await kubectl(a, ['create', 'configmap', 'after-compaction']);
    const raw = rawEtcd();
    try {
      const now = Number((await raw.get('/x').exec()).header.revision);
      await raw.kv.compact({ revision: now });
    } finally {
      raw.close();
    }
    const w = await curl(
      b,
      `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${oldRv - 1}&timeoutSeconds=2`,
    );
    // A watch answers 200 and then an ERROR event carrying the 410 Status, as kube-apiserver.
    assert.match(w.body, /"code":410/);
    assert.match(w.body, /"reason":"Expired"/);
    const l = await curl(
      b,
      `/api/v1/namespaces/default/configmaps?limit=5&resourceVersion=${oldRv - 1}&resourceVersionMatch=Exact`,
    );
    assert.equal(l.code, 410, l.body);
  });

  it('encrypts Secrets at rest in etcd (--encryption-provider-config): no plaintext under the raw key', async () => {
    const key = randomBytes(32).toString('base64');
    const enc = join(dir, 'enc.yaml');
    writeFileSync(
      enc,
      [
        'apiVersion: apiserver.config.k8s.io/v1',
        'kind: EncryptionConfiguration',
        'resources:',
        '  - resources: [secrets]',
        '    providers:',
        `      - aesgcm: {keys: [{name: k1, secret: ${key}}]}`,
        '      - identity: {}',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const parsed = parseFlags(
      APISERVER_FLAGS,
      serverArgs(pki, join(dir, 'unused-enc'), [
        ...etcd.apiserverFlags('/mkube-enc'),
        `--encryption-provider-config=${enc}`,
      ]),
    );
    const log = createLogger({ name: 'kube-apiserver-enc', destination: { write: () => undefined } as never });
    const server = await startApiServer(loadApiServerConfig(parsed.flags, parsed.given), { log, drainTimeoutMs: 3000 });
    const c = { url: `https://127.0.0.1:${server.port}`, pki, kubeconfig: join(dir, 'enc.conf'), dir };
    writeKubeconfig(c.kubeconfig, c.url, pki);
    const marker = `etcd-secret-${randomBytes(8).toString('hex')}`;
    try {
      const made = await kubectl(c, ['create', 'secret', 'generic', 'enc', `--from-literal=v=${marker}`]);
      assert.equal(made.status, 0, made.err);
      const back = JSON.parse((await kubectl(c, ['get', 'secret', 'enc', '-o', 'json'])).out);
      assert.equal(Buffer.from(back.data.v, 'base64').toString(), marker, 'plaintext through the API');
    } finally {
      await server.stop();
    }
    const raw = rawEtcd();
    try {
      const r = await raw.get('/mkube-enc/secrets/default/enc').exec();
      const value = r.kvs[0]!.value;
      assert.ok(value.toString('latin1').startsWith('k8s:enc:aesgcm:v1:k1:'), value.subarray(0, 30).toString('latin1'));
      for (const form of [marker, Buffer.from(marker).toString('base64')]) {
        assert.equal(value.includes(form), false, `no ${form} in etcd`);
      }
      // And nowhere else under the prefix, in any revision still kept.
      const all = await raw.getAll().prefix('/mkube-enc/').buffers();
      for (const v of Object.values(all)) assert.equal(v.includes(marker), false);
    } finally {
      raw.close();
    }
  });

  it('stops at start-up with the reason when the etcd CA or client certificate is wrong', async () => {
    const args = (extra: string[]) => [...serverArgs(pki, join(dir, 'unused'), [...etcd.apiserverFlags(), ...extra])];
    const wrongCa = await run(process.execPath, ['--import', 'tsx', RUNNER, ...args([`--etcd-cafile=${pki.caCrt}`])], {
      timeoutMs: 40_000,
    });
    assert.equal(wrongCa.status, 1, wrongCa.stderr);
    assert.match(
      wrongCa.stderr,
      /cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: x509: certificate signed by unknown authority/,
    );
    const wrongClient = await run(
      process.execPath,
      ['--import', 'tsx', RUNNER, ...args([`--etcd-certfile=${pki.adminCrt}`, `--etcd-keyfile=${pki.adminKey}`])],
      { timeoutMs: 40_000 },
    );
    assert.equal(wrongClient.status, 1, wrongClient.stderr);
    assert.match(wrongClient.stderr, /etcd refused the client certificate/);
  });
});
