// The kubelet as kubeadm runs it: `mkube kubelet --config=config.yaml` plus the node's kubeconfigs,
// as a real process, serving 10250 with what the file says (webhook authn/authz by the v1beta1
// defaults, its cipher suites) — and --tls-min-version given on the command line over the file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFlags } from '@mkube/shared/flags';
import { issueClient } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { freePort, MKUBE_BIN } from '../../e2e/src/harness.ts';
import { assertOnlyAES256, assertTLS13Only } from '../../shared/test/helpers/tlsprobe.ts';
import { KUBELET_FLAGS, loadKubeletConfig, type RunningKubelet, startKubelet } from '../src/main.ts';
import { curlKubelet, type NodeCluster, nodeArgs, quiet, startNodeCluster } from './fixture.ts';

const HEAD = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

describe('kubelet --config, served', () => {
  let c: NodeCluster;
  const dirs: string[] = [];
  const tmp = (p: string) => {
    const d = mkdtempSync(join(tmpdir(), `mkube-kubelet-${p}-`));
    dirs.push(d);
    return d;
  };
  before(async () => {
    c = await startNodeCluster();
  });
  after(async () => {
    await c?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a kubelet started with only --config and its kubeconfigs serves 10250 with webhook authn and authz', async () => {
    const root = tmp('file');
    const port = await freePort();
    // The CA beside the file, named relative to it, as kubeadm's /var/lib/kubelet/config.yaml does.
    copyFileSync(c.fx.pki.caCrt, join(root, 'ca.crt'));
    const config = join(root, 'config.yaml');
    writeFileSync(
      config,
      `${HEAD}address: 127.0.0.1
port: ${port}
rotateCertificates: true
serverTLSBootstrap: true
authentication:
  x509:
    clientCAFile: ca.crt
tlsCipherSuites:
- TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
cgroupDriver: systemd
clusterDNS: [10.96.0.10]
clusterDomain: cluster.local
`,
    );
    const proc = spawn(
      process.execPath,
      [
        MKUBE_BIN,
        'kubelet',
        `--config=${config}`,
        `--bootstrap-kubeconfig=${c.bootstrapKubeconfig}`,
        `--kubeconfig=${join(root, 'kubelet.conf')}`,
        `--root-dir=${root}`,
        '--hostname-override=node-file',
        '--node-ip=127.0.0.1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      const k = { url: `https://127.0.0.1:${port}` };
      const ca = c.fx.pki.caCrt;
      // 401 once TLS is up with the issued serving certificate: anonymous is off by the file's defaults.
      const anon = await waitFor(
        `node-file serving (${out})`,
        async () => {
          const r = await curlKubelet(k, '/pods', { caCrt: ca });
          return r.status === 0 ? undefined : r;
        },
        30_000,
      );
      assert.equal(anon.status, 401, anon.body);
      // Authorization is a SubjectAccessReview: the apiserver's client is allowed, another user is not.
      const apiClient = await issueClient(c.fx, 'kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']);
      const nobody = await issueClient(c.fx, 'nobody');
      const ok = await curlKubelet(k, '/pods', { caCrt: ca, cert: apiClient.crt, key: apiClient.key });
      assert.equal(ok.status, 200, ok.body);
      const denied = await curlKubelet(k, '/pods', { caCrt: ca, cert: nobody.crt, key: nobody.key });
      assert.equal(denied.status, 403);
      assert.equal(denied.body, 'Forbidden (user=nobody, verb=get, resource=nodes, subresource(s)=[pods proxy])\n');
      const bad = await curlKubelet(k, '/pods', { caCrt: ca, token: 'abcdef.ffffffffffffffff' });
      assert.equal(bad.status, 401, 'an unknown token goes to TokenReview and is refused');
      const configz = await curlKubelet(k, '/configz', { caCrt: ca, cert: apiClient.crt, key: apiClient.key });
      const kc = JSON.parse(configz.body).kubeletconfig;
      assert.deepEqual(kc.authentication, {
        x509: { clientCAFile: join(root, 'ca.crt') },
        webhook: { enabled: true, cacheTTL: '2m0s' },
        anonymous: { enabled: false },
      });
      assert.deepEqual(kc.authorization, {
        mode: 'Webhook',
        webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' },
      });
      assert.equal(kc.tlsMinVersion, undefined, 'omitempty: not set in the file or by a flag');
      assert.deepEqual(kc.tlsCipherSuites, ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384']);
      // The file's cipher suites, on the wire.
      await assertOnlyAES256(port);
      assert.match(out, /KubeletConfiguration fields mkube does not implement are ignored/);
      assert.match(out, /"fields":\["cgroupDriver","clusterDNS","clusterDomain"\]/);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('flags on the command line override the file (--tls-min-version over tlsMinVersion)', async () => {
    const root = tmp('override');
    const config = join(root, 'config.yaml');
    writeFileSync(config, `${HEAD}tlsMinVersion: VersionTLS12\nport: 10250\n`);
    const p = parseFlags(KUBELET_FLAGS, [
      `--config=${config}`,
      `--bootstrap-kubeconfig=${c.bootstrapKubeconfig}`,
      ...nodeArgs('node-tls13', root, c.fx.pki.caCrt),
      '--tls-min-version=VersionTLS13',
    ]);
    const cfg = loadKubeletConfig(p.flags, p.given);
    assert.equal(cfg.port, 0, 'the --port flag (0: any free port) wins over the file');
    let kubelet: RunningKubelet | undefined;
    try {
      kubelet = await startKubelet(cfg, { log: quiet() });
      await kubelet.ready;
      await assertTLS13Only(kubelet.port);
    } finally {
      await kubelet?.stop();
    }
  });
});
