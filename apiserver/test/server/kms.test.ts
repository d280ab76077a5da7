// KMS v2 encryption at rest on a real apiserver, against a KMS plugin speaking the real gRPC API on
// a unix socket: Secrets are stored as k8s:enc:kms:v2:<name>: envelopes (one plugin Encrypt for
// many writes), read back after a restart with one Decrypt for all of them — through a watch too;
// a key_id rotation makes a new seed and the rewrite moves old Secrets to it; an unhealthy plugin
// fails /healthz/kms-providers and, after the write state's lifetime, writes; a stopped one fails
// reads of unknown seeds with a clear error. Bad kms settings stop the start-up.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import Database from 'better-sqlite3';
import { loadEncryptionConfig } from '../../src/config/encryption.ts';
import { APISERVER_FLAGS, loadApiServerConfig } from '../../src/config/index.ts';
import { type RunningApiServer, startApiServer } from '../../src/server/server.ts';
import { kmsType } from '../../src/storage/value/kms/service.ts';
import { TestKmsPlugin } from '../storage/kms-plugin.ts';
import {
  configError,
  curl,
  kubectl,
  loadConfig,
  makePki,
  type Pki,
  serverArgs,
  tempDir,
  writeKubeconfig,
} from './fixture.ts';

interface Running {
  readonly dir: string;
  readonly pki: Pki;
  readonly url: string;
  readonly kubeconfig: string;
  readonly server: RunningApiServer;
}

const OBJECT = kmsType('EncryptedObject');

/** An EncryptionConfiguration with `providers` (YAML, one list item each) for Secrets, then `more`. */
function writeSecretsConfig(file: string, providers: string[], more = ''): void {
  writeFileSync(
    file,
    `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
${providers.map((p) => `      - ${p}`).join('\n')}
${more}`,
  );
}

