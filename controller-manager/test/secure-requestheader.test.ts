// The controller-manager's secure port behind a front proxy, as kube-controller-manager's delegated
// authentication: the user in X-Remote-* headers is believed only from a client certificate that
// verifies against the request-header CA and has an allowed name. The settings come from the
// apiserver's ConfigMap extension-apiserver-authentication (watched) or from --requestheader-* flags.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap } from '@mkube/shared/api';
import { CertificateAuthority } from '@mkube/shared/pki';
import { issueClient, tempDir } from '../../apiserver/test/server/fixture.ts';
import { freePort } from '../../e2e/src/harness.ts';
import { type Cluster, startCluster } from './fixture.ts';

interface Answer {
  readonly code: number;
  readonly message: string;
}

function get(
  port: number,
  path: string,
  cert: { crt: string; key: string },
  headers: Record<string, string | string[]> = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        rejectUnauthorized: false,
        cert: readFileSync(cert.crt),
        key: readFileSync(cert.key),
        headers,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          let message = body;
          try {
            message = (JSON.parse(body) as { message: string }).message;
          } catch {}
          resolve({ code: res.statusCode ?? 0, message });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('controller-manager secure port behind a front proxy (--requestheader-*)', () => {
  let cl: Cluster;
  let fpDir: string;
  let fpCA: CertificateAuthority;
  let proxy: { crt: string; key: string };
  let impostor: { crt: string; key: string };
  let clusterUser: { crt: string; key: string };
  let looked: number;
  const cms = () =>
    cl.admin.resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-system' });
  const asAlice = { 'X-Remote-User': 'alice', 'X-Remote-Group': 'system:masters' };

  before(async () => {
    fpDir = tempDir('front-proxy');
    const made = await CertificateAuthority.createSelfSigned({ commonName: 'front-proxy-ca' });
    fpCA = made.ca;
    writeFileSync(join(fpDir, 'front-proxy-ca.crt'), made.certPem);
    cl = await startCluster([
      `--requestheader-client-ca-file=${join(fpDir, 'front-proxy-ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    ]);
    proxy = await issueClient(cl.fx, 'front-proxy-client', [], fpCA);
    impostor = await issueClient(cl.fx, 'not-the-proxy', [], fpCA);
    clusterUser = await issueClient(cl.fx, 'carol');
    looked = await freePort();
    // No --client-ca-file, no --requestheader-client-ca-file: both are looked up in the ConfigMap.
    await cl.startKcm([
      `--secure-port=${looked}`,
      '--bind-address=127.0.0.1',
      `--authentication-kubeconfig=${cl.kcmKubeconfig}`,
      `--authorization-kubeconfig=${cl.kcmKubeconfig}`,
      '--leader-elect=false',
    ]);
  });
  after(async () => {
    await cl?.close();
    rmSync(fpDir, { recursive: true, force: true });
  });

  it("believes the front proxy's headers, looked up in the published ConfigMap", async () => {
    assert.deepEqual(await get(looked, '/metrics', proxy, asAlice).then((a) => a.code), 200);
    const bob = await get(looked, '/metrics', proxy, { 'X-Remote-User': 'bob', 'X-Remote-Group': 'dev' });
    assert.equal(bob.code, 403);
    assert.match(bob.message, /User "bob" cannot get path "\/metrics"/);
  });

  it('takes each X-Remote-Group line as one group, as the aggregator sends a user with several', async () => {
    // Joined into "dev, system:masters" the groups would match nothing.
    const carol = await get(looked, '/metrics', proxy, {
      'X-Remote-User': 'carol',
      'X-Remote-Group': ['dev', 'system:masters'],
    });
    assert.equal(carol.code, 200, carol.message);
  });

  it('refuses the headers from a name not allowed, or from a client certificate of the cluster CA', async () => {
    // Same CA, another name: not the front proxy, and not a client the cluster CA knows.
    assert.equal((await get(looked, '/metrics', impostor, asAlice)).code, 401);
    // A cluster client: its own name counts, the headers do not.
    const carol = await get(looked, '/metrics', clusterUser, asAlice);
    assert.equal(carol.code, 403);
    assert.match(carol.message, /User "carol" cannot get path "\/metrics"/);
  });

  it('follows the ConfigMap: a changed allowed-names list takes effect without a restart', async () => {
    const published = await cms().get('extension-apiserver-authentication');
    assert.equal(published.data?.['requestheader-allowed-names'], '["front-proxy-client"]');
    await cms().update({
      ...published,
      data: { ...published.data, 'requestheader-allowed-names': '["not-the-proxy"]' },
    });
    const until = async (who: { crt: string; key: string }, want: number) => {
      let seen = 0;
      for (let i = 0; i < 100 && seen !== want; i++) {
        seen = (await get(looked, '/metrics', who, asAlice)).code;
        if (seen !== want) await new Promise((r) => setTimeout(r, 50));
      }
      return seen;
    };
    assert.equal(await until(impostor, 200), 200, 'the newly allowed name is believed');
    assert.equal((await get(looked, '/metrics', proxy, asAlice)).code, 401, 'the old one no longer');
    await cms().update({ ...(await cms().get('extension-apiserver-authentication')), data: published.data });
    assert.equal(await until(proxy, 200), 200);
  });

  it('--requestheader-client-ca-file and its flags instead of the lookup; none at all: no front proxy', async () => {
    const flags = await freePort();
    await cl.startKcm([
      `--secure-port=${flags}`,
      '--bind-address=127.0.0.1',
      `--client-ca-file=${cl.fx.pki.caCrt}`,
      `--requestheader-client-ca-file=${join(fpDir, 'front-proxy-ca.crt')}`,
      '--requestheader-allowed-names=not-the-proxy',
      '--authentication-skip-lookup',
      '--leader-elect=false',
    ]);
    // Default headers (x-remote-user, x-remote-group), the flag's allowed name.
    assert.equal((await get(flags, '/metrics', impostor, asAlice)).code, 200);
    assert.equal((await get(flags, '/metrics', proxy, asAlice)).code, 401);

    const none = await freePort();
    await cl.startKcm([
      `--secure-port=${none}`,
      '--bind-address=127.0.0.1',
      `--client-ca-file=${cl.fx.pki.caCrt}`,
      '--authentication-skip-lookup',
      '--leader-elect=false',
    ]);
    assert.equal((await get(none, '/metrics', proxy, asAlice)).code, 401);
  });
});
