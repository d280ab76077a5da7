// The controller-manager with a --kubeconfig whose user is an exec credential plugin (as a
// kube-controller-manager given a kubeconfig from an external identity system): every client it
// makes — controllers, leader election — gets its certificate from the plugin, which runs once.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest, Lease } from '@mkube/shared/api';
import { findCondition, isIssued } from '@mkube/shared/certificates';
import { issueClient } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, createBootstrapToken, postCsr, startCluster, waitCsr } from './fixture.ts';

describe('controller-manager: --kubeconfig with an exec credential plugin', () => {
  let cl: Cluster;
  let runs: string;
  before(async () => {
    cl = await startCluster();
    const id = await issueClient(cl.fx, 'system:kube-controller-manager');
    runs = join(cl.fx.dir, 'plugin-runs');
    const plugin = join(cl.fx.dir, 'kcm-credential.mjs');
    // A Node script, so the PEMs are JSON-encoded properly; it counts its runs.
    writeFileSync(
      plugin,
      [
        '#!/usr/bin/env node',
        "import { appendFileSync, readFileSync } from 'node:fs';",
        `appendFileSync(${JSON.stringify(runs)}, 'run\\n');`,
        'const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);',
        'process.stdout.write(JSON.stringify({',
        '  apiVersion: info.apiVersion, kind: "ExecCredential",',
        `  status: { clientCertificateData: readFileSync(${JSON.stringify(id.crt)}, 'utf8'), clientKeyData: readFileSync(${JSON.stringify(id.key)}, 'utf8') },`,
        '}));',
      ].join('\n'),
    );
    chmodSync(plugin, 0o755);
    const kubeconfig = join(cl.fx.dir, 'kcm-exec.conf');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- {name: mkube, cluster: {server: "${cl.fx.url}", certificate-authority: ${cl.fx.pki.caCrt}}}`,
        'users:',
        '- name: kcm',
        '  user:',
        '    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./kcm-credential.mjs, interactiveMode: Never}',
        'contexts: [{name: kcm, context: {cluster: mkube, user: kcm}}]',
        'current-context: kcm',
        '',
      ].join('\n'),
    );
    await cl.startKcm(['--leader-elect=true', `--kubeconfig=${kubeconfig}`]);
    await createBootstrapToken(cl.admin, 'abcdef', '0123456789abcdef', { 'usage-bootstrap-authentication': 'true' });
  });
  after(async () => cl?.close());

  it('takes the leader Lease and approves and signs a bootstrap CSR as system:kube-controller-manager', async () => {
    const tok = cl.tokenClient('abcdef.0123456789abcdef');
    const { csr } = await postCsr(tok, { cn: 'system:node:exec' });
    const done = await waitCsr(
      cl.admin,
      csr.metadata!.name!,
      (c: CertificateSigningRequest) => isIssued(c) || Boolean(findCondition(c, 'Denied')),
    );
    assert.ok(isIssued(done), JSON.stringify(done.status));
    assert.equal(findCondition(done, 'Approved')?.reason, 'AutoApproved');
    const lease = await cl.admin
      .resource<Lease>({
        group: 'coordination.k8s.io',
        version: 'v1',
        resource: 'leases',
        namespace: 'kube-system',
      })
      .get('kube-controller-manager');
    assert.ok(lease.spec?.holderIdentity, 'the leader Lease is held');
    assert.equal(readFileSync(runs, 'utf8'), 'run\n', 'one plugin run for all the clients');
  });
});