/** Polls `ok` every 100 ms for up to `ms`; bounded in time. */
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const PREFIX = 'k8s:enc:kms:v2:mock:';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('apiserver: KMS v2 encryption at rest', () => {
  let dir: string;
  let pki: Pki;
  let dataDir: string;
  let encFile: string;
  let plugin: TestKmsPlugin;
  let running: Running | undefined;
  const marker = `kms-secret-${randomBytes(8).toString('hex')}`;

  async function start(): Promise<Running> {
    const parsed = parseFlags(APISERVER_FLAGS, serverArgs(pki, dataDir, [`--encryption-provider-config=${encFile}`]));
    const config = loadApiServerConfig(parsed.flags, parsed.given);
    const log = createLogger({ name: 'kube-apiserver', destination: { write: () => undefined } as never });
    const server = await startApiServer(config, {
      log,
      drainTimeoutMs: 3000,
      kmsTiming: { healthyPollMs: 300, failingPollMs: 200, writeStateTtlMs: 2500 },
    });
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

  /** The latest stored value of each Secret, straight from the store's file (server stopped). */
  function storedSecrets(): Map<string, Buffer> {
    const db = new Database(join(dataDir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      const out = new Map<string, Buffer>();
      for (const r of db
        .prepare<[], { name: string; value: Buffer; deleted: number }>(
          'SELECT name, value, deleted FROM kv ORDER BY id',
        )
        .all()) {
        if (r.name.startsWith('/registry/secrets/default/')) out.set(r.name, r.value);
      }
      return out;
    } finally {
      db.close();
    }
  }
  const envelope = (v: Buffer) => {
    assert.equal(v.subarray(0, PREFIX.length).toString('latin1'), PREFIX);
    return OBJECT.toObject(OBJECT.decode(v.subarray(PREFIX.length)), { bytes: Buffer, defaults: true }) as {
      keyID: string;
      encryptedDEKSource: Buffer;
      annotations: Record<string, Buffer>;
      encryptedDEKSourceType: number;
    };
  };
  const secret = (r: Running, name: string, value: string) =>
    kubectl(r, ['create', 'secret', 'generic', name, '-n', 'default', `--from-literal=token=${value}`]);
  const tokenOf = async (r: Running, name: string) => {
    const g = await kubectl(r, ['get', 'secret', name, '-n', 'default', '-o', 'jsonpath={.data.token}']);
    assert.equal(g.status, 0, g.err);
    return Buffer.from(g.out, 'base64').toString();
  };

  before(async () => {
    dir = tempDir('kms');
    pki = makePki(dir);
    dataDir = join(dir, 'data');
    encFile = join(dir, 'encryption.yaml');
    plugin = await TestKmsPlugin.start(join(dir, 'kms.sock'));
    writeSecretsConfig(encFile, [
      `kms: {apiVersion: v2, name: mock, endpoint: "${plugin.endpoint}", timeout: 3s}`,
      'identity: {}',
    ]);
  });
  after(async () => {
    await stop();
    await plugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores envelopes under one plugin Encrypt; reads back after a restart with one Decrypt, through a watch too', async () => {
    let r = await start();
    assert.equal(plugin.count('Encrypt'), 1, 'the first seed is made before serving');
    for (const n of ['s1', 's2', 's3']) {
      const c = await secret(r, n, `${marker}-${n}`);
      assert.equal(c.status, 0, c.err);
    }
    assert.equal(await tokenOf(r, 's2'), `${marker}-s2`);
    assert.equal(plugin.count('Encrypt'), 1, 'one seed for every write');
    assert.equal(plugin.count('Decrypt'), 0, 'its own seed is never sent back to the plugin');
    // Which key every write used, the plugin's calls and the seed cache, as upstream's metrics say them.
    const metrics = (await curl(r, '/metrics')).body;
    const keyHash = `sha256:${createHash('sha256').update('key-1').digest('hex')}`;
    assert.match(
      metrics,
      new RegExp(
        `apiserver_envelope_encryption_key_id_hash_total\\{apiserver_id_hash="sha256:[0-9a-f]{64}",key_id_hash="${keyHash}",provider_name="mock",transformation_type="to_storage"\\} 3\n`,
      ),
    );
    assert.match(
      metrics,
      /apiserver_envelope_encryption_kms_operations_latency_seconds_count\{grpc_status_code="OK",method_name="\/v2\.KeyManagementService\/Encrypt",provider_name="mock"\} 1\n/,
    );
    assert.match(metrics, /apiserver_envelope_encryption_dek_source_cache_size\{provider_name="mock"\} 1\n/);
    assert.match(metrics, new RegExp(`key_id_hash_status_last_timestamp_seconds\\{[^}]*key_id_hash="${keyHash}"`));
    const health = await curl(r, '/healthz/kms-providers');
    assert.equal(health.code, 200, health.body);
    assert.equal((await curl(r, '/readyz?verbose')).body.includes('[+]kms-providers ok'), true);
    await stop();

    const stored = storedSecrets();
    assert.equal(stored.size, 3);
    for (const v of stored.values()) {
      assert.ok(!v.includes(marker) && !v.includes(b64(marker).slice(0, 12)), 'no plaintext on disk');
      const o = envelope(v);
      assert.equal(o.keyID, 'key-1');
      assert.equal(o.encryptedDEKSourceType, 1, 'HKDF_SHA256_XNONCE_AES_GCM_SEED');
      assert.deepEqual(Object.keys(o.annotations), ['plugin.kms.mkube.io']);
    }

    r = await start();
    // A watch from the beginning of history on a fresh apiserver: the seed is unknown until the plugin decrypts it.
    const watch = await curl(r, '/api/v1/namespaces/default/secrets?watch=1&resourceVersion=1&timeoutSeconds=1');
    const events = watch.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string }; data: { token: string } } });
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, Buffer.from(e.object.data.token, 'base64').toString()]),
      ['s1', 's2', 's3'].map((n) => ['ADDED', n, `${marker}-${n}`]),
    );
    const list = await kubectl(r, ['get', 'secrets', '-n', 'default', '-o', 'name']);
    assert.deepEqual(list.out.trim().split('\n'), ['secret/s1', 'secret/s2', 'secret/s3']);
    assert.equal(plugin.count('Decrypt'), 1, 'one Decrypt for the three Secrets sharing a seed');
    assert.ok(
      plugin.calls.every((c) => c.method === 'Status' || /^[0-9a-f-]{36}$/.test(c.uid ?? '')),
      'each call has a uid',
    );
  });

  it('a key_id rotation makes a new seed; old Secrets read as stale and the rewrite moves them to the new key', async () => {
    const r = running!;
    const encrypts = plugin.count('Encrypt');
    plugin.keyID = 'key-2';
    await until('a new seed for key-2', () => plugin.count('Encrypt') === encrypts + 1);
    assert.equal(plugin.calls.findLast((c) => c.method === 'Encrypt')?.keyID, 'key-2');
    assert.equal((await secret(r, 's4', `${marker}-s4`)).status, 0);
    assert.equal(await tokenOf(r, 's1'), `${marker}-s1`, 'key-1 data still reads');
    const all = await kubectl(r, ['get', 'secrets', '-n', 'default', '-o', 'json']);
    writeFileSync(join(dir, 'all.json'), all.out);
    const replaced = await kubectl(r, ['replace', '-f', join(dir, 'all.json')]);
    assert.equal(replaced.status, 0, replaced.err);
    await stop();
    for (const [name, v] of storedSecrets()) assert.equal(envelope(v).keyID, 'key-2', name);
    await start();
  });

  it('an unhealthy plugin fails /healthz/kms-providers, then writes; reads of known seeds go on', async () => {
    const r = running!;
    plugin.healthz = 'broken: HSM unreachable';
    await until('the health check to fail', async () => (await curl(r, '/healthz/kms-providers')).code === 500);
    const verbose = await curl(r, '/healthz?verbose');
    assert.equal(verbose.code, 500);
    assert.match(verbose.body, /\[-\]kms-providers failed/);
    let failed = { status: 0, out: '', err: '' };
    await until('writes to be refused', async () => {
      failed = await secret(r, `late-${Date.now()}`, 'x');
      return failed.status !== 0;
    });
    assert.match(failed.err, /InternalError|Internal error/);
    assert.match(failed.err, /expired at/);
    assert.equal(await tokenOf(r, 's4'), `${marker}-s4`, 'reads go on');
    assert.equal(
      (await kubectl(r, ['create', 'configmap', 'plain', '-n', 'default'])).status,
      0,
      'unencrypted resources too',
    );
    plugin.healthz = 'ok';
    await until('writes to work again', async () => (await secret(r, `again-${Date.now()}`, 'y')).status === 0);
  });

  it('with the plugin gone, a restarted apiserver reads unknown seeds only once it is back', async () => {
    await stop();
    await plugin.stop();
    const r = await start();
    const got = await kubectl(r, ['get', 'secret', 's1', '-n', 'default']);
    assert.notEqual(got.status, 0);
    assert.match(got.err, /failed to decrypt DEK/);
    assert.equal((await curl(r, '/healthz/kms-providers')).code, 500);
    assert.equal((await kubectl(r, ['get', 'configmap', 'plain', '-n', 'default'])).status, 0);
    plugin = await plugin.restart();
    await until(
      'reads to work again',
      async () => (await kubectl(r, ['get', 'secret', 's1', '-n', 'default'])).status === 0,
    );
    assert.equal(await tokenOf(r, 's1'), `${marker}-s1`);
  });
});

