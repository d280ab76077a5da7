import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectl, openssl, opensslStatus, runCli, tempDir } from './helpers.ts';

function walk(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p, root) : [relative(root, p)];
  });
}

const LEAF_CA: Record<string, string> = {
  apiserver: 'ca',
  'apiserver-kubelet-client': 'ca',
  'front-proxy-client': 'front-proxy-ca',
  'etcd/server': 'etcd/ca',
  'etcd/peer': 'etcd/ca',
  'etcd/healthcheck-client': 'etcd/ca',
  'apiserver-etcd-client': 'etcd/ca',
};

describe('mkube pki init', () => {
  const t = tempDir('pki');
  const dir = join(t.dir, 'cluster');
  let firstRun = '';
  before(async () => {
    const r = await runCli([
      'pki',
      'init',
      `--dir=${dir}`,
      '--advertise-address=192.0.2.10',
      '--apiserver-cert-extra-sans=api.example.com,198.51.100.7',
      '--node-name=cp-1',
      '--service-cidr=10.96.0.0/12',
    ]);
    assert.equal(r.code, 0, r.err);
    firstRun = r.out;
  });
  after(() => t.cleanup());

  it("writes kubeadm's layout with private files 0600", () => {
    const files = walk(dir).sort();
    const expected = [
      'admin.conf',
      'controller-manager.conf',
      'kube-proxy.conf',
      'pki/apiserver-etcd-client.crt',
      'pki/apiserver-etcd-client.key',
      'pki/apiserver-kubelet-client.crt',
      'pki/apiserver-kubelet-client.key',
      'pki/apiserver.crt',
      'pki/apiserver.key',
      'pki/ca.crt',
      'pki/ca.key',
      'pki/etcd/ca.crt',
      'pki/etcd/ca.key',
      'pki/etcd/healthcheck-client.crt',
      'pki/etcd/healthcheck-client.key',
      'pki/etcd/peer.crt',
      'pki/etcd/peer.key',
      'pki/etcd/server.crt',
      'pki/etcd/server.key',
      'pki/front-proxy-ca.crt',
      'pki/front-proxy-ca.key',
      'pki/front-proxy-client.crt',
      'pki/front-proxy-client.key',
      'pki/sa.key',
      'pki/sa.pub',
      'scheduler.conf',
      'super-admin.conf',
    ].sort();
    assert.deepEqual(files, expected);
    for (const f of files) {
      const mode = statSync(join(dir, f)).mode & 0o777;
      if (f.endsWith('.key') || f.endsWith('.conf')) assert.equal(mode, 0o600, `${f} mode ${mode.toString(8)}`);
    }
    assert.match(firstRun, /\[certs\] Generating "apiserver" certificate and key/);
  });

  it('issues every leaf from its CA, as openssl verify sees it', () => {
    for (const [leaf, ca] of Object.entries(LEAF_CA)) {
      const r = opensslStatus(['verify', '-CAfile', join(dir, 'pki', `${ca}.crt`), join(dir, 'pki', `${leaf}.crt`)]);
      assert.equal(r.status, 0, `${leaf}: ${r.out}`);
      assert.match(r.out, /: OK/);
    }
    // and not from the wrong one
    const wrong = opensslStatus(['verify', '-CAfile', join(dir, 'pki/etcd/ca.crt'), join(dir, 'pki/apiserver.crt')]);
    assert.notEqual(wrong.status, 0);
  });

  it('puts the right SANs, EKUs and CA flags in each certificate', () => {
    const text = (f: string) => openssl(['x509', '-noout', '-text', '-in', join(dir, 'pki', `${f}.crt`)]);
    const api = text('apiserver');
    for (const san of [
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'DNS:localhost',
      'DNS:cp-1',
      'DNS:api.example.com',
      'IP Address:10.96.0.1',
      'IP Address:192.0.2.10',
      'IP Address:127.0.0.1',
      'IP Address:198.51.100.7',
    ]) {
      assert.ok(api.includes(san), `apiserver lacks ${san}`);
    }
    assert.match(api, /Subject: CN\s?=\s?kube-apiserver/);
    assert.match(api, /TLS Web Server Authentication/);
    assert.doesNotMatch(api, /TLS Web Client Authentication/);
    assert.match(api, /CA:FALSE/);
    const kubeletClient = text('apiserver-kubelet-client');
    assert.match(kubeletClient, /TLS Web Client Authentication/);
    assert.match(kubeletClient, /O\s?=\s?kubeadm:cluster-admins/);
    const peer = text('etcd/peer');
    assert.match(
      peer,
      /TLS Web Server Authentication, TLS Web Client Authentication|TLS Web Client Authentication, TLS Web Server Authentication/,
    );
    assert.match(peer, /IP Address:192.0.2.10/);
    assert.match(peer, /IP Address:0:0:0:0:0:0:0:1|IP Address:::1/);
    for (const ca of ['ca', 'front-proxy-ca', 'etcd/ca']) {
      const c = text(ca);
      assert.match(c, /CA:TRUE/);
      assert.match(c, /Certificate Sign/);
    }
    const caText = text('ca');
    const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(caText)?.[1];
    assert.ok(ski, 'CA has a SKI');
    assert.ok(api.includes(ski), 'apiserver AKI is the CA SKI');
  });

  it('writes kubeconfigs that kubectl reads, with the right identities', () => {
    for (const [conf, cn, org] of [
      ['admin.conf', 'kubernetes-admin', 'kubeadm:cluster-admins'],
      ['super-admin.conf', 'kubernetes-super-admin', 'system:masters'],
      ['controller-manager.conf', 'system:kube-controller-manager', undefined],
      ['kube-proxy.conf', 'system:kube-proxy', undefined],
      ['scheduler.conf', 'system:kube-scheduler', undefined],
    ] as const) {
      const view = kubectl(['config', 'view', '--raw', '-o', 'json', '--kubeconfig', join(dir, conf)]);
      assert.equal(view.status, 0, view.err);
      const cfg = JSON.parse(view.out);
      assert.equal(cfg.clusters[0].cluster.server, 'https://192.0.2.10:6443');
      const certPem = Buffer.from(cfg.users[0].user['client-certificate-data'], 'base64').toString();
      const subject = openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], certPem);
      assert.ok(subject.includes(`CN=${cn}`), `${conf}: ${subject}`);
      if (org) assert.ok(subject.includes(`O=${org}`), `${conf}: ${subject}`);
      const caPem = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
      assert.equal(caPem.trim(), readFileSync(join(dir, 'pki/ca.crt'), 'utf8').trim());
    }
  });

  it('reuses existing files on a second run and changes nothing', async () => {
    const before = Object.fromEntries(walk(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    const r = await runCli(['pki', 'init', `--dir=${dir}`, '--advertise-address=192.0.2.10', '--node-name=cp-1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Using existing ca certificate authority/);
    assert.match(r.out, /0 files created/);
    const afterFiles = Object.fromEntries(walk(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    assert.deepEqual(afterFiles, before);
  });
});

describe('mkube pki init refuses bad input and leaves no half-written file', () => {
  const t = tempDir('pki-bad');
  after(() => t.cleanup());

  it('a key that does not belong to its certificate', async () => {
    const dir = join(t.dir, 'mismatch');
    assert.equal((await runCli(['pki', 'init', `--dir=${dir}`])).code, 0);
    const other = join(t.dir, 'other');
    assert.equal((await runCli(['pki', 'init', `--dir=${other}`])).code, 0);
    writeFileSync(join(dir, 'pki/apiserver.key'), readFileSync(join(other, 'pki/apiserver.key')));
    const r = await runCli(['pki', 'init', `--dir=${dir}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /pki\/apiserver\.key: private key does not match certificate .*pki\/apiserver\.crt/);
  });

  it('a leaf that was not issued by its CA', async () => {
    const dir = join(t.dir, 'foreign');
    assert.equal((await runCli(['pki', 'init', `--dir=${dir}`])).code, 0);
    const other = join(t.dir, 'other');
    for (const ext of ['crt', 'key'])
      writeFileSync(join(dir, `pki/apiserver.${ext}`), readFileSync(join(other, `pki/apiserver.${ext}`)));
    const r = await runCli(['pki', 'init', `--dir=${dir}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /pki\/apiserver\.crt: not issued by .*pki\/ca\.crt/);
  });

  it('garbage PEM', async () => {
    const dir = join(t.dir, 'garbage');
    assert.equal((await runCli(['pki', 'init', `--dir=${dir}`])).code, 0);
    writeFileSync(join(dir, 'pki/front-proxy-ca.crt'), 'not a certificate\n');
    const r = await runCli(['pki', 'init', `--dir=${dir}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /pki\/front-proxy-ca\.crt: not a valid PEM certificate/);
  });

  it('an unknown key type, a bad address, a bad CIDR', async () => {
    const dir = join(t.dir, 'flags');
    let r = await runCli(['pki', 'init', `--dir=${dir}`, '--key-type=dsa-1024']);
    assert.equal(r.code, 1);
    assert.match(r.err, /--key-type: .*dsa-1024.*ecdsa-p256/);
    r = await runCli(['pki', 'init', `--dir=${dir}`, '--advertise-address=banana']);
    assert.match(r.err, /--advertise-address: "banana" is not an IP address/);
    r = await runCli(['pki', 'init', `--dir=${dir}`, '--service-cidr=10.96.0.0/33']);
    assert.match(r.err, /--service-cidr/);
    assert.throws(() => statSync(dir), /ENOENT/);
  });

  it('an unwritable folder', async () => {
    const blocker = join(t.dir, 'file-not-dir');
    writeFileSync(blocker, 'x');
    const r = await runCli(['pki', 'init', `--dir=${join(blocker, 'sub')}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /file-not-dir/);
    assert.equal(readFileSync(blocker, 'utf8'), 'x');
  });

  it('RSA keys when asked', async () => {
    const dir = join(t.dir, 'rsa');
    const r = await runCli(['pki', 'init', `--dir=${dir}`, '--key-type=rsa-2048']);
    assert.equal(r.code, 0, r.err);
    const text = openssl(['x509', '-noout', '-text', '-in', join(dir, 'pki/apiserver.crt')]);
    assert.match(text, /Public-Key: \(2048 bit\)/);
    assert.match(text, /sha256WithRSAEncryption/);
    assert.equal(
      opensslStatus(['verify', '-CAfile', join(dir, 'pki/ca.crt'), join(dir, 'pki/apiserver.crt')]).status,
      0,
    );
  });
});
