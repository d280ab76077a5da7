// mkube token create|list|delete against a live `mkube up` cluster, checked with kubectl and curl.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from './helpers.ts';

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

describe('mkube token', () => {
  const t = tempDir('token');
  const dir = join(t.dir, 'cluster');
  let child: ChildProcess;
  let port = 0;
  const kc = () => `--kubeconfig=${join(dir, 'admin.conf')}`;
  const curlToken = (token: string, path: string) =>
    spawnSync(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--cacert',
        join(dir, 'pki/ca.crt'),
        '-H',
        `Authorization: Bearer ${token}`,
        `https://127.0.0.1:${port}${path}`,
      ],
      { encoding: 'utf8' },
    ).stdout;
  before(async () => {
    port = await freePort();
    child = spawn(
      process.execPath,
      [
        'cli/bin/mkube.js',
        'up',
        `--data-dir=${dir}`,
        `--apiserver-bind-port=${port}`,
        '--scheduler-port=0',
        '--metrics-server-port=0',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    const deadline = Date.now() + 60_000;
    while (!out.includes('[apiserver] ready') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /\[apiserver\] ready/);
  });
  after(async () => {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    t.cleanup();
  });

  it('create writes the Secret kubeadm writes and the token authenticates', async () => {
    const r = await runCli([
      'token',
      'create',
      'abcdef.0123456789abcdef',
      kc(),
      '--ttl=2h',
      '--groups=system:bootstrappers:workers',
      '--description=for node-3',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'abcdef.0123456789abcdef\n');
    const k = spawnSync(
      'kubectl',
      [
        '--kubeconfig',
        join(dir, 'admin.conf'),
        'get',
        'secret',
        '-n',
        'kube-system',
        'bootstrap-token-abcdef',
        '-o',
        'json',
      ],
      { encoding: 'utf8', env: { ...process.env, HOME: t.dir } },
    );
    assert.equal(k.status, 0, k.stderr);
    const s = JSON.parse(k.stdout);
    const d = (f: string) => Buffer.from(s.data[f], 'base64').toString();
    assert.equal(s.type, 'bootstrap.kubernetes.io/token');
    assert.equal(d('token-id'), 'abcdef');
    assert.equal(d('token-secret'), '0123456789abcdef');
    assert.equal(d('usage-bootstrap-authentication'), 'true');
    assert.equal(d('usage-bootstrap-signing'), 'true');
    assert.equal(d('auth-extra-groups'), 'system:bootstrappers:workers');
    assert.equal(d('description'), 'for node-3');
    const exp = Date.parse(d('expiration'));
    assert.ok(exp > Date.now() + 7_100_000 && exp < Date.now() + 7_300_000, d('expiration'));
    let code = '';
    for (let i = 0; i < 30 && code !== '200'; i++) {
      code = curlToken('abcdef.0123456789abcdef', '/apis/certificates.k8s.io/v1/certificatesigningrequests');
      if (code !== '200') await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(code, '200');
  });

  it("list shows it in kubeadm's table", async () => {
    const r = await runCli(['token', 'list', kc()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS\n/);
    assert.match(
      r.out,
      /abcdef\.0123456789abcdef\s+1h\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+authentication,signing\s+for node-3\s+system:bootstrappers:workers/,
    );
  });

  it('refuses a bad group or usage before sending anything', async () => {
    let r = await runCli(['token', 'create', 'zzzzzz.0123456789abcdef', kc(), '--groups=system:masters']);
    assert.equal(r.code, 1);
    assert.match(r.err, /--groups: "system:masters" is not a valid bootstrap group/);
    r = await runCli(['token', 'create', 'zzzzzz.0123456789abcdef', kc(), '--usages=root']);
    assert.match(r.err, /--usages: invalid bootstrap token usage "root"/);
    const list = await runCli(['token', 'list', kc()]);
    assert.doesNotMatch(list.out, /zzzzzz/);
  });

  it('delete removes it and the token stops working', async () => {
    const r = await runCli(['token', 'delete', 'abcdef', kc()]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'bootstrap token "abcdef" deleted\n');
    let code = '';
    // The apiserver believes a token that worked for 10 s more (kube-apiserver's token cache).
    for (let i = 0; i < 130 && code !== '401'; i++) {
      code = curlToken('abcdef.0123456789abcdef', '/apis/certificates.k8s.io/v1/certificatesigningrequests');
      if (code !== '401') await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(code, '401');
  });
});
