// --use-service-account-credentials against a real apiserver (Node,RBAC, bound service-account
// tokens, an audit log): the controller-manager runs under a user that holds only the
// system:kube-controller-manager role, so a CSR is approved and issued only if the certificate
// controllers really act as ServiceAccount kube-system/certificate-controller — which the audit log
// then shows, user agent included. Without the flag the same user cannot approve. A deleted
// ServiceAccount (its tokens stop authenticating) is made again and the controllers go on. The token
// source's refresh at 80 % of a token's life, its reset on 401 and its bounded retries are checked with
// a moved clock. Keys are made here, at run time.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest, ClusterRoleBinding, Node, ServiceAccount } from '@mkube/shared/api';
import { findCondition, isIssued } from '@mkube/shared/certificates';
import { createClient, type KubeClient, Store } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { issueClient, kubectl } from '../../apiserver/test/server/fixture.ts';
import { servingApprovingHandler } from '../src/certificates/servingapprover.ts';
import { getOrCreateServiceAccount, ServiceAccountTokenSource } from '../src/clientbuilder/tokensource.ts';
import {
  CONTROLLER_MANAGER_FLAGS,
  loadControllerManagerConfig,
  type RunningControllerManager,
  startControllerManager,
} from '../src/main.ts';
import { type Cluster, createBootstrapToken, postCsr, quietLog, startCluster, waitCsr, waitFor } from './fixture.ts';

const SA_USER = 'system:serviceaccount:kube-system:certificate-controller';
const ROOT_ONLY_USER = 'mkube:kcm-without-controller-roles';

interface AuditEvent {
  readonly stage: string;
  readonly verb: string;
  readonly user: { readonly username: string };
  readonly userAgent?: string;
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string; readonly name?: string };
  readonly responseStatus?: { readonly code?: number };
}

