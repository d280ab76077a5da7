// The kubelet's client config keeps the apiserver failover list: the kubelet.conf written after TLS
// bootstrap carries the bootstrap kubeconfig's mkube.io/apiservers extension (so the rotated
// client fails over too), and a kubelet restarting on that kubelet.conf reads it back.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  bootstrapKubeconfig,
  loadKubeconfig,
  resolveCredentials,
  serializeKubeconfig,
  writeKubeconfig,
} from '@mkube/shared/kubeconfig';
import { createLogger } from '@mkube/shared/log';
import { selfSignedP256 } from '../../shared/test/helpers/openssl.ts';
import { currentClientPemPath, loadClientConfig } from '../src/bootstrap/clientconfig.ts';
import type { KubeletConfig } from '../src/options/config.ts';

const A = 'https://127.0.0.1:6443';
const B = 'https://127.0.0.2:6444';
const log = createLogger({ name: 'kubelet', destination: { write: () => undefined } as never });

describe('kubelet client config with several apiservers', () => {
  let dir: string;
  let caPem: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-kubelet-failover-'));
    caPem = selfSignedP256(dir, '/O=system:nodes/CN=system:node:n1').certPem;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function config(name: string): KubeletConfig {
    const root = join(dir, name);
    mkdirSync(join(root, 'pki'), { recursive: true });
    return {
      certDir: join(root, 'pki'),
      kubeconfigFile: join(root, 'kubelet.conf'),
      bootstrapKubeconfigFile: join(root, 'bootstrap-kubelet.conf'),
    } as KubeletConfig;
  }

  it('writes kubelet.conf with the bootstrap kubeconfig’s apiservers, and reads them back on restart', async () => {
    const cfg = config('two');
    await writeKubeconfig(
      cfg.bootstrapKubeconfigFile!,
      bootstrapKubeconfig(A, caPem, 'abcdef.0123456789abcdef', { servers: [A, B] }),
    );
    const cc = await loadClientConfig(cfg, log);
    assert.equal(cc.server, A);
    assert.deepEqual(cc.servers, [A, B]);
    assert.deepEqual(cc.bootstrap?.servers, [A, B]);

    const text = readFileSync(cfg.kubeconfigFile, 'utf8');
    assert.match(text, /mkube\.io\/apiservers/);
    assert.doesNotMatch(text, /token/);
    const written = await loadKubeconfig(cfg.kubeconfigFile);
    assert.deepEqual(written.clusters[0]?.cluster.extensions, [
      { name: 'mkube.io/apiservers', extension: { servers: [A, B] } },
    ]);
    assert.equal(written.users[0]?.user['client-certificate'], currentClientPemPath(cfg.certDir));

    // Restart with a client certificate in place: the existing kubelet.conf, with its list.
    writeFileSync(
      currentClientPemPath(cfg.certDir),
      readFileSync(join(dir, 'c.pem'), 'utf8') + readFileSync(join(dir, 'k.pem'), 'utf8'),
      { mode: 0o600 },
    );
    assert.deepEqual((await resolveCredentials(written)).servers, [A, B]);
    const again = await loadClientConfig(cfg, log);
    assert.equal(again.bootstrap, undefined);
    assert.equal(again.rotating, true);
    assert.deepEqual(again.servers, [A, B]);
  });

  it('a single apiserver: kubelet.conf as before, no extension', async () => {
    const cfg = config('one');
    await writeKubeconfig(cfg.bootstrapKubeconfigFile!, bootstrapKubeconfig(A, caPem, 'abcdef.0123456789abcdef'));
    const cc = await loadClientConfig(cfg, log);
    assert.deepEqual(cc.servers, [A]);
    const written = await loadKubeconfig(cfg.kubeconfigFile);
    assert.equal(written.clusters[0]?.cluster.extensions, undefined);
    assert.doesNotMatch(serializeKubeconfig(written), /extensions/);
  });
});
