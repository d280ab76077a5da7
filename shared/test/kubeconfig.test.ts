import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildKubeconfig,
  KubeconfigError,
  loadKubeconfig,
  parseKubeconfig,
  resolveCredentials,
  serializeKubeconfig,
  writeKubeconfig,
} from '@mkube/shared/kubeconfig';
import { selfSignedP256 } from './helpers/openssl.ts';

const kubectlDir = dirname(
  realpathSync(spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim()),
);

function kubectl(bin: string, args: string[], cwd?: string) {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd, env: { ...process.env, KUBECONFIG: '' } });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('kubeconfig', () => {
  let dir: string;
  let caPem: string;
  let certPem: string;
  let keyPem: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-kubeconfig-'));
    ({ certPem: caPem, keyPem } = selfSignedP256(dir, '/CN=x'));
    certPem = caPem;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const v of ['', '1.27', '1.33']) {
    const bin = v ? join(kubectlDir, `kubectl.${v}`) : 'kubectl';
    it(`a kubeconfig mkube writes is read by kubectl ${v || '(default)'}`, async (t) => {
      if (v && !existsSync(bin)) return t.skip(`kubectl.${v} not installed`);
      const file = join(dir, `w${v}.conf`);
      await writeKubeconfig(
        file,
        buildKubeconfig({
          clusterName: 'kubernetes',
          server: 'https://127.0.0.1:6443',
          caPem,
          userName: 'alice',
          clientCertPem: certPem,
          clientKeyPem: keyPem,
        }),
      );
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const r = kubectl(bin, ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', file]);
      assert.equal(r.status, 0, r.err);
      const cfg = JSON.parse(r.out);
      assert.equal(cfg['current-context'], 'alice@kubernetes');
      assert.equal(cfg.clusters[0].cluster.server, 'https://127.0.0.1:6443');
      assert.equal(Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), caPem);
      assert.equal(Buffer.from(cfg.users[0].user['client-key-data'], 'base64').toString(), keyPem);
      for (const extra of [['--minify'], ['--flatten']])
        assert.equal(kubectl(bin, ['config', 'view', ...extra, '--kubeconfig', file]).status, 0);
    });
  }

  it('reads what kubectl writes, with relative file paths resolved against the kubeconfig folder', async () => {
    const sub = join(dir, 'kc');
    mkdirSync(sub);
    writeFileSync(join(sub, 'ca.crt'), caPem);
    writeFileSync(join(sub, 'u.crt'), certPem);
    writeFileSync(join(sub, 'u.key'), keyPem);
    writeFileSync(join(sub, 'tok'), 'abcdef.0123456789abcdef\n');
    const file = join(sub, 'config');
    // kubectl stores file paths made absolute against its working directory.
    const k = (args: string[]) =>
      assert.equal(kubectl('kubectl', ['--kubeconfig', file, 'config', ...args], sub).status, 0);
    k(['set-cluster', 'c1', '--server=https://10.0.0.1:6443', '--certificate-authority=ca.crt']);
    k([
      'set-cluster',
      'c2',
      '--server=https://10.0.0.2:6443',
      `--certificate-authority=${join(sub, 'ca.crt')}`,
      '--embed-certs=true',
    ]);
    k(['set-credentials', 'u1', '--client-certificate=u.crt', '--client-key=u.key']);
    k(['set-credentials', 'u2', '--token=abcdef.0123456789abcdef']);
    k(['set-context', 'one', '--cluster=c1', '--user=u1', '--namespace=kube-system']);
    k(['set-context', 'two', '--cluster=c2', '--user=u2']);
    k(['use-context', 'one']);
    const cfg = await loadKubeconfig(file);
    const one = await resolveCredentials(cfg);
    assert.equal(one.server, 'https://10.0.0.1:6443');
    assert.equal(one.namespace, 'kube-system');
    assert.equal(one.caPem, caPem);
    assert.equal(one.clientKeyPem, keyPem);
    assert.equal(one.clientCertificateFile, join(sub, 'u.crt'));
    const two = await resolveCredentials(cfg, { context: 'two' });
    assert.equal(two.caPem?.trim(), caPem.trim());
    assert.equal(two.token, 'abcdef.0123456789abcdef');
    // round trip keeps what kubectl wrote
    const again = parseKubeconfig(serializeKubeconfig(cfg));
    assert.deepEqual(again.contexts, cfg.contexts);
  });

  it('resolves relative paths in a hand-written kubeconfig against its own folder, not the cwd', async () => {
    const sub = join(dir, 'rel');
    mkdirSync(join(sub, 'pki'), { recursive: true });
    writeFileSync(join(sub, 'pki', 'ca.crt'), caPem);
    writeFileSync(join(sub, 'pki', 'u.crt'), certPem);
    writeFileSync(join(sub, 'pki', 'u.key'), keyPem);
    const file = join(sub, 'rel.conf');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority: pki/ca.crt\nusers:\n- name: u\n  user:\n    client-certificate: pki/u.crt\n    client-key: ./pki/u.key\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n',
    );
    const c = await resolveCredentials(await loadKubeconfig(file));
    assert.equal(c.caPem, caPem);
    assert.equal(c.clientKeyFile, join(sub, 'pki', 'u.key'));
    // kubectl agrees on where the files are
    const r = kubectl('kubectl', ['config', 'view', '--raw', '--flatten', '-o', 'json', '--kubeconfig', file], '/');
    assert.equal(r.status, 0, r.err);
    assert.equal(Buffer.from(JSON.parse(r.out).users[0].user['client-key-data'], 'base64').toString(), keyPem);
  });

  it('names the file and the field for bad input', async () => {
    const bad = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    await assert.rejects(
      loadKubeconfig(bad('a', 'kind: Config\nclusters: [')),
      (e: Error) => e instanceof KubeconfigError && /kubeconfig .*\/a: not valid YAML/.test(e.message),
    );
    await assert.rejects(loadKubeconfig(bad('b', 'kind: Pod\n')), /\/b: kind: expected "Config"/);
    await assert.rejects(
      loadKubeconfig(bad('c', 'users:\n- name: u\n  user:\n    client-key-data: "!!!"\n')),
      /\/c: users\[0\]\.user\.client-key-data: not valid base64/,
    );
    await assert.rejects(
      loadKubeconfig(bad('d', 'clusters:\n- name: c\n  cluster:\n    server: ftp://x\n')),
      /clusters\[0\]\.cluster\.server: not an http\(s\) URL/,
    );
    const missing = await loadKubeconfig(
      bad(
        'e',
        'clusters:\n- name: c\n  cluster:\n    server: https://x\n    certificate-authority: nope.crt\ncontexts:\n- name: x\n  context: {cluster: c, user: ""}\ncurrent-context: x\n',
      ),
    );
    await assert.rejects(
      resolveCredentials(missing),
      /clusters\[0\]\.cluster\.certificate-authority: cannot read .*nope\.crt: ENOENT/,
    );
    const noctx = await loadKubeconfig(bad('f', 'current-context: ghost\n'));
    await assert.rejects(resolveCredentials(noctx), /current-context: context "ghost" does not exist/);
    await assert.rejects(loadKubeconfig(join(dir, 'absent')), /absent: cannot read: ENOENT/);
  });

  it('a failed write leaves no temp file behind', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'x');
    await assert.rejects(
      writeKubeconfig(
        join(blocker, 'x.conf'),
        buildKubeconfig({ clusterName: 'k', server: 'https://a', caPem, userName: 'u', token: 't' }),
      ),
    );
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.tmp')).length, 0);
  });
});
