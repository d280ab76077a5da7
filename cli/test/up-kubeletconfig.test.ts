// `mkube up` starts each kubelet as kubeadm does: <node-dir>/config.yaml (a KubeletConfiguration)
// with --config, and beside it only the kubeconfigs, the node's name and IP (and the root dir). The
// kubelet it configures is the one the flags used to configure: same address, port, client CA,
// webhook authn/authz without anonymous access, rotation and static pods.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KUBELET_FLAGS, type KubeletConfig, loadKubeletConfig } from '@mkube/kubelet';
import { parseFlags } from '@mkube/shared/flags';
import { selfSignedP256 } from '../../shared/test/helpers/openssl.ts';
import { kubeletArgs, type PlannedNode, writeKubeletConfig } from '../src/up/nodes.ts';
import { tempDir } from './helpers.ts';

function settings(c: KubeletConfig) {
  return {
    nodeName: c.nodeName,
    nodeIPs: c.nodeIPs,
    rootDir: c.rootDir,
    address: c.address,
    port: c.port,
    clientCAFile: c.clientCAFile,
    anonymous: c.anonymousAuth,
    webhook: c.webhookAuthentication,
    authnTTL: c.authenticationCacheTtlMs,
    mode: c.authorizationMode,
    allowedTTL: c.authorizedTtlMs,
    deniedTTL: c.unauthorizedTtlMs,
    rotate: c.rotateCertificates,
    serverTLSBootstrap: c.rotateServerCertificates,
    podManifestPath: c.podManifestPath,
    tls: c.tls,
  };
}

describe('mkube up: the kubelets’ KubeletConfiguration', () => {
  const t = tempDir('up-kubeletconfig');
  after(() => t.cleanup());
  mkdirSync(join(t.dir, 'pki'), { recursive: true });
  selfSignedP256(join(t.dir, 'pki'), '/CN=kubernetes');
  const caCrt = join(t.dir, 'pki/ca.crt');
  // The helper writes c.pem; the cluster CA's name in the data dir is ca.crt.
  copyFileSync(join(t.dir, 'pki/c.pem'), caCrt);

  const node: PlannedNode = { name: 'node1', ip: '127.0.0.2', port: 10250, dir: join(t.dir, 'nodes/node1') };
  const manifests = join(node.dir, 'manifests');

  it('writes <node-dir>/config.yaml and passes --config with only kubeadm’s flags beside it', async () => {
    await writeKubeletConfig(node, t.dir, manifests);
    const args = kubeletArgs(node, t.dir, 0);
    assert.deepEqual(args, [
      'kubelet',
      `--bootstrap-kubeconfig=${join(t.dir, 'bootstrap-kubelet.conf')}`,
      `--kubeconfig=${join(node.dir, 'kubelet.conf')}`,
      `--config=${join(node.dir, 'config.yaml')}`,
      `--root-dir=${node.dir}`,
      '--hostname-override=node1',
      '--node-ip=127.0.0.2',
    ]);
    const yaml = readFileSync(join(node.dir, 'config.yaml'), 'utf8');
    assert.match(yaml, /^apiVersion: kubelet.config.k8s.io\/v1beta1\nkind: KubeletConfiguration$/m);
  });

  it('configures the kubelet exactly as the flags `mkube up` passed before', () => {
    const viaFile = parseFlags(KUBELET_FLAGS, kubeletArgs(node, t.dir, 0).slice(1));
    const viaFlags = parseFlags(KUBELET_FLAGS, [
      `--bootstrap-kubeconfig=${join(t.dir, 'bootstrap-kubelet.conf')}`,
      `--kubeconfig=${join(node.dir, 'kubelet.conf')}`,
      `--root-dir=${node.dir}`,
      '--hostname-override=node1',
      '--node-ip=127.0.0.2',
      '--address=127.0.0.2',
      '--port=10250',
      `--client-ca-file=${caCrt}`,
      '--rotate-certificates',
      '--rotate-server-certificates',
      `--pod-manifest-path=${manifests}`,
    ]);
    const a = loadKubeletConfig(viaFile.flags, viaFile.given);
    const b = loadKubeletConfig(viaFlags.flags, viaFlags.given);
    assert.deepEqual(settings(a), settings(b));
    assert.deepEqual(a.configFile, { path: join(node.dir, 'config.yaml'), ignoredFields: [] });
  });

  it('keeps --v as a flag', () => {
    assert.ok(kubeletArgs(node, t.dir, 4).includes('--v=4'));
  });
});
