// --authorization-mode=RBAC end to end: the default policy, Forbidden messages in Kubernetes' form,
// anonymous access limited to public info, and a RoleBinding that takes effect at once.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { type Fixture, issueClient, kubectl, run, startFixture } from '../server/fixture.ts';

describe('RBAC authorization', () => {
  let fx: Fixture;
  let alice: { kubeconfig: string; dir: string };
  before(async () => {
    fx = await startFixture(['--authorization-mode=RBAC']);
    alice = await issueClient(fx, 'alice', ['devs']);
  });
  after(async () => fx?.close());

  const anon = (path: string) =>
    run('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', '--cacert', fx.pki.caCrt, `${fx.url}${path}`]);

  it('anonymous: public info yes, secrets no, with the exact Forbidden Status', async () => {
    for (const p of ['/healthz', '/version', '/readyz']) assert.match((await anon(p)).stdout, /\n200$/, p);
    const r = await anon('/api/v1/secrets');
    assert.match(r.stdout, /\n403$/);
    const status = JSON.parse(r.stdout.replace(/\n403$/, ''));
    assert.equal(status.reason, 'Forbidden');
    assert.equal(
      status.message,
      'secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" at the cluster scope',
    );
    assert.match((await anon('/api')).stdout, /\n403$/, 'discovery is for authenticated users only');
  });

  it('the admin (kubeadm:cluster-admins) may do anything; the default policy exists with its labels', async () => {
    const r = await kubectl(fx, ['get', 'clusterrole', 'cluster-admin', '-o', 'json']);
    assert.equal(r.status, 0, r.err);
    const cr = JSON.parse(r.out);
    assert.equal(cr.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
    assert.equal(cr.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    assert.equal((await kubectl(fx, ['get', 'secrets', '-A'])).status, 0);
  });

  it('a user without bindings is forbidden with Kubernetes wording, until a RoleBinding grants it', async () => {
    const asAlice = (args: string[]) => kubectl({ kubeconfig: alice.kubeconfig, dir: alice.dir }, args);
    let r = await asAlice(['get', 'configmaps', '-n', 'default']);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /Error from server \(Forbidden\): configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"/,
    );
    assert.equal(
      (await kubectl(fx, ['create', 'role', 'cm-reader', '-n', 'default', '--verb=get,list', '--resource=configmaps']))
        .status,
      0,
    );
    assert.equal(
      (await kubectl(fx, ['create', 'rolebinding', 'devs-read', '-n', 'default', '--role=cm-reader', '--group=devs']))
        .status,
      0,
    );
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      r = await asAlice(['get', 'configmaps', '-n', 'default']);
      ok = r.status === 0;
      if (!ok) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(ok, r.err);
    r = await asAlice(['get', 'configmaps', '-n', 'kube-system']);
    assert.match(r.err, /cannot list resource "configmaps" in API group "" in the namespace "kube-system"/);
    r = await asAlice(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'default']);
    assert.match(r.err, /cannot delete resource "configmaps"/);
  });

  it('a client certificate from another CA is 401, not anonymous', async () => {
    const { ca } = await CertificateAuthority.createSelfSigned({ commonName: 'evil' });
    const key = await generateKeyPair();
    const cert = ca.issue({
      subject: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
      publicKey: key.publicKey,
      usages: ['client auth'],
      ttlMs: 3600_000,
    });
    writeFileSync(join(fx.dir, 'evil.crt'), cert.pem);
    writeFileSync(join(fx.dir, 'evil.key'), encodePrivateKeyPem(key));
    const r = await run('curl', [
      '-s',
      '-w',
      '\n%{http_code}',
      '--cacert',
      fx.pki.caCrt,
      '--cert',
      join(fx.dir, 'evil.crt'),
      '--key',
      join(fx.dir, 'evil.key'),
      `${fx.url}/api/v1/secrets`,
    ]);
    assert.match(r.stdout, /"reason":"Unauthorized"[\s\S]*\n401$/);
  });
});
