import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from './helpers.ts';

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

describe('mkube up', () => {
  const t = tempDir('up');
  after(() => t.cleanup());

  it('writes the PKI, serves the API to kubectl, and stops cleanly on SIGINT with no orphan', async () => {
    const port = await freePort();
    const dir = join(t.dir, 'cluster');
    const child = spawn(
      process.execPath,
      ['cli/bin/mkube.js', 'up', `--data-dir=${dir}`, `--apiserver-bind-port=${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const deadline = Date.now() + 60_000;
    while (!out.includes('Ctrl-C stops') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /\[apiserver\] ready at https:\/\/127\.0\.0\.1:\d+/, out);
    assert.match(out, /export KUBECONFIG=.*admin\.conf/);
    const k = spawnSync('kubectl', ['--kubeconfig', join(dir, 'admin.conf'), 'get', 'namespaces', '-o', 'name'], {
      encoding: 'utf8',
      env: { ...process.env, HOME: t.dir },
    });
    assert.equal(k.status, 0, k.stderr);
    assert.match(k.stdout, /namespace\/kube-system/);
    // RBAC is on: anonymous may read public info only.
    const anon = (path: string) =>
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
          `https://127.0.0.1:${port}${path}`,
        ],
        { encoding: 'utf8' },
      ).stdout;
    assert.equal(anon('/version'), '200');
    assert.equal(anon('/api/v1/secrets'), '403');
    // The controller-manager leads and signs cluster-info for a new bootstrap token.
    assert.match(out, /\[controller-manager\] leading/);
    const tok = spawnSync(
      process.execPath,
      ['cli/bin/mkube.js', 'token', 'create', `--kubeconfig=${join(dir, 'admin.conf')}`],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(tok.status, 0, tok.stderr);
    const id = tok.stdout.trim().split('.')[0];
    let jws = '';
    for (let i = 0; i < 100 && !jws; i++) {
      await new Promise((r) => setTimeout(r, 100));
      jws = spawnSync(
        'kubectl',
        [
          '--kubeconfig',
          join(dir, 'admin.conf'),
          'get',
          'cm',
          'cluster-info',
          '-n',
          'kube-public',
          '-o',
          `jsonpath={.data.jws-kubeconfig-${id}}`,
        ],
        { encoding: 'utf8', env: { ...process.env, HOME: t.dir } },
      ).stdout;
    }
    assert.match(jws, /^eyJ[\w-]+\.\.[\w-]+$/);
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /\[apiserver\] stopped/);
    const left = spawnSync('pgrep', ['-f', `--secure-port=${port}`], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'no apiserver process left behind');
    const kcmLeft = spawnSync('pgrep', ['-f', `--kubeconfig=${join(dir, 'controller-manager.conf')}`], {
      encoding: 'utf8',
    });
    assert.equal(kcmLeft.stdout.trim(), '', 'no controller-manager process left behind');
  });
});
