// The apiserver as a process: flags and config errors, and a clean exit on SIGTERM, prompt with
// clients connected.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@mkube/shared/client';
import { makePki, type Pki, run, tempDir } from './fixture.ts';

const RUNNER = join(import.meta.dirname, 'run-apiserver.ts');

function runApiserver(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', RUNNER, ...args], { timeoutMs: 20_000 });
}

describe('apiserver process', () => {
  let dir: string;
  let pki: Pki;
  before(() => {
    dir = tempDir('proc');
    pki = makePki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const base = () => ['--bind-address=127.0.0.1', `--data-dir=${join(dir, 'data')}`];

  it('config errors name the flag and the file, all at once, exit 1', async () => {
    writeFileSync(join(dir, 'garbage.crt'), 'not a certificate');
    const r = await runApiserver([
      ...base(),
      `--tls-cert-file=${join(dir, 'garbage.crt')}`,
      `--tls-private-key-file=${join(dir, 'missing.key')}`,
      `--client-ca-file=${pki.caCrt}`,
      '--etcd-servers=tcp://127.0.0.1:2379',
      `--etcd-cafile=${join(dir, 'garbage.crt')}`,
    ]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--etcd-servers: "tcp:\/\/127.0.0.1:2379" is not a server URL/);
    assert.match(r.stderr, new RegExp(`--etcd-cafile "${join(dir, 'garbage.crt')}": `));
    assert.match(r.stderr, new RegExp(`--tls-cert-file "${join(dir, 'garbage.crt')}": not a valid PEM certificate`));
    assert.match(
      r.stderr,
      new RegExp(`--tls-private-key-file "${join(dir, 'missing.key')}": cannot read file: no such file`),
    );
  });

  it('a key that does not match the certificate is refused', async () => {
    const r = await runApiserver([
      ...base(),
      `--tls-cert-file=${pki.serverCrt}`,
      `--tls-private-key-file=${pki.adminKey}`,
    ]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /--tls-private-key-file ".*admin\.key": private key does not match public key in --tls-cert-file/,
    );
  });

  it('malformed flags are errors', async () => {
    const r = await runApiserver(['--secure-port=abc']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /invalid argument "abc" for "--secure-port" flag/);
    const u = await runApiserver(['--no-such-flag']);
    assert.equal(u.status, 1);
    assert.match(u.stderr, /unknown flag: --no-such-flag/);
  });

  it('SIGTERM stops the server cleanly: exit 0 within a bounded time', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        RUNNER,
        ...base(),
        '--secure-port=0',
        `--tls-cert-file=${pki.serverCrt}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCrt}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (!out.includes('serving securely') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /serving securely/);
    // Connected clients, as a cluster's always are: an idle HTTP/2 connection, and mkube's client
    // with an open watch. Neither may hold the shutdown to its 20 s drain timeout.
    const port = Number(/"port":(\d+)[^\n]*serving securely/.exec(out)?.[1]);
    const url = `https://127.0.0.1:${port}`;
    const tls = { ca: readFileSync(pki.caCrt), cert: readFileSync(pki.adminCrt), key: readFileSync(pki.adminKey) };
    const idle = connect(url, tls);
    idle.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const r = idle.request({ ':path': '/version' });
      r.on('error', reject);
      r.resume();
      r.on('end', resolve);
    });
    const client = createClient({
      server: url,
      caPem: tls.ca.toString(),
      clientCertPem: tls.cert.toString(),
      clientKeyPem: tls.key.toString(),
    });
    const watch = await client.watch('/api/v1/namespaces');
    const t0 = Date.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    watch.close();
    idle.destroy();
    await client.close({ graceMs: 0 });
    assert.equal(code, 0, out);
    assert.ok(Date.now() - t0 < 5_000, `stopped after ${Date.now() - t0} ms`);
    assert.doesNotMatch(out, /did not finish/);
    assert.match(out, /apiserver stopped/);
  });
});
