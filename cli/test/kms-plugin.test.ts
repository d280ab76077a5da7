// `mkube kms-plugin` as a user runs it: it creates its keys file (0600), serves KMS v2 on a unix
// socket to a real apiserver whose Secrets it then encrypts (kubectl reads them back), `--rotate`
// moves it to key-2 (the apiserver's next Status poll makes a new seed), data under key-1 still
// decrypts, and a bad keys file is an error naming the file and the field.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newKmsService } from '@mkube/apiserver/storage/value/kms';
import { type Fixture, kubectl, startFixture } from '../../apiserver/test/server/fixture.ts';
import { runCli, tempDir } from './helpers.ts';

describe('mkube kms-plugin', () => {
  const t = tempDir('kms-plugin');
  const socket = join(t.dir, 'kms.sock');
  const keysFile = join(t.dir, 'keys.json');
  const stop = new AbortController();
  let served: Promise<{ code: number; out: string; err: string }>;
  let fx: Fixture;

  before(async () => {
    const { main } = await import('../src/main.ts');
    const { PassThrough } = await import('node:stream');
    let out = '';
    const stdout = new PassThrough().on('data', (d) => (out += d));
    let err = '';
    const stderr = new PassThrough().on('data', (d) => (err += d));
    served = main(['kms-plugin', `--listen=unix://${socket}`, `--keys-file=${keysFile}`], {
      stdout,
      stderr,
      signal: stop.signal,
    }).then((code) => ({ code, out, err }));
    const end = Date.now() + 10_000;
    while (!out.includes('serving KMS v2') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /serving KMS v2 on unix:\/\/.*kms\.sock \(current key_id key-1/);
    const enc = join(t.dir, 'enc.yaml');
    writeFileSync(
      enc,
      `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - kms: {apiVersion: v2, name: local, endpoint: "unix://${socket}"}
`,
    );
    fx = await startFixture([`--encryption-provider-config=${enc}`], {
      kmsTiming: { healthyPollMs: 200, failingPollMs: 200 },
    });
  });
  after(async () => {
    await fx?.close();
    stop.abort();
    const r = await served;
    assert.equal(r.code, 0, r.err);
    t.cleanup();
  });

  it('creates its keys file private, and the apiserver encrypts Secrets through it', async () => {
    assert.equal(statSync(keysFile).mode & 0o777, 0o600);
    const keys = JSON.parse(readFileSync(keysFile, 'utf8'));
    assert.equal(keys.current, 'key-1');
    assert.equal(Buffer.from(keys.keys['key-1'], 'base64').length, 32);
    assert.equal(
      (await kubectl(fx, ['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2'])).status,
      0,
    );
    const got = await kubectl(fx, ['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(got.out, 'base64').toString(), 'hunter2');
    const ready = await kubectl(fx, ['get', '--raw', '/readyz/kms-providers']);
    assert.equal(ready.out.trim(), 'ok');
  });

  it('--rotate makes key-2 current; the apiserver follows; data under key-1 still decrypts', async () => {
    const svc = newKmsService(`unix://${socket}`, 3000);
    try {
      const seed = randomBytes(32);
      const old = await svc.encrypt(seed, 'test-uid-1');
      assert.equal(old.key_id, 'key-1');
      const r = await runCli(['kms-plugin', '--rotate', `--keys-file=${keysFile}`]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.trim(), 'key-2');
      const end = Date.now() + 10_000;
      while ((await svc.status()).key_id !== 'key-2' && Date.now() < end)
        await new Promise((res) => setTimeout(res, 100));
      assert.deepEqual(await svc.status(), { version: 'v2', healthz: 'ok', key_id: 'key-2' });
      assert.deepEqual(
        await svc.decrypt({ ciphertext: old.ciphertext, uid: 'test-uid-2', keyID: 'key-1', annotations: {} }),
        seed,
      );
      await assert.rejects(
        svc.decrypt({ ciphertext: old.ciphertext, uid: 'test-uid-3', keyID: 'key-9', annotations: {} }),
        /NOT_FOUND desc = no key "key-9"/,
      );
      // The apiserver saw the new key_id: a new seed, logged, and writes go on.
      while (!fx.logs.some((l) => l.includes('new DEK seed') && l.includes('"rotated":true')) && Date.now() < end)
        await new Promise((res) => setTimeout(res, 100));
      assert.ok(fx.logs.some((l) => l.includes('new DEK seed') && l.includes('"rotated":true')));
      assert.equal((await kubectl(fx, ['create', 'secret', 'generic', 'db2', '--from-literal=k=v'])).status, 0);
      const db = await kubectl(fx, ['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
      assert.equal(Buffer.from(db.out, 'base64').toString(), 'hunter2');
    } finally {
      svc.close();
    }
  });

  it('a bad keys file or listen address is an error naming the file and field', async () => {
    const bad = join(t.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ current: 'key-1', keys: { 'key-1': 'c2hvcnQ=' } }));
    const r = await runCli(['kms-plugin', '--rotate', `--keys-file=${bad}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.json: keys\.key-1: must be the base64 of 32 bytes/);
    assert.ok(!r.err.includes('c2hvcnQ='), 'key material is not echoed');
    writeFileSync(bad, JSON.stringify({ current: 'key-7', keys: {} }));
    assert.match(
      (await runCli(['kms-plugin', '--rotate', `--keys-file=${bad}`])).err,
      /current: must name one of the keys/,
    );
    const tcp = await runCli(['kms-plugin', '--listen=tcp://127.0.0.1:1', `--keys-file=${keysFile}`]);
    assert.equal(tcp.code, 1);
    assert.match(tcp.err, /--listen: "tcp:\/\/127\.0\.0\.1:1" must be unix:\/\/ with an absolute path/);
  });
});
