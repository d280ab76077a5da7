// TLS bootstrap end to end: from an empty cert dir and a bootstrap token to a Ready Node with both
// certificates issued by the cluster CA and 10250 serving.
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest, Node } from '@mkube/shared/api';
import { parseCertificatesPem } from '@mkube/shared/pki';
import { CSRS, waitFor } from '../../controller-manager/test/fixture.ts';
import { capturingLog, curlKubelet, type NodeCluster, readyCondition, run, startNodeCluster } from './fixture.ts';

describe('kubelet TLS bootstrap', () => {
  let c: NodeCluster;
  before(async () => {
    c = await startNodeCluster();
  });
  after(async () => {
    await c?.close();
  });

  it('goes from an empty cert dir to a Ready node with both certificates from the cluster CA', async () => {
    const k = await c.startKubelet('node-a');
    await k.kubelet.ready;
    const node = await c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).get('node-a');
    assert.equal(readyCondition(node), 'True');
    assert.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, k.kubelet.port);
    assert.deepEqual(node.status?.addresses, [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'node-a' },
    ]);

    const pki = join(k.rootDir, 'pki');
    for (const prefix of ['kubelet-client', 'kubelet-server']) {
      const current = join(pki, `${prefix}-current.pem`);
      assert.ok(lstatSync(current).isSymbolicLink(), `${prefix}-current.pem is a symlink`);
      const target = readlinkSync(current);
      assert.match(target, new RegExp(`^${pki}/${prefix}-\\d{4}(-\\d{2}){5}\\.pem$`));
      assert.equal(statSync(target).mode & 0o777, 0o600);
      const v = await run('openssl', ['verify', '-CAfile', c.fx.pki.caCrt, target]);
      assert.equal(v.code, 0, v.stderr);
      const text = readFileSync(target, 'utf8');
      // The kubelet's key is SEC1 ("EC PRIVATE KEY"), after the certificate in the same file.
      assert.match(text, /-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN EC [A-Z]+ KEY-----/);
      const [leaf] = parseCertificatesPem(text);
      assert.equal(leaf!.subject.commonName, 'system:node:node-a');
      assert.deepEqual(leaf!.subject.organizations, ['system:nodes']);
      if (prefix === 'kubelet-server') {
        assert.deepEqual(leaf!.ipAddresses, ['127.0.0.1']);
        assert.deepEqual(leaf!.dnsNames, ['node-a']);
        assert.deepEqual(leaf!.extKeyUsages, ['serverAuth']);
      } else {
        assert.deepEqual(leaf!.extKeyUsages, ['clientAuth']);
      }
    }
    // The kubeconfig references the rotating file, never embedded data (kubernetes#99645).
    const kc = readFileSync(join(k.rootDir, 'kubelet.conf'), 'utf8');
    assert.match(kc, /client-certificate: .*kubelet-client-current\.pem/);
    assert.match(kc, /client-key: .*kubelet-client-current\.pem/);
    assert.doesNotMatch(kc, /client-certificate-data|client-key-data|token/);

    // Two CSRs, both from this node's bootstrap: client by the token, serving by the node.
    const csrs = await c.admin.resource<CertificateSigningRequest>(CSRS).list();
    const mine = csrs.items.filter(
      (x) => x.spec.username === 'system:node:node-a' || x.spec.username?.startsWith('system:bootstrap:'),
    );
    assert.deepEqual(mine.map((x) => x.spec.signerName).sort(), [
      'kubernetes.io/kube-apiserver-client-kubelet',
      'kubernetes.io/kubelet-serving',
    ]);

    // 10250 serves with the issued certificate, verified against the cluster CA.
    const r = await curlKubelet(k, '/healthz', {
      caCrt: c.fx.pki.caCrt,
      cert: c.fx.pki.adminCrt,
      key: c.fx.pki.adminKey,
    });
    assert.equal(r.status, 200, r.stderr + r.body);
    assert.equal(r.body, 'ok');
    await k.stop();
  });

  it('restarts on its stored certificates without a new CSR', async () => {
    const k = await c.startKubelet('node-b');
    await k.kubelet.ready;
    await k.stop();
    const before = (await c.admin.resource<CertificateSigningRequest>(CSRS).list()).items.length;
    const again = await c.startKubelet('node-b', { rootDir: k.rootDir });
    await again.kubelet.ready;
    const afterCount = (await c.admin.resource<CertificateSigningRequest>(CSRS).list()).items.length;
    assert.equal(afterCount, before, 'no CSR while the stored certificates are valid');
    await again.stop();
  });

  it('a denied serving CSR is a clear error, retried with back-off (no hot loop)', async () => {
    // The node's IP is outside the approver's allowed CIDRs: every serving CSR is Denied.
    const strict = await startNodeCluster({ kcmArgs: ['--serving-csr-allowed-cidrs=10.0.0.0/8'] });
    try {
      const lines: string[] = [];
      const k = await strict.startKubelet('node-denied', { log: capturingLog(lines) });
      await new Promise((r) => setTimeout(r, 5000));
      const failures = lines.filter((l) => l.includes('certificate request failed'));
      assert.ok(failures.length >= 1);
      assert.match(
        failures[0]!,
        /certificate signing request csr-\w+ is denied, reason: IPAddressOutsideAllowedCIDRs, message: /,
      );
      const serving = (await strict.admin.resource<CertificateSigningRequest>(CSRS).list()).items.filter(
        (x) => x.spec.signerName === 'kubernetes.io/kubelet-serving',
      );
      // 2 s, then 4 s: at most three attempts in five seconds.
      assert.ok(serving.length >= 1 && serving.length <= 3, `${serving.length} serving CSRs in 5 s`);
      const r = await curlKubelet(k, '/healthz', { caCrt: strict.fx.pki.caCrt });
      assert.equal(r.status, 0, 'still no TLS without a serving certificate');
      assert.match(r.stderr, /internal error/);
      assert.ok(
        lines.some((l) =>
          /http: TLS handshake error from 127\.0\.0\.1:\d+: no serving certificate available for the kubelet/.test(l),
        ),
        'the kubelet logs why it refused TLS',
      );
      await k.stop();
    } finally {
      await strict.close();
    }
  });

  it('refuses TLS until the serving certificate is issued', async () => {
    // No controller-manager approves here: the serving CSR stays pending.
    const lone = await startNodeCluster({ kcm: false });
    try {
      // Nothing approves: the kubelet never gets past its client CSR, so it has no serving certificate.
      const k = await lone.startKubelet('node-c');
      const csrs = lone.admin.resource<CertificateSigningRequest>(CSRS);
      const client = await waitFor('client CSR', async () =>
        (await csrs.list()).items.find((x) => x.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet'),
      );
      assert.ok(client);
      const r = await curlKubelet(k, '/healthz', { caCrt: lone.fx.pki.caCrt });
      assert.equal(r.status, 0);
      assert.match(r.stderr, /internal error/);
      await k.stop();
    } finally {
      await lone.close();
    }
  });
});
