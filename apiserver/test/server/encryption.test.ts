// --encryption-provider-config on a real apiserver over its SQLite store: Secrets written through
// the API (curl and kubectl) are ciphertext on disk and plaintext through the API; a resource the
// config does not name stays plaintext; the documented key rotation (add key2 second, move it
// first, rewrite every secret, drop key1) works across restarts; a bad file stops the start-up.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import Database from 'better-sqlite3';
import { APISERVER_FLAGS, loadApiServerConfig } from '../../src/config/index.ts';
import { type RunningApiServer, startApiServer } from '../../src/server/server.ts';
import { curl, kubectl, makePki, type Pki, run, serverArgs, tempDir, writeKubeconfig } from './fixture.ts';

const RUNNER = join(import.meta.dirname, 'run-apiserver.ts');

interface Running {
  readonly dir: string;
  readonly pki: Pki;
  readonly url: string;
  readonly kubeconfig: string;
  readonly server: RunningApiServer;
}

function encryptionConfig(keys: [string, string][], extra = ''): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aescbc:
          keys:
${keys.map(([name, secret]) => `            - name: ${name}\n              secret: ${secret}`).join('\n')}
${extra}`;
}

interface Row {
  readonly name: string;
  readonly value: Buffer;
  readonly deleted: number;
}

describe('apiserver: secrets encryption at rest (--encryption-provider-config)', () => {
  let dir: string;
  let pki: Pki;
  let dataDir: string;
  let encFile: string;
  let running: Running | undefined;
  const key1 = randomBytes(32).toString('base64');
  const key2 = randomBytes(32).toString('base64');
  // Recognizable values, different on every run; each Secret's data holds them base64-encoded.
  const marker = `curl-secret-${randomBytes(8).toString('hex')}`;
  const kubectlMarker = `kubectl-secret-${randomBytes(8).toString('hex')}`;
  const cmMarker = `configmap-${randomBytes(8).toString('hex')}`;
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  async function start(keys: [string, string][], extra = ''): Promise<Running> {
    writeFileSync(encFile, encryptionConfig(keys, extra), { mode: 0o600 });
    const parsed = parseFlags(APISERVER_FLAGS, serverArgs(pki, dataDir, [`--encryption-provider-config=${encFile}`]));
    const config = loadApiServerConfig(parsed.flags, parsed.given);
    const log = createLogger({ name: 'kube-apiserver', destination: { write: () => undefined } as never });
    const server = await startApiServer(config, { log, drainTimeoutMs: 3000 });
    const url = `https://127.0.0.1:${server.port}`;
    const kubeconfig = join(dir, 'admin.conf');
    writeKubeconfig(kubeconfig, url, pki);
    running = { dir, pki, url, kubeconfig, server };
    return running;
  }

  async function stop(): Promise<void> {
    await running?.server.stop();
    running = undefined;
  }

  /** Every row of the store's log (all revisions), read straight from the file with the server stopped. */
  function rows(): Row[] {
    const db = new Database(join(dataDir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare<[], Row>('SELECT name, value, deleted FROM kv ORDER BY id').all();
    } finally {
      db.close();
    }
  }

  /** The store's files as bytes: whatever the table layout, plaintext must not be anywhere in them. */
  function onDisk(): Buffer {
    return Buffer.concat(
      ['state.db', 'state.db-wal']
        .map((f) => join(dataDir, f))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f)),
    );
  }

  const latest = (name: string) => rows().findLast((r) => r.name === name);

  async function getSecret(r: Running, name: string): Promise<{ code: number; body: Record<string, unknown> }> {
    const res = await curl(r, `/api/v1/namespaces/default/secrets/${name}`);
    return { code: res.code, body: JSON.parse(res.body) as Record<string, unknown> };
  }

  before(() => {
    dir = tempDir('encryption');
    pki = makePki(dir);
    dataDir = join(dir, 'data');
    encFile = join(dir, 'encryption-config.yaml');
  });
  after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes Secrets as k8s:enc:aescbc:v1:key1: ciphertext, reads them back as plaintext; ConfigMaps stay plaintext', async () => {
    const r = await start([['key1', key1]], '      - identity: {}\n');
    const created = await curl(r, '/api/v1/namespaces/default/secrets', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { password: b64(marker) } }),
    ]);
    assert.equal(created.code, 201, created.body);
    const k = await kubectl(r, [
      'create',
      'secret',
      'generic',
      's2',
      '-n',
      'default',
      `--from-literal=token=${kubectlMarker}`,
    ]);
    assert.equal(k.status, 0, k.err);
    const cm = await curl(r, '/api/v1/namespaces/default/configmaps', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { note: cmMarker } }),
    ]);
    assert.equal(cm.code, 201, cm.body);

    const s1 = await getSecret(r, 's1');
    assert.equal(s1.code, 200);
    assert.deepEqual(s1.body.data, { password: b64(marker) });
    const got = await kubectl(r, ['get', 'secret', 's2', '-n', 'default', '-o', 'jsonpath={.data.token}']);
    assert.equal(got.status, 0, got.err);
    assert.equal(Buffer.from(got.out, 'base64').toString(), kubectlMarker);
    const list = JSON.parse((await curl(r, '/api/v1/secrets')).body) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(
      list.items.map((i) => i.metadata.name),
      ['s1', 's2'],
    );
    await stop();

    for (const name of ['/registry/secrets/default/s1', '/registry/secrets/default/s2']) {
      const row = latest(name);
      assert.ok(row, `${name} is stored`);
      assert.match(row.value.subarray(0, 40).toString('latin1'), /^k8s:enc:aescbc:v1:key1:/);
    }
    const disk = onDisk();
    for (const s of [marker, b64(marker), kubectlMarker, b64(kubectlMarker)]) {
      assert.equal(disk.indexOf(s), -1, `${s} must not be on disk`);
    }
    assert.ok(
      rows()
        .filter((row) => row.name.startsWith('/registry/secrets/'))
        .every((row) => row.value.toString('latin1').startsWith('k8s:enc:aescbc:v1:key1:')),
      'every revision of every Secret is encrypted',
    );
    const cmRow = latest('/registry/configmaps/default/cm1');
    assert.ok(
      cmRow?.value.toString().startsWith('{') && cmRow.value.toString().includes(cmMarker),
      'ConfigMaps stay plaintext',
    );
  });

  it('rotation steps 1-3: with [key2, key1] old Secrets read, writes use key2, rewritten Secrets move to key2', async () => {
    const r = await start([
      ['key2', key2],
      ['key1', key1],
    ]);
    const s1 = await getSecret(r, 's1');
    assert.equal(s1.code, 200, JSON.stringify(s1.body));
    assert.deepEqual(s1.body.data, { password: b64(marker) });
    const k = await kubectl(r, ['create', 'secret', 'generic', 's3', '-n', 'default', '--from-literal=x=y']);
    assert.equal(k.status, 0, k.err);
    // Rewrite s1 with a PUT of the object read back, and s2 with kubectl (each with a change, so
    // the write happens whatever the registry does with an unchanged object; the last test covers
    // the documented unchanged `kubectl replace`).
    const obj = s1.body as { metadata: { annotations?: Record<string, string> } };
    obj.metadata.annotations = { rotated: 'yes' };
    const put = await curl(r, '/api/v1/namespaces/default/secrets/s1', [
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      JSON.stringify(obj),
    ]);
    assert.equal(put.code, 200, put.body);
    const ann = await kubectl(r, ['annotate', 'secret', 's2', '-n', 'default', 'rotated=yes']);
    assert.equal(ann.status, 0, ann.err);
    await stop();
    for (const name of ['s1', 's2', 's3']) {
      assert.match(
        latest(`/registry/secrets/default/${name}`)!.value.subarray(0, 40).toString('latin1'),
        /^k8s:enc:aescbc:v1:key2:/,
        name,
      );
    }
    const disk = onDisk();
    for (const s of [marker, b64(marker), kubectlMarker, b64(kubectlMarker)]) assert.equal(disk.indexOf(s), -1, s);
  });

  it('rotation step 4: with key1 removed every Secret still reads; a Secret left under key1 fails clearly', async () => {
    const r = await start([['key2', key2]]);
    for (const [name, data] of [
      ['s1', { password: b64(marker) }],
      ['s2', { token: b64(kubectlMarker) }],
      ['s3', { x: b64('y') }],
    ] as const) {
      const s = await getSecret(r, name);
      assert.equal(s.code, 200, JSON.stringify(s.body));
      assert.deepEqual(s.body.data, data);
    }
    await stop();
    // A Secret written under key1 alone, never rewritten: unreadable once key1 is gone.
    const w = await start([['key1', key1]]);
    const k = await kubectl(w, ['create', 'secret', 'generic', 'old', '-n', 'default', '--from-literal=a=b']);
    assert.equal(k.status, 0, k.err);
    await stop();
    const r2 = await start([['key2', key2]]);
    const s = await getSecret(r2, 'old');
    assert.equal(s.code, 500);
    assert.match(
      String(s.body.message),
      /\/registry\/secrets\/default\/old.*no matching key was found for the provided AES transformer/,
    );
    assert.equal((await getSecret(r2, 's1')).code, 200);
    await stop();
  });

  it('the documented rewrite `kubectl get secrets -A -o json | kubectl replace -f -` moves unchanged Secrets to the first key', async () => {
    const r = await start([
      ['key2', key2],
      ['key1', key1],
    ]);
    const all = await kubectl(r, ['get', 'secrets', '-A', '-o', 'json']);
    assert.equal(all.status, 0, all.err);
    const file = join(dir, 'all-secrets.json');
    writeFileSync(file, all.out, { mode: 0o600 });
    const rep = await kubectl(r, ['replace', '-f', file]);
    rmSync(file);
    assert.equal(rep.status, 0, rep.err);
    await stop();
    const secrets = [...new Set(rows().map((row) => row.name))].filter((n) => n.startsWith('/registry/secrets/'));
    assert.deepEqual(secrets.sort(), [
      '/registry/secrets/default/old',
      '/registry/secrets/default/s1',
      '/registry/secrets/default/s2',
      '/registry/secrets/default/s3',
    ]);
    for (const name of secrets) {
      assert.match(latest(name)!.value.subarray(0, 40).toString('latin1'), /^k8s:enc:aescbc:v1:key2:/, name);
    }
    const r2 = await start([['key2', key2]]);
    assert.equal((await getSecret(r2, 'old')).code, 200);
    await stop();
  });

  it('a bad config file stops the apiserver at start-up: exit 1, the file and the field named, with the other problems', async () => {
    const bad = join(dir, 'bad-encryption.yaml');
    const shortKey = randomBytes(7).toString('base64');
    writeFileSync(bad, encryptionConfig([['key1', shortKey]]), { mode: 0o600 });
    // An apiserver that must stop at start-up: the flags after the data dir and serving cert.
    const startBad = (flags: string[]) =>
      run(
        process.execPath,
        [
          '--import',
          'tsx',
          RUNNER,
          '--bind-address=127.0.0.1',
          `--data-dir=${join(dir, 'data-bad')}`,
          `--tls-cert-file=${pki.serverCrt}`,
          ...flags,
        ],
        { timeoutMs: 20_000 },
      );
    const r = await startBad([
      `--tls-private-key-file=${join(dir, 'missing.key')}`,
      `--encryption-provider-config=${bad}`,
    ]);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(
      r.stderr.includes(
        `--encryption-provider-config ${JSON.stringify(bad)}: resources[0].providers[0].aescbc.keys[0].secret: must be 16, 24 or 32 bytes of base64, got 7`,
      ),
      r.stderr,
    );
    assert.match(r.stderr, /--tls-private-key-file ".*missing\.key": cannot read file: no such file/);
    assert.ok(!r.stderr.includes(shortKey), 'the key is never echoed');
    const missing = await startBad([
      `--tls-private-key-file=${pki.serverKey}`,
      `--encryption-provider-config=${join(dir, 'nope.yaml')}`,
    ]);
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(missing.stderr, /--encryption-provider-config ".*nope\.yaml": cannot read file: no such file/);
  });
});