describe('controller-manager --use-service-account-credentials', () => {
  let c: Cluster;
  let auditLog: string;
  let kubeconfig: string;
  const kcms: RunningControllerManager[] = [];
  let sas: ReturnType<KubeClient['resource']>;

  async function startKcm(extra: string[]): Promise<RunningControllerManager> {
    const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, [
      '--secure-port=0',
      '--leader-elect=false',
      `--kubeconfig=${kubeconfig}`,
      `--cluster-signing-cert-file=${c.fx.pki.caCrt}`,
      `--cluster-signing-key-file=${join(c.fx.dir, 'ca.key')}`,
      ...extra,
    ]);
    const cm = await startControllerManager(await loadControllerManagerConfig(parsed.flags, parsed.given), {
      log: quietLog(),
    });
    kcms.push(cm);
    return cm;
  }
  const audit = (): AuditEvent[] =>
    readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
  const approvals = (name: string) =>
    audit().filter(
      (e) =>
        e.stage === 'ResponseComplete' &&
        e.objectRef?.resource === 'certificatesigningrequests' &&
        e.objectRef.subresource === 'approval' &&
        e.objectRef.name === name,
    );
  const approved = async (token: KubeClient, cn: string) => {
    const { csr } = await postCsr(token, { cn });
    const done = await waitCsr(c.admin, csr.metadata!.name!, isIssued);
    assert.equal(findCondition(done, 'Approved')?.reason, 'AutoApproved');
    return done;
  };

  /** A Node registered by its kubelet with one InternalIP, and that kubelet's serving CSR for it. */
  async function servingCsrOfNewNode(name: string, ip: string) {
    const node = await c.nodeClient(name);
    await node.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: { addresses: [{ type: 'InternalIP', address: ip }] },
    });
    const { csr } = await postCsr(node, {
      cn: `system:node:${name}`,
      sans: { dnsNames: [name], ipAddresses: [ip] },
      signerName: 'kubernetes.io/kubelet-serving',
      usages: ['digital signature', 'server auth'],
    });
    return csr;
  }

  before(async () => {
    // startCluster's apiserver signs service-account tokens (the fixture's key).
    // No token cache in the apiserver: a deleted ServiceAccount's token is refused at once.
    c = await startCluster(
      (pki) => {
        auditLog = join(pki.dir, 'audit.log');
        writeFileSync(
          join(pki.dir, 'audit-policy.yaml'),
          'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources:\n  - group: certificates.k8s.io\n',
        );
        return [`--audit-policy-file=${join(pki.dir, 'audit-policy.yaml')}`, `--audit-log-path=${auditLog}`];
      },
      { tokenSuccessCacheTtlMs: 0 },
    );
    // A controller-manager user with the controller-manager's own role and none of the controllers'.
    kubeconfig = (await issueClient(c.fx, ROOT_ONLY_USER)).kubeconfig;
    await c.admin
      .resource<ClusterRoleBinding>({
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        resource: 'clusterrolebindings',
      })
      .create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'test:kcm-root-only' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kube-controller-manager' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: ROOT_ONLY_USER }],
      });
    await createBootstrapToken(c.admin, 'sacred', '0123456789abcdef', {
      'usage-bootstrap-authentication': 'true',
      expiration: '2099-01-01T00:00:00Z',
    });
    sas = c.admin.resource({ group: '', version: 'v1', resource: 'serviceaccounts', namespace: 'kube-system' });
  });
  after(async () => {
    await Promise.all(kcms.map((k) => k.stop()));
    await c?.close();
  });

  it("the default policy binds each controller's role to its ServiceAccount only, as upstream", async () => {
    const can = async (user: string, verb: string, resource: string, name: string, subresource = '') => {
      const r = await c.admin.request<{ status: { allowed: boolean } }>(
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user,
              resourceAttributes: { group: 'certificates.k8s.io', resource, subresource, verb, name },
            },
          },
        },
      );
      return r.status.allowed;
    };
    const approve = ['approve', 'signers', 'kubernetes.io/kube-apiserver-client-kubelet'] as const;
    const sign = ['sign', 'signers', 'kubernetes.io/kubelet-serving'] as const;
    const approval = ['update', 'certificatesigningrequests', 'x', 'approval'] as const;
    const checks: (readonly [string, string, string, string?])[] = [approve, sign, approval];
    for (const v of checks) {
      assert.equal(await can('system:kube-controller-manager', ...v), false, v.join(' '));
      assert.equal(await can(SA_USER, ...v), true, v.join(' '));
    }
    assert.equal(
      await can('system:serviceaccount:kube-system:node-controller', ...approve),
      false,
      'only the certificate controller approves',
    );
    const crb = JSON.parse(
      (await kubectl(c.fx, ['get', 'clusterrolebinding', 'system:controller:certificate-controller', '-o', 'json']))
        .out,
    ) as ClusterRoleBinding;
    assert.deepEqual(crb.subjects, [
      { kind: 'ServiceAccount', name: 'certificate-controller', namespace: 'kube-system' },
    ]);
  });

  // Before any controller-manager of this suite runs, so that nothing else decides the CSR.
  it('the kubelet-serving approver reads a Node its cache has not seen, as the ServiceAccount', async () => {
    // The controller-manager's own path to the ServiceAccount's token, without its informers.
    await getOrCreateServiceAccount(c.admin, 'kube-system', 'certificate-controller', quietLog());
    const asSa = createClient({
      server: c.fx.url,
      caPem: readFileSync(c.fx.pki.caCrt, 'utf8'),
      credentialProvider: new ServiceAccountTokenSource(
        c.admin,
        { namespace: 'kube-system', serviceAccount: 'certificate-controller' },
        quietLog(),
      ),
    });
    const csr = await servingCsrOfNewNode('fresh', '10.9.0.8');
    const events: string[] = [];
    const handler = servingApprovingHandler(
      asSa,
      new Store<Node>(),
      { allowedCidrs: [], maxExpirationSeconds: 0 },
      { event: (_o, _t, reason) => events.push(reason) },
      quietLog(),
    );
    try {
      await handler(csr);
    } finally {
      await asSa.close();
    }
    const decided = (await c.admin
      .resource({ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' })
      .get(csr.metadata!.name!)) as CertificateSigningRequest;
    assert.equal(findCondition(decided, 'Approved')?.reason, 'AutoApproved');
    assert.deepEqual(events, ['AutoApproved']);
  });

  it("without the flag, a user that lacks the controllers' roles approves nothing", async () => {
    const kcm = await startKcm(['--controllers=csrapproving,csrsigning']);
    const { csr } = await postCsr(c.tokenClient('sacred.0123456789abcdef'), { cn: 'system:node:without' });
    const name = csr.metadata!.name!;
    // The approver's /approval update is refused (403) as the controller-manager's own user.
    const refused = await waitFor('a refused approval', async () =>
      approvals(name).find((e) => e.responseStatus?.code === 403),
    );
    assert.equal(refused.user.username, ROOT_ONLY_USER);
    const now = (await c.admin.resource(CSRS_REF).get(name)) as Parameters<typeof findCondition>[0];
    assert.equal(findCondition(now, 'Approved'), undefined);
    await kcm.stop();
    // Picked up by the next controller-manager, with the flag.
    await startKcm(['--use-service-account-credentials=true']);
    await waitCsr(c.admin, name, isIssued);
  });

  it('with it, the certificate controllers act as kube-system/certificate-controller, and every controller has its ServiceAccount', async () => {
    const done = await approved(c.tokenClient('sacred.0123456789abcdef'), 'system:node:with');
    const ok = approvals(done.metadata!.name!).filter((e) => e.responseStatus?.code === 200);
    assert.equal(ok.length, 1, JSON.stringify(approvals(done.metadata!.name!)));
    assert.equal(ok[0]!.user.username, SA_USER);
    assert.match(
      ok[0]!.userAgent ?? '',
      /^kube-controller-manager\/.*\/system:serviceaccount:kube-system:certificate-controller$/,
    );
    const status = audit().find(
      (e) =>
        e.stage === 'ResponseComplete' &&
        e.objectRef?.subresource === 'status' &&
        e.objectRef.name === done.metadata!.name &&
        e.responseStatus?.code === 200,
    );
    assert.equal(status?.user.username, SA_USER, 'the signer writes the certificate as the ServiceAccount');
    const names = new Set((await sas.list()).items.map((s) => s.metadata!.name!));
    for (const sa of [
      'certificate-controller',
      'node-controller',
      'namespace-controller',
      'generic-garbage-collector',
      'pod-garbage-collector',
      'disruption-controller',
      'clusterrole-aggregation-controller',
      'root-ca-cert-publisher',
      'service-account-controller',
      'taint-eviction-controller',
      'legacy-service-account-token-cleaner',
    ])
      assert.ok(names.has(sa), `ServiceAccount kube-system/${sa} in ${[...names].join(', ')}`);
    // Off by default upstream, so not asked for.
    assert.ok(!names.has('bootstrap-signer') && !names.has('token-cleaner'), [...names].join(', '));
  });

  it("mkube's kubelet-serving approver works as the same ServiceAccount", async () => {
    const csr = await servingCsrOfNewNode('srv', '10.9.0.7');
    const done = await waitCsr(c.admin, csr.metadata!.name!, isIssued);
    assert.equal(findCondition(done, 'Approved')?.reason, 'AutoApproved');
    const ok = approvals(done.metadata!.name!).filter((e) => e.responseStatus?.code === 200);
    assert.equal(ok[0]?.user.username, SA_USER);
  });

  it('a deleted ServiceAccount is made again: the old token is refused once, a new one is requested', async () => {
    const before = (await sas.get('certificate-controller')) as ServiceAccount;
    await sas.delete('certificate-controller');
    const done = await approved(c.tokenClient('sacred.0123456789abcdef'), 'system:node:after-delete');
    const tries = approvals(done.metadata!.name!);
    assert.ok(
      tries.some((e) => e.responseStatus?.code === 200 && e.user.username === SA_USER),
      JSON.stringify(tries),
    );
    const again = (await sas.get('certificate-controller')) as ServiceAccount;
    assert.notEqual(again.metadata!.uid, before.metadata!.uid);
  });

  describe('ServiceAccountTokenSource', () => {
    it('keeps a token for 80 % of its life, replaces it after, and drops it on a 401', async () => {
      let now = Date.now();
      const src = new ServiceAccountTokenSource(
        c.admin,
        { namespace: 'kube-system', serviceAccount: 'token-source-test', now: () => now },
        quietLog(),
      );
      const first = await src.get();
      assert.ok(first.token);
      assert.equal(await src.get(), first, 'cached');
      now += 47 * 60_000; // 78 % of an hour
      assert.equal(await src.get(), first, 'still within 80 %');
      now += 2 * 60_000 + 1000; // past 48 minutes
      const second = await src.get();
      assert.notEqual(second.token, first.token);
      src.unauthorized(first); // a stale report changes nothing
      assert.equal(await src.get(), second);
      src.unauthorized(second);
      const third = await src.get();
      assert.notEqual(third.token, second.token);
      // The token authenticates as the ServiceAccount.
      const as = createClient({ server: c.fx.url, caPem: readFileSync(c.fx.pki.caCrt, 'utf8'), token: third.token! });
      try {
        const review = await as.request<{ status: { userInfo: { username: string } } }>(
          'POST',
          '/apis/authentication.k8s.io/v1/selfsubjectreviews',
          { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
        );
        assert.equal(review.status.userInfo.username, 'system:serviceaccount:kube-system:token-source-test');
      } finally {
        await as.close();
      }
    });

    it('gives up after four tries with upstream’s message when the token cannot be had', async () => {
      const waits: number[] = [];
      const nobody = c.tokenClient('sacred.0123456789abcdef'); // may not read ServiceAccounts
      const src = new ServiceAccountTokenSource(
        nobody,
        { namespace: 'kube-system', serviceAccount: 'never', sleep: async (ms) => void waits.push(ms) },
        quietLog(),
      );
      await assert.rejects(src.get(), {
        message: 'failed to get token for kube-system/never: timed out waiting for the condition',
      });
      assert.deepEqual(waits, [500, 1000, 2000]);
    });
  });
});

const CSRS_REF = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
