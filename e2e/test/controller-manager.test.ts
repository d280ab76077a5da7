// The controller-manager as a separate process, as mkube up runs it: kcm's files from
// `mkube pki init`, a bootstrap token from `mkube token create`; kill -9 and restart of the
// apiserver under it (the watches resume) and CSRs keep being approved and issued, with Events
// kubectl describe shows.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { createCsrPem, generateKeyPair } from '@mkube/shared/pki';
import {
  type Apiserver,
  cleanup,
  type Daemon,
  freePort,
  kubectl,
  makePki,
  type Pki,
  runMkube,
  startApiserver,
  startDaemon,
  tempDir,
  waitFor,
} from '../src/harness.ts';

const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
const API_FLAGS = ['--authorization-mode=Node,RBAC', '--enable-bootstrap-token-auth'];

describe('controller-manager process across apiserver restarts', () => {
  let pki: Pki;
  let work: string;
  let port: number;
  let api: Apiserver;
  let kcm: Daemon;
  let admin: KubeClient;
  let token: string;
  before(async () => {
    port = await freePort();
    pki = makePki(port);
    work = tempDir('kcm-e2e');
    api = await startApiserver(pki, port, join(work, 'data'), API_FLAGS);
    kcm = startDaemon([
      'controller-manager',
      '--secure-port=0',
      `--kubeconfig=${pki.path('controller-manager.conf')}`,
      `--cluster-signing-cert-file=${pki.caCrt}`,
      `--cluster-signing-key-file=${pki.path('pki/ca.key')}`,
      '--use-service-account-credentials=true',
      // Long enough that the apiserver restart below, slow on a loaded machine, does not cost the lease.
      '--leader-elect-lease-duration=30s',
      '--leader-elect-renew-deadline=20s',
      '--leader-elect-retry-period=500ms',
    ]);
    const c = await resolveCredentials(await loadKubeconfig(pki.adminConf));
    admin = createClient({
      server: c.server,
      caPem: c.caPem,
      clientCertPem: c.clientCertPem,
      clientKeyPem: c.clientKeyPem,
    });
    const t = runMkube(['token', 'create', `--kubeconfig=${pki.adminConf}`]);
    assert.equal(t.status, 0, t.stderr);
    token = t.stdout.trim();
  });
  after(async () => {
    await kcm?.stop();
    await api?.stop();
    await admin?.close();
    cleanup(pki?.dir ?? '', work ?? '');
  });

  async function bootstrapCsr(node: string): Promise<CertificateSigningRequest> {
    const client = createClient({ server: api.url, caPem: pki.read('pki/ca.crt'), token });
    try {
      const pem = await createCsrPem(await generateKeyPair(), {
        commonName: `system:node:${node}`,
        organizations: ['system:nodes'],
      });
      const csr = await client.resource<CertificateSigningRequest>(CSRS).create({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { generateName: 'node-csr-' },
        spec: {
          request: Buffer.from(pem).toString('base64'),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
        },
      });
      let done: CertificateSigningRequest | undefined;
      await waitFor(
        async () => {
          done = await admin.resource<CertificateSigningRequest>(CSRS).get(csr.metadata!.name!);
          return Boolean(done.status?.certificate);
        },
        20_000,
        () => `csr ${csr.metadata!.name} not issued:\n${kcm.logs().slice(-3000)}`,
      );
      return done!;
    } finally {
      await client.close();
    }
  }

  it("approves and issues with upstream's condition and an Event; kubectl shows both", async () => {
    const csr = await bootstrapCsr('e2e-a');
    const get = kubectl(pki.adminConf, ['get', 'csr', csr.metadata!.name!]);
    assert.equal(get.status, 0, get.stderr);
    assert.match(get.stdout, /Approved,Issued/);
    assert.match(get.stdout, /system:bootstrap:/);
    const cond = kubectl(pki.adminConf, [
      'get',
      'csr',
      csr.metadata!.name!,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Approved")].reason}: {.status.conditions[?(@.type=="Approved")].message}',
    ]);
    assert.equal(cond.status, 0, cond.stderr);
    assert.equal(cond.stdout, 'AutoApproved: Auto approving kubelet client certificate after SubjectAccessReview.');
    // The approval's Event is sent in the background: it shows a moment after the condition.
    let desc = kubectl(pki.adminConf, ['describe', 'csr', csr.metadata!.name!]);
    for (let i = 0; i < 30 && !/AutoApproved/.test(desc.stdout); i++) {
      await new Promise((r) => setTimeout(r, 100));
      desc = kubectl(pki.adminConf, ['describe', 'csr', csr.metadata!.name!]);
    }
    assert.equal(desc.status, 0, desc.stderr);
    assert.match(desc.stdout, /Status:\s+Approved,Issued/);
    assert.match(
      desc.stdout,
      /Normal\s+AutoApproved\s+.*Auto approving kubelet client certificate after SubjectAccessReview\./,
    );
  });

  it('keeps working after the apiserver is killed with -9 and restarted on the same data', async () => {
    await api.kill9();
    await new Promise((r) => setTimeout(r, 1000));
    api = await startApiserver(pki, port, join(work, 'data'), API_FLAGS);
    const csr = await bootstrapCsr('e2e-b');
    assert.ok(csr.status?.certificate);
    assert.equal(kcm.proc.exitCode, null, `the controller-manager is still running:\n${kcm.logs().slice(-2000)}`);
  });
});