describe('kms provider settings at start-up', () => {
  let dir: string;
  let pki: Pki;
  before(() => {
    dir = tempDir('kms-config');
    pki = makePki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problem = (kms: string[], more = '') => {
    const file = join(dir, `enc-${randomBytes(4).toString('hex')}.yaml`);
    writeSecretsConfig(file, [`kms:\n${kms.map((l) => `          ${l}`).join('\n')}`], more);
    return configError(() => loadConfig(pki, join(dir, 'data'), [`--encryption-provider-config=${file}`]));
  };

  it('names the field and says what is wrong, as upstream', () => {
    assert.match(
      problem(['name: a', 'endpoint: unix:///tmp/k.sock']),
      /providers\[0\]\.kms\.apiVersion: KMSv1 is deprecated .* Use KMSv2 instead/,
    );
    assert.match(
      problem(['apiVersion: v3', 'name: a', 'endpoint: unix:///tmp/k.sock']),
      /unsupported apiVersion v3 for KMS provider, only v1 and v2 are supported/,
    );
    assert.match(problem(['apiVersion: v2', 'endpoint: unix:///tmp/k.sock']), /kms\.name: name is a mandatory field/);
    assert.match(
      problem(['apiVersion: v2', 'name: "a:b"', 'endpoint: unix:///tmp/k.sock']),
      /invalid KMS provider name a:b, must not contain ':'/,
    );
    assert.match(problem(['apiVersion: v2', 'name: a']), /kms\.endpoint: endpoint is a mandatory field/);
    assert.match(
      problem(['apiVersion: v2', 'name: a', 'endpoint: tcp://127.0.0.1:9000']),
      /unsupported scheme "tcp" for KMS provider, only unix is supported/,
    );
    assert.match(
      problem(['apiVersion: v2', 'name: a', 'endpoint: unix:///tmp/k.sock', 'cachesize: 100']),
      /kms\.cachesize: cachesize is not supported in v2/,
    );
    assert.match(
      problem(['apiVersion: v2', 'name: a', 'endpoint: unix:///tmp/k.sock', 'timeout: -1s']),
      /kms\.timeout: timeout should be a positive value/,
    );
    assert.match(
      problem(
        ['apiVersion: v2', 'name: a', 'endpoint: unix:///tmp/k.sock'],
        '  - resources: [configmaps]\n    providers:\n      - kms: {apiVersion: v2, name: a, endpoint: "unix:///tmp/other.sock"}\n',
      ),
      /resources\[1\]\.providers\[0\]\.kms\.name: duplicate KMS provider name a, names must be unique/,
    );
  });

  it('one provider may serve several resource lists', () => {
    const file = join(dir, 'shared.yaml');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers: [{kms: {apiVersion: v2, name: a, endpoint: "unix:///tmp/k.sock"}}]
  - resources: [configmaps]
    providers: [{kms: {apiVersion: v2, name: a, endpoint: "unix:///tmp/k.sock"}}]
`,
    );
    loadConfig(pki, join(dir, 'data'), [`--encryption-provider-config=${file}`]);
    assert.equal(loadEncryptionConfig(file).kmsProviders.length, 1);
  });
});

describe('--encryption-provider-config-automatic-reload', () => {
  let dir: string;
  let pki: Pki;
  let dataDir: string;
  let encFile: string;
  let plugin: TestKmsPlugin;
  let server: RunningApiServer | undefined;
  let r: Running;
  const aescbc = randomBytes(32).toString('base64');
  const logs: string[] = [];
  const config = (providers: string[]) => writeSecretsConfig(encFile, providers);
  const reloads = async (status: string) => {
    const m = await curl(r, '/metrics');
    const line = m.body
      .split('\n')
      .find((l) => l.startsWith(`apiserver_encryption_config_controller_automatic_reloads_total{status="${status}"`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };
  const AESCBC = `aescbc: {keys: [{name: key1, secret: "${aescbc}"}]}`;

  before(async () => {
    dir = tempDir('kms-reload');
    pki = makePki(dir);
    dataDir = join(dir, 'data');
    encFile = join(dir, 'encryption.yaml');
    plugin = await TestKmsPlugin.start(join(dir, 'kms.sock'));
    config([AESCBC, 'identity: {}']);
    const parsed = parseFlags(
      APISERVER_FLAGS,
      serverArgs(pki, dataDir, [
        `--encryption-provider-config=${encFile}`,
        '--encryption-provider-config-automatic-reload',
      ]),
    );
    const log = createLogger({ name: 'kube-apiserver', destination: { write: (l: string) => logs.push(l) } as never });
    server = await startApiServer(loadApiServerConfig(parsed.flags, parsed.given), {
      log,
      drainTimeoutMs: 3000,
      kmsTiming: { healthyPollMs: 300, failingPollMs: 200 },
    });
    const url = `https://127.0.0.1:${server.port}`;
    writeKubeconfig(join(dir, 'admin.conf'), url, pki);
    r = { dir, pki, url, kubeconfig: join(dir, 'admin.conf'), server };
  });
  after(async () => {
    await server?.stop();
    await plugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves from aescbc to a KMS plugin without a restart; a bad file or an unhealthy plugin keeps the running one', async () => {
    assert.equal((await curl(r, '/healthz/kms-providers')).code, 200, 'the check is there with no provider yet');
    const k = (args: string[]) => kubectl(r, args);
    assert.equal((await k(['create', 'secret', 'generic', 'before', '--from-literal=k=aescbc'])).status, 0);
    assert.equal(plugin.count('Encrypt'), 0);

    // Step 1 of a move to KMS: the plugin first, the old key second to read what is there.
    config([`kms: {apiVersion: v2, name: mock, endpoint: "${plugin.endpoint}"}`, AESCBC, 'identity: {}']);
    await until('the reload', async () => (await reloads('success')) === 1);
    assert.equal(plugin.count('Encrypt'), 1, 'the new provider made its seed before the swap');
    assert.equal((await k(['create', 'secret', 'generic', 'after', '--from-literal=k=kms'])).status, 0);
    const all = await k(['get', 'secrets', '-n', 'default', '-o', 'json']);
    writeFileSync(join(dir, 'all.json'), all.out);
    assert.equal((await k(['replace', '-f', join(dir, 'all.json')])).status, 0);

    // A file that does not validate, then a KMS plugin that is not there: both kept out.
    config(['kms: {apiVersion: v1, name: mock, endpoint: "unix:///nowhere.sock"}']);
    await until('a failed reload', async () => (await reloads('failure')) === 1);
    config([`kms: {apiVersion: v2, name: other, endpoint: "unix://${join(dir, 'none.sock')}", timeout: 1s}`]);
    await until('a second failed reload', async () => (await reloads('failure')) === 2);
    assert.ok(logs.some((l) => l.includes('KMS providers are not healthy')));
    assert.equal((await k(['create', 'secret', 'generic', 'still', '--from-literal=k=v'])).status, 0);
    assert.equal((await curl(r, '/healthz/kms-providers')).code, 200, 'the running plugin is healthy');
    for (const name of ['before', 'after', 'still']) {
      const got = await k(['get', 'secret', name, '-n', 'default', '-o', 'jsonpath={.metadata.name}']);
      assert.equal(got.out, name, got.err);
    }
    await server?.stop();
    server = undefined;
    const db = new Database(join(dataDir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare<[], { name: string; value: Buffer }>(
          "SELECT name, value FROM kv WHERE name LIKE '/registry/secrets/default/%' ORDER BY id",
        )
        .all();
      const latest = new Map(rows.map((row) => [row.name, row.value.subarray(0, PREFIX.length).toString('latin1')]));
      assert.deepEqual([...latest.values()], [PREFIX, PREFIX, PREFIX], 'every Secret under the KMS provider');
    } finally {
      db.close();
    }
  });

  it('needs --encryption-provider-config', () => {
    assert.match(
      configError(() => loadConfig(pki, join(dir, 'data2'), ['--encryption-provider-config-automatic-reload'])),
      /--encryption-provider-config-automatic-reload must be set with --encryption-provider-config/,
    );
  });
});
