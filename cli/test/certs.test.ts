import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatExpiry, shortHumanDuration } from '../src/pki/expiration.ts';
import { initPki } from '../src/pki/init.ts';
import { kubectl, openssl, opensslStatus, runCli, tempDir } from './helpers.ts';

const identity = {
  nodeName: 'cp-1',
  hostName: 'cp-1',
  advertiseAddress: '127.0.0.1',
  firstServiceIp: '10.96.0.1',
  extraSans: [],
};

function serial(path: string): string {
  return openssl(['x509', '-noout', '-serial', '-in', path]).trim();
}

describe('mkube certs check-expiration', () => {
  const t = tempDir('certs');
  after(() => t.cleanup());

  it("prints kubeadm's table for a fresh PKI and exits 0", async () => {
    const dir = join(t.dir, 'fresh');
    assert.equal((await runCli(['pki', 'init', `--dir=${dir}`])).code, 0);
    const r = await runCli(['certs', 'check-expiration', `--dir=${dir}`]);
    assert.equal(r.code, 0, r.err);
    const [leaves, cas] = r.out.split('\n\n');
    assert.match(leaves!, /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED/);
    for (const name of [
      'admin.conf',
      'super-admin.conf',
      'apiserver',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'etcd-server',
      'front-proxy-client',
    ]) {
      assert.match(
        leaves!,
        new RegExp(
          `\\n${name}\\s+\\w{3} \\d{2}, \\d{4} \\d{2}:\\d{2} UTC\\s+36[45]d\\s+(ca|etcd-ca|front-proxy-ca)\\s+no`,
        ),
      );
    }
    assert.match(cas!, /^CERTIFICATE AUTHORITY\s+EXPIRES\s+RESIDUAL TIME\s+EXTERNALLY MANAGED/);
    assert.match(cas!, /\nca\s+.*\s+9y\s+no/);
    assert.match(cas!, /\netcd-ca\s+/);
  });

  it('marks expired certificates <invalid> and exits non-zero', async () => {
    const dir = join(t.dir, 'old');
    const longAgo = new Date(Date.now() - 400 * 24 * 3600_000);
    await initPki({
      dir,
      keyType: 'ecdsa-p256',
      identity,
      server: 'https://127.0.0.1:6443',
      log: () => {},
      now: () => longAgo,
    });
    const r = await runCli(['certs', 'check-expiration', `--dir=${dir}`]);
    assert.equal(r.code, 1);
    assert.match(r.out, /\napiserver\s+.*<invalid>\s+ca\s+no/);
    assert.match(r.err, /expired: .*apiserver/);
    assert.match(r.out, /\nca\s+.*\s+8y\s+no/);
  });

  it('formats like Go', () => {
    assert.equal(shortHumanDuration(-5000), '<invalid>');
    assert.equal(shortHumanDuration(59_000), '59s');
    assert.equal(shortHumanDuration(2 * 3600_000), '2h');
    assert.equal(shortHumanDuration(364 * 24 * 3600_000), '364d');
    assert.equal(shortHumanDuration(3650 * 24 * 3600_000), '10y');
    assert.equal(formatExpiry(new Date('2027-03-04T05:06:00Z')), 'Mar 04, 2027 05:06 UTC');
  });

  it('names the file when a certificate is garbage', async () => {
    const dir = join(t.dir, 'garbage');
    assert.equal((await runCli(['pki', 'init', `--dir=${dir}`])).code, 0);
    writeFileSync(join(dir, 'pki/etcd/peer.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const r = await runCli(['certs', 'check-expiration', `--dir=${dir}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /pki\/etcd\/peer\.crt: not a valid PEM certificate/);
  });
});

describe('mkube certs renew', () => {
  const t = tempDir('renew');
  const dir = join(t.dir, 'c');
  const longAgo = new Date(Date.now() - 400 * 24 * 3600_000);
  before(() =>
    initPki({
      dir,
      keyType: 'ecdsa-p256',
      identity: { ...identity, extraSans: ['api.example.com'] },
      server: 'https://127.0.0.1:6443',
      log: () => {},
      now: () => longAgo,
    }),
  );
  after(() => t.cleanup());

  it('renews one certificate from the same CA with the same subject and SANs', async () => {
    const crt = join(dir, 'pki/apiserver.crt');
    const oldSerial = serial(crt);
    const oldKey = readFileSync(join(dir, 'pki/apiserver.key'), 'utf8');
    const r = await runCli(['certs', 'renew', 'apiserver', `--dir=${dir}`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /certificate "apiserver" renewed/);
    assert.match(
      r.out,
      /Done renewing 1 certificate\. The apiserver uses its renewed apiserver certificate without a restart\.\n$/,
    );
    assert.notEqual(serial(crt), oldSerial);
    assert.notEqual(readFileSync(join(dir, 'pki/apiserver.key'), 'utf8'), oldKey);
    assert.equal(opensslStatus(['verify', '-CAfile', join(dir, 'pki/ca.crt'), crt]).status, 0);
    const text = openssl(['x509', '-noout', '-text', '-in', crt]);
    assert.ok(text.includes('DNS:api.example.com') && text.includes('IP Address:10.96.0.1'));
    assert.match(text, /Subject: CN\s?=\s?kube-apiserver/);
    assert.equal(opensslStatus(['x509', '-checkend', String(300 * 24 * 3600), '-noout', '-in', crt]).status, 0);
    // key and certificate still belong together
    const pub1 = openssl(['x509', '-noout', '-pubkey', '-in', crt]);
    const pub2 = openssl(['pkey', '-pubout', '-in', join(dir, 'pki/apiserver.key')]);
    assert.equal(pub1, pub2);
  });

  it('renews all, kubeconfigs included, and check-expiration passes again', async () => {
    const before = await runCli(['certs', 'check-expiration', `--dir=${dir}`]);
    assert.equal(before.code, 1);
    const r = await runCli(['certs', 'renew', 'all', `--dir=${dir}`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /kubeconfig file "admin.conf" renewed/);
    assert.match(
      r.out,
      /The apiserver uses its renewed apiserver, apiserver-kubelet-client and front-proxy-client certificates without a restart\. Restart the components that use the others\.\n$/,
    );
    const afterCheck = await runCli(['certs', 'check-expiration', `--dir=${dir}`]);
    assert.equal(afterCheck.code, 0, afterCheck.out + afterCheck.err);
    const view = kubectl(['config', 'view', '--raw', '-o', 'json', '--kubeconfig', join(dir, 'admin.conf')]);
    assert.equal(view.status, 0, view.err);
    const cfg = JSON.parse(view.out);
    const certPem = Buffer.from(cfg.users[0].user['client-certificate-data'], 'base64').toString();
    assert.match(openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], certPem), /CN=kubernetes-admin/);
    assert.equal(cfg['current-context'], 'kubernetes-admin@kubernetes');
  });

  it('refuses an unknown name, listing the known ones', async () => {
    const r = await runCli(['certs', 'renew', 'apiserverr', `--dir=${dir}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown certificate "apiserverr": expected one of all, admin.conf, apiserver/);
  });
});

describe('mkube kubeconfig user', () => {
  const t = tempDir('kcuser');
  const dir = join(t.dir, 'c');
  before(async () => assert.equal((await runCli(['pki', 'init', `--dir=${dir}`])).code, 0));
  after(() => t.cleanup());

  it('prints a kubeconfig with a client certificate from the cluster CA', async () => {
    const r = await runCli([
      'kubeconfig',
      'user',
      '--client-name=alice',
      '--org=devs',
      '--org=ops',
      `--dir=${dir}`,
      '--server=https://127.0.0.1:6443',
      '--validity=24h',
    ]);
    assert.equal(r.code, 0, r.err);
    const file = join(t.dir, 'alice.conf');
    writeFileSync(file, r.out);
    const view = kubectl(['config', 'view', '--raw', '-o', 'json', '--kubeconfig', file]);
    assert.equal(view.status, 0, view.err);
    const cfg = JSON.parse(view.out);
    assert.equal(cfg.users[0].name, 'alice');
    const certPem = Buffer.from(cfg.users[0].user['client-certificate-data'], 'base64').toString();
    const certFile = join(t.dir, 'alice.crt');
    writeFileSync(certFile, certPem);
    assert.equal(opensslStatus(['verify', '-CAfile', join(dir, 'pki/ca.crt'), certFile]).status, 0);
    const subject = openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', certFile]);
    assert.match(subject, /CN=alice/);
    assert.match(subject, /O=devs/);
    assert.match(subject, /O=ops/);
    assert.equal(
      opensslStatus(['x509', '-checkend', String(25 * 3600), '-noout', '-in', certFile]).status,
      1,
      'valid ~24h, not more',
    );
  });

  it('requires --client-name and a valid --server', async () => {
    let r = await runCli(['kubeconfig', 'user', `--dir=${dir}`, '--server=https://127.0.0.1:6443']);
    assert.equal(r.code, 1);
    assert.match(r.err, /--client-name is required/);
    r = await runCli(['kubeconfig', 'user', '--client-name=a', `--dir=${dir}`, '--server=ftp://x']);
    assert.match(r.err, /--server: .* must be an https:\/\/ URL/);
    r = await runCli([
      'kubeconfig',
      'user',
      '--client-name=a',
      `--dir=${join(t.dir, 'nope')}`,
      '--server=https://127.0.0.1:6443',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /nope\/pki\/ca\.crt: cannot read certificate: ENOENT/);
  });
});

describe('mkube --help', () => {
  it('every command explains itself with an example', async () => {
    for (const path of [
      [],
      ['pki'],
      ['pki', 'init'],
      ['kubeconfig', 'user'],
      ['certs', 'check-expiration'],
      ['certs', 'renew'],
      ['token', 'generate'],
      ['up'],
    ]) {
      const r = await runCli([...path, '--help']);
      assert.equal(r.code, 0, path.join(' '));
      assert.match(r.out, /Usage:\n {2}mkube /, path.join(' '));
      assert.match(r.out, /Examples:\n {2}(mkube|npm) /, path.join(' '));
    }
  });
});
