// Token discovery as kubeadm join does it: the kubelet trusts cluster-info only when its JWS
// verifies with the token and its CA matches the pin; a wrong pin or a forged signature stops
// before any credential is sent (no bootstrap kubeconfig, no CSR).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest, ConfigMap } from '@mkube/shared/api';
import { ConfigError, parseFlags } from '@mkube/shared/flags';
import { parseCertificatePem, spkiSha256Pin } from '@mkube/shared/pki';
import { ensureClusterInfo } from '../../cli/src/up/clusterinfo.ts';
import { CSRS, createBootstrapToken, waitFor } from '../../controller-manager/test/fixture.ts';
import { DiscoveryError, KUBELET_FLAGS, loadKubeletConfig, startKubelet } from '../src/main.ts';
import { type NodeCluster, nodeArgs, quiet, readyCondition, startNodeCluster } from './fixture.ts';

const ID = 'join01';
const SECRET = 'aaaabbbbccccdddd';

describe('token discovery', () => {
  let c: NodeCluster;
  let pin: string;
  const dirs: string[] = [];
  before(async () => {
    c = await startNodeCluster({ kcmArgs: ['--controllers=*,bootstrapsigner'] });
    await ensureClusterInfo(c.admin, c.fx.url, c.caPem);
    await createBootstrapToken(c.admin, ID, SECRET, {
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
    });
    await waitFor('cluster-info signed', async () => {
      const cm = await c.admin
        .resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-public' })
        .get('cluster-info');
      return cm.data?.[`jws-kubeconfig-${ID}`];
    });
    pin = spkiSha256Pin(parseCertificatePem(c.caPem));
  });
  after(async () => {
    await c?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const config = (name: string, token: string, pins: string[], extra: string[] = []) => {
    const root = mkdtempSync(join(tmpdir(), `mkube-join-${name}-`));
    dirs.push(root);
    const args = [
      `--server=${c.fx.url}`,
      `--bootstrap-token=${token}`,
      ...pins.map((p) => `--discovery-token-ca-cert-hash=${p}`),
      `--bootstrap-kubeconfig=${join(root, 'bootstrap-kubelet.conf')}`,
      ...nodeArgs(name, root, c.fx.pki.caCrt),
      '--discovery-timeout=2s',
      ...extra,
    ];
    return { root, cfg: loadKubeletConfig(parseFlags(KUBELET_FLAGS, args).flags) };
  };
  const csrs = async () => (await c.admin.resource<CertificateSigningRequest>(CSRS).list()).items.length;

  it('joins with the right pin: the bootstrap kubeconfig carries the pinned CA', async () => {
    const { root, cfg } = config('joined', `${ID}.${SECRET}`, [pin]);
    const k = await startKubelet(cfg, { log: quiet() });
    try {
      await k.ready;
      const written = readFileSync(join(root, 'bootstrap-kubelet.conf'), 'utf8');
      assert.match(written, new RegExp(`certificate-authority-data: ${Buffer.from(c.caPem).toString('base64')}`));
      const node = await c.admin.resource({ group: '', version: 'v1', resource: 'nodes' }).get('joined');
      assert.equal(readyCondition(node as never), 'True');
    } finally {
      await k.stop();
    }
  });

  it('aborts on a wrong pin before any credential is sent', async () => {
    const before = await csrs();
    const wrong = `sha256:${'0'.repeat(64)}`;
    const { root, cfg } = config('wrongpin', `${ID}.${SECRET}`, [wrong]);
    await assert.rejects(startKubelet(cfg, { log: quiet() }), (e: unknown) => {
      assert.ok(e instanceof DiscoveryError);
      assert.match(
        e.message,
        /cluster CA found in cluster-info ConfigMap is invalid: none of the public keys .* are pinned/,
      );
      return true;
    });
    assert.equal(existsSync(join(root, 'bootstrap-kubelet.conf')), false);
    assert.equal(existsSync(join(root, 'kubelet.conf')), false);
    assert.equal(await csrs(), before);
  });

  it('refuses a signature that does not verify with the token (a forged or altered cluster-info)', async () => {
    const { root, cfg } = config('badsecret', `${ID}.ffffffffffffffff`, [pin]);
    await assert.rejects(
      startKubelet(cfg, { log: quiet() }),
      /failed to verify JWS signature of received cluster info object/,
    );
    assert.equal(existsSync(join(root, 'bootstrap-kubelet.conf')), false);
  });

  it('gives up after --discovery-timeout on a token the cluster never signed for', async () => {
    const { cfg } = config('unknown', 'zzzzzz.0123456789abcdef', [pin]);
    const t0 = Date.now();
    await assert.rejects(
      startKubelet(cfg, { log: quiet() }),
      /token id "zzzzzz" is invalid for this cluster or it has expired/,
    );
    assert.ok(Date.now() - t0 >= 1500);
  });

  it('requires a pin (or the explicit unsafe skip) and checks its form', () => {
    const base = [
      `--server=${c.fx.url}`,
      `--bootstrap-token=${ID}.${SECRET}`,
      '--bootstrap-kubeconfig=/tmp/x',
      '--kubeconfig=/tmp/y',
    ];
    assert.throws(
      () => loadKubeletConfig(parseFlags(KUBELET_FLAGS, base).flags),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /--discovery-token-ca-cert-hash: token discovery without a CA pin is unsafe/);
        return true;
      },
    );
    assert.throws(
      () => loadKubeletConfig(parseFlags(KUBELET_FLAGS, [...base, '--discovery-token-ca-cert-hash=md5:abc']).flags),
      /is not of the form sha256:<64 hex digits>/,
    );
    assert.ok(
      loadKubeletConfig(parseFlags(KUBELET_FLAGS, [...base, '--discovery-token-unsafe-skip-ca-verification']).flags)
        .discovery,
    );
  });
});
