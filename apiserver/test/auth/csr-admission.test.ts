// The CSR admission plugins through the real server with RBAC and the real kubectl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, issueClient, kubectl, startFixture } from '../server/fixture.ts';

function csrJson(dir: string, name: string, subject: string, signerName: string, usages: string[]): string {
  const key = join(dir, `${name}.key`);
  const req = join(dir, `${name}.csr`);
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      key,
      '-out',
      req,
    ],
    { stdio: 'ignore' },
  );
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request: readFileSync(req).toString('base64'), signerName, usages },
    }),
  );
  return file;
}

describe('CSR admission (CertificateApproval, CertificateSigning, CertificateSubjectRestriction)', () => {
  let fx: Fixture;
  let bob: { kubeconfig: string; dir: string };
  before(async () => {
    fx = await startFixture(['--authorization-mode=RBAC']);
    bob = await issueClient(fx, 'bob', []);
    // bob may update CSR approvals (RBAC) but holds no `approve` on any signer yet.
    for (const args of [
      [
        'create',
        'clusterrole',
        'csr-approver',
        '--verb=get,list,update',
        '--resource=certificatesigningrequests,certificatesigningrequests/approval,certificatesigningrequests/status',
      ],
      ['create', 'clusterrolebinding', 'bob-csr', '--clusterrole=csr-approver', '--user=bob'],
    ]) {
      const r = await kubectl(fx, args);
      assert.equal(r.status, 0, r.err);
    }
  });
  after(async () => fx?.close());
  const asBob = (args: string[]) => kubectl({ kubeconfig: bob.kubeconfig, dir: bob.dir }, args);

  it('approving needs `approve` on the signer, by name or by domain/*', async () => {
    assert.equal(
      (
        await kubectl(fx, [
          'create',
          '-f',
          csrJson(fx.dir, 'c1', '/O=system:nodes/CN=system:node:n1', 'kubernetes.io/kube-apiserver-client-kubelet', [
            'digital signature',
            'client auth',
          ]),
        ])
      ).status,
      0,
    );
    let r = await asBob(['certificate', 'approve', 'c1']);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /certificatesigningrequests.certificates.k8s.io "c1" is forbidden: user not permitted to approve requests with signerName "kubernetes.io\/kube-apiserver-client-kubelet"/,
    );
    const conditions = (await kubectl(fx, ['get', 'csr', 'c1', '-o', 'jsonpath={.status.conditions}'])).out;
    assert.match(conditions, /^(\[\])?$/, 'nothing changed');
    // As upstream, `signers` is not a served resource, so the role comes from a manifest (kubectl
    // create clusterrole --resource=signers would be refused by kubectl's discovery check).
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'signer-approver' },
      rules: [
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['signers'],
          resourceNames: ['kubernetes.io/*'],
          verbs: ['approve'],
        },
      ],
    };
    writeFileSync(join(fx.dir, 'signer-approver.json'), JSON.stringify(role));
    for (const args of [
      ['create', '-f', join(fx.dir, 'signer-approver.json')],
      ['create', 'clusterrolebinding', 'bob-approve', '--clusterrole=signer-approver', '--user=bob'],
    ]) {
      const c = await kubectl(fx, args);
      assert.equal(c.status, 0, c.err);
    }
    let ok = false;
    for (let i = 0; i < 30 && !ok; i++) {
      r = await asBob(['certificate', 'approve', 'c1']);
      ok = r.status === 0;
      if (!ok) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(ok, r.err);
    assert.equal(
      (await kubectl(fx, ['get', 'csr', 'c1', '-o', 'jsonpath={.status.conditions[0].type}'])).out,
      'Approved',
    );
  });

  it('issuing a certificate through /status needs `sign`', async () => {
    const csr = JSON.parse((await kubectl(fx, ['get', 'csr', 'c1', '-o', 'json'])).out);
    // A well-formed certificate: validation runs first, then the validating admission plugins.
    csr.status.certificate = readFileSync(fx.pki.adminCrt).toString('base64');
    const f = join(fx.dir, 'c1-status.json');
    writeFileSync(f, JSON.stringify(csr));
    const r = await asBob(['replace', '--subresource=status', '-f', f]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /user not permitted to sign requests with signerName "kubernetes.io\/kube-apiserver-client-kubelet"/,
    );
  });

  it('a kube-apiserver-client CSR asking for system:masters is refused at create', async () => {
    const r = await kubectl(fx, [
      'create',
      '-f',
      csrJson(fx.dir, 'c2', '/O=system:masters/CN=mallory', 'kubernetes.io/kube-apiserver-client', [
        'digital signature',
        'client auth',
      ]),
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /use of kubernetes.io\/kube-apiserver-client signer with system:masters group is not allowed/);
    assert.notEqual((await kubectl(fx, ['get', 'csr', 'c2'])).status, 0);
  });
});
