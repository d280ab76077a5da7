// RotateKubeletServerCertificate (Beta, on by default): with it, a kubelet told to bootstrap its
// serving certificate asks the CSR API for one; turned off, it serves a self-signed certificate and posts
// no serving CSR, whatever serverTLSBootstrap says, as upstream's kubelet. CIS-hardened command lines set
// it on the kubelet and the controller-manager, and both start.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { parseFlags } from '@mkube/shared/flags';
import { CONTROLLER_MANAGER_FLAGS, loadControllerManagerConfig } from '../../controller-manager/src/main.ts';
import { type NodeCluster, startNodeCluster, type TestKubelet } from './fixture.ts';

function servingCertificate(k: TestKubelet): Promise<X509Certificate> {
  const { hostname, port } = new URL(k.url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const raw = s.getPeerCertificate().raw;
      s.end();
      resolve(new X509Certificate(raw));
    });
    s.on('error', reject);
  });
}

describe('RotateKubeletServerCertificate', { timeout: 60_000 }, () => {
  let c: NodeCluster;
  let on: TestKubelet;
  let off: TestKubelet;
  before(async () => {
    c = await startNodeCluster();
    [on, off] = await Promise.all([
      c.startKubelet('node-gate-on', { extra: ['--feature-gates=RotateKubeletServerCertificate=true'] }),
      c.startKubelet('node-gate-off', { extra: ['--feature-gates=RotateKubeletServerCertificate=false'] }),
    ]);
    await Promise.all([on.kubelet.ready, off.kubelet.ready]);
  });
  after(async () => c?.close());

  it('on: a serving certificate from the cluster CA; off: self-signed, and no serving CSR', async () => {
    const ca = new X509Certificate(readFileSync(c.fx.pki.caCrt));
    assert.ok((await servingCertificate(on)).checkIssued(ca));
    const self = await servingCertificate(off);
    assert.ok(!self.checkIssued(ca));
    assert.match(self.issuer, /CN=node-gate-off-ca@\d+/);
    const csrs = await c.admin
      .resource<CertificateSigningRequest>({
        group: 'certificates.k8s.io',
        version: 'v1',
        resource: 'certificatesigningrequests',
      })
      .list();
    const serving = (node: string) =>
      csrs.items.filter(
        (x) => x.spec?.signerName === 'kubernetes.io/kubelet-serving' && x.spec.username === `system:node:${node}`,
      ).length;
    assert.equal(serving('node-gate-on'), 1);
    assert.equal(serving('node-gate-off'), 0);
  });

  it('the controller-manager takes the gate, as a CIS-hardened command line sets it', async () => {
    const p = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs(['--feature-gates=RotateKubeletServerCertificate=true']));
    const cfg = await loadControllerManagerConfig(p.flags, p.given);
    assert.equal(cfg.featureGates.enabled('RotateKubeletServerCertificate'), true);
  });
});
