// Rotation at 70–90 % of a certificate's lifetime, with certificates lasting seconds: the client
// pair is renewed through a selfnodeclient CSR and used for every request after it (the old one
// has expired by then), and the serving pair is swapped under a live connection — the stream that
// started on the old certificate keeps flowing, and new handshakes present the new one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import type { Lease } from '@mkube/shared/api';
import { issueClient } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { CertificateFileStore } from '../src/certificate/store.ts';
import { curlKubelet, type NodeCluster, startNodeCluster } from './fixture.ts';
import { issueShortLived } from './shortcert.ts';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: beat}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do echo beat; sleep 0.1; done"]
`;

function servingSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

describe('certificate rotation', () => {
  let c: NodeCluster;
  before(async () => {
    c = await startNodeCluster();
  });
  after(async () => {
    await c?.close();
  });

  it('renews both pairs at 70-90% of a short lifetime; the serving swap keeps open streams', async () => {
    const manifests = join(c.fx.dir, 'rot-manifests');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'beat.yaml'), POD);
    const extra = [`--pod-manifest-path=${manifests}`, '--node-lease-duration-seconds=4'];
    const first = await c.startKubelet('node-rot', { extra });
    await first.kubelet.ready;
    await first.stop();

    // Replace both pairs with ones that live 16 s (as if issued just now).
    const pki = join(first.rootDir, 'pki');
    const notBefore = new Date(Date.now() - 1000);
    const notAfter = new Date(notBefore.getTime() + 16_000);
    const base = { cn: 'system:node:node-rot', orgs: ['system:nodes'], notBefore, notAfter };
    const client = await issueShortLived(c.fx.dir, { ...base, serverAuth: false });
    const serving = await issueShortLived(c.fx.dir, {
      ...base,
      serverAuth: true,
      dns: ['node-rot'],
      ips: ['127.0.0.1'],
    });
    const log = { info: () => {}, warn: () => {} };
    await new CertificateFileStore(pki, 'kubelet-client', log).update(client.certPem, client.keyPem);
    await new CertificateFileStore(pki, 'kubelet-server', log).update(serving.certPem, serving.keyPem);
    const oldClientFile = readlinkSync(join(pki, 'kubelet-client-current.pem'));
    const oldServingFile = readlinkSync(join(pki, 'kubelet-server-current.pem'));

    const k = await c.startKubelet('node-rot', { rootDir: first.rootDir, extra });
    await k.kubelet.ready;
    const port = k.kubelet.port;
    const oldSerial = await servingSerial(port);

    // A following log stream opened on the short-lived serving certificate.
    const apiClient = await issueClient(c.fx, 'kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']);
    let streamed = '';
    let streamEnded = false;
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/containerLogs/default/beat-node-rot/main?follow=true&tailLines=0',
      ca: readFileSync(c.fx.pki.caCrt),
      cert: readFileSync(apiClient.crt),
      key: readFileSync(apiClient.key),
      agent: false,
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        streamed += d;
      });
      res.on('end', () => {
        streamEnded = true;
      });
    });
    req.on('error', () => {
      streamEnded = true;
    });
    req.end();

    // And the real kubectl following the same container through the apiserver.
    const kubectlFollow = spawn(
      'kubectl',
      ['--kubeconfig', c.fx.kubeconfig, 'logs', '-f', 'beat-node-rot', '--tail=1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HOME: c.fx.dir },
      },
    );
    let viaApiserver = '';
    let kubectlExited = false;
    kubectlFollow.stdout.on('data', (d) => {
      viaApiserver += d;
    });
    kubectlFollow.stderr.on('data', (d) => {
      viaApiserver += d;
    });
    kubectlFollow.once('exit', () => {
      kubectlExited = true;
    });

    // Rotation is due between 11.2 s and 14.4 s after notBefore.
    await waitFor(
      'both pairs rotated',
      async () =>
        readlinkSync(join(pki, 'kubelet-client-current.pem')) !== oldClientFile &&
        readlinkSync(join(pki, 'kubelet-server-current.pem')) !== oldServingFile
          ? true
          : undefined,
      20_000,
    );
    const rotatedAt = Date.now();
    assert.ok(rotatedAt >= notBefore.getTime() + 0.7 * 16_000 - 500, 'not before 70% of the lifetime');
    // The symlink moves first, then the server swaps its context: on a busy machine a handshake can
    // fall between the two, so the new serial is awaited (briefly), not sampled once.
    const newSerial = await waitFor(
      'new handshakes present the new serving certificate',
      async () => {
        const serial = await servingSerial(port);
        return serial !== oldSerial ? serial : undefined;
      },
      3000,
    );
    assert.notEqual(newSerial, oldSerial, 'new handshakes present the new serving certificate');

    // /metrics: the serving pair's rotation is observed with the age of the pair it replaced (~12 s:
    // the 1-minute bucket), neither renewal failed, and both TTLs count down from the new pairs.
    const metrics = (
      await curlKubelet(k, '/metrics', {
        caCrt: c.fx.pki.caCrt,
        cert: apiClient.crt,
        key: apiClient.key,
      })
    ).body;
    const value = (line: string) => Number(metrics.match(new RegExp(`^${line} (\\S+)$`, 'm'))?.[1]);
    assert.equal(value('kubelet_certificate_manager_server_rotation_seconds_count'), 1, metrics);
    assert.equal(value('kubelet_certificate_manager_server_rotation_seconds_bucket\\{le="60"\\}'), 1);
    const age = value('kubelet_certificate_manager_server_rotation_seconds_sum');
    assert.ok(age >= 0.7 * 16 - 1 && age < 20, `the replaced pair lived ${age} s`);
    assert.equal(value('kubelet_server_expiration_renew_errors'), 0);
    assert.equal(value('kubelet_certificate_manager_client_expiration_renew_errors'), 0);
    assert.ok(value('kubelet_certificate_manager_server_ttl_seconds') > 16, 'the new serving pair is long-lived');
    assert.ok(value('kubelet_certificate_manager_client_ttl_seconds') > 16, 'the new client pair is long-lived');

    // The stream opened before the swap is still flowing after it.
    const mark = streamed.length;
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(!streamEnded, 'the log stream survived the serving certificate swap');
    assert.ok(streamed.length > mark, 'lines keep arriving on the old connection');
    req.destroy();
    const kubectlMark = viaApiserver.length;
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(!kubectlExited, `kubectl logs -f kept running across the rotation: ${viaApiserver.slice(-300)}`);
    assert.ok(viaApiserver.length > kubectlMark && /^beat$/m.test(viaApiserver), 'kubectl logs -f kept streaming');
    kubectlFollow.kill('SIGTERM');

    // After the old client certificate expired, the lease is still renewed: the new one is in use.
    await new Promise((r) => setTimeout(r, Math.max(0, notAfter.getTime() + 2500 - Date.now())));
    const lease = await c.admin
      .resource<Lease>({
        group: 'coordination.k8s.io',
        version: 'v1',
        resource: 'leases',
        namespace: 'kube-node-lease',
      })
      .get('node-rot');
    assert.ok(
      Date.parse(lease.spec!.renewTime!) > notAfter.getTime(),
      `lease renewed after the old cert expired: ${lease.spec?.renewTime}`,
    );
    await k.stop();
  });
});
