// cluster-info signing and bootstrap-token expiry through a real apiserver: the JWS verifies with
// the token secret (checked here with a plain HMAC, independent of the code under test), a deleted
// or expiring token loses its signature, and an expired token Secret is deleted when it expires.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, Secret } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, createBootstrapToken, startCluster, waitFor } from './fixture.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-public' } as const;
const SECRETS = { group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' } as const;
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function verifyDetached(jws: string, content: string, id: string, secret: string): boolean {
  const [h, payload, sig] = jws.split('.');
  if (payload !== '' || !h || !sig) return false;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (header.alg !== 'HS256' || header.kid !== id) return false;
  const mac = createHmac('sha256', secret)
    .update(`${h}.${b64url(content)}`)
    .digest();
  return b64url(mac) === sig;
}

describe('controller-manager: bootstrap signer and token cleaner', () => {
  let cl: Cluster;
  const kubeconfig =
    'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: ""\n';
  before(async () => {
    cl = await startCluster();
    await cl.admin.resource<ConfigMap>(CM).create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cluster-info', namespace: 'kube-public' },
      data: { kubeconfig },
    });
    await cl.startKcm(['--leader-elect=false', '--controllers=*,bootstrapsigner,tokencleaner']);
  });
  after(async () => cl?.close());

  const clusterInfo = () => cl.admin.resource<ConfigMap>(CM).get('cluster-info');

  it('signs cluster-info for a signing token; kubectl shows a JWS that verifies with the token secret', async () => {
    await createBootstrapToken(cl.admin, 'sig001', 'aaaaaaaaaaaaaaaa', {
      'usage-bootstrap-signing': 'true',
      'usage-bootstrap-authentication': 'true',
    });
    // Not for signing, expired, or with a mismatched id: never signed.
    await createBootstrapToken(cl.admin, 'auth01', 'bbbbbbbbbbbbbbbb', { 'usage-bootstrap-authentication': 'true' });
    await createBootstrapToken(cl.admin, 'old001', 'cccccccccccccccc', {
      'usage-bootstrap-signing': 'true',
      expiration: '2020-01-01T00:00:00Z',
    });
    const cm = await waitFor('signature', async () => {
      const c = await clusterInfo();
      return c.data?.['jws-kubeconfig-sig001'] ? c : undefined;
    });
    const r = await kubectl(cl.fx, ['get', 'cm', 'cluster-info', '-n', 'kube-public', '-o', 'jsonpath={.data}']);
    assert.equal(r.status, 0, r.err);
    const data = JSON.parse(r.out) as Record<string, string>;
    assert.equal(data.kubeconfig, kubeconfig, 'the content is left exactly as it was');
    assert.ok(verifyDetached(data['jws-kubeconfig-sig001']!, kubeconfig, 'sig001', 'aaaaaaaaaaaaaaaa'));
    assert.ok(!verifyDetached(data['jws-kubeconfig-sig001']!, `${kubeconfig} `, 'sig001', 'aaaaaaaaaaaaaaaa'));
    assert.deepEqual(
      Object.keys(cm.data ?? {}).sort(),
      ['jws-kubeconfig-sig001', 'kubeconfig'],
      'only the signing-enabled, unexpired token signs',
    );
    // The protected header is exactly {"alg":"HS256","kid":"<id>"} in that order (the docs' example).
    assert.equal(data['jws-kubeconfig-sig001']!.split('.')[0], b64url('{"alg":"HS256","kid":"sig001"}'));
  });

  it('removes the signature when the token is deleted', async () => {
    const r = await kubectl(cl.fx, ['delete', 'secret', '-n', 'kube-system', 'bootstrap-token-sig001']);
    assert.equal(r.status, 0, r.err);
    await waitFor('signature removed', async () => {
      const c = await clusterInfo();
      return c.data?.['jws-kubeconfig-sig001'] ? undefined : c;
    });
  });

  it('re-signs when the content changes', async () => {
    await createBootstrapToken(cl.admin, 'sig002', 'dddddddddddddddd', { 'usage-bootstrap-signing': 'true' });
    await waitFor('signature', async () => ((await clusterInfo()).data?.['jws-kubeconfig-sig002'] ? true : undefined));
    const cur = await clusterInfo();
    const next = `${kubeconfig}# edited\n`;
    await cl.admin.resource<ConfigMap>(CM).update({ ...cur, data: { ...cur.data, kubeconfig: next } });
    await waitFor('re-signed', async () => {
      const c = await clusterInfo();
      const sig = c.data?.['jws-kubeconfig-sig002'];
      return sig && verifyDetached(sig, next, 'sig002', 'dddddddddddddddd') ? true : undefined;
    });
  });

  it('drops the signature and deletes the Secret when a token expires, at its expiration', async () => {
    const expiration = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, 'Z');
    await createBootstrapToken(cl.admin, 'exp001', 'eeeeeeeeeeeeeeee', {
      'usage-bootstrap-signing': 'true',
      expiration,
    });
    await waitFor('signature', async () => ((await clusterInfo()).data?.['jws-kubeconfig-exp001'] ? true : undefined));
    const secrets = cl.admin.resource<Secret>(SECRETS);
    await waitFor(
      'secret deleted',
      async () => {
        try {
          await secrets.get('bootstrap-token-exp001');
          return undefined;
        } catch (e) {
          return isNotFound(e) ? true : undefined;
        }
      },
      6000,
    );
    assert.ok(Date.now() >= Date.parse(expiration), 'not deleted before it expired');
    await waitFor('signature removed', async () =>
      (await clusterInfo()).data?.['jws-kubeconfig-exp001'] ? undefined : true,
    );
    // The already-expired token from the first case is gone too; others stay.
    await assert.rejects(secrets.get('bootstrap-token-old001'), (e) => isNotFound(e));
    assert.ok(await secrets.get('bootstrap-token-auth01'));
  });
});
