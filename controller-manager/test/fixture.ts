// A real apiserver (Node,RBAC, bootstrap tokens, NodeRestriction) with mkube's controller-manager
// running in this process under its own client certificate, plus clients for the admin, a
// bootstrap token and any node. PKI is generated at run time in a temp dir.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateSigningRequest, KeyUsage, Secret } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { createCsrPem, generateKeyPair, type KeyPair, type SubjectAltNames } from '@mkube/shared/pki';
import {
  type ExtraArgs,
  type Fixture,
  issueClient,
  startFixture,
  waitFor,
} from '../../apiserver/test/server/fixture.ts';

export { waitFor };

import {
  CONTROLLER_MANAGER_FLAGS,
  loadControllerManagerConfig,
  type RunningControllerManager,
  type StartOptions,
  startControllerManager,
} from '../src/main.ts';

export const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;

export const quietLog = () => createLogger({ name: 'test', destination: { write: () => undefined } as never });

export interface Cluster {
  readonly fx: Fixture;
  readonly admin: KubeClient;
  readonly kcmKubeconfig: string;
  /** Flags for a controller-manager pointed at this apiserver, signing with its CA. */
  kcmArgs(extra?: string[]): string[];
  startKcm(extra?: string[], opts?: Omit<StartOptions, 'log'>): Promise<RunningControllerManager>;
  tokenClient(token: string): KubeClient;
  nodeClient(node: string): Promise<KubeClient>;
  close(): Promise<void>;
}

export async function startCluster(
  extraApiserverArgs: ExtraArgs = [],
  apiserverOptions: Parameters<typeof startFixture>[1] = {},
): Promise<Cluster> {
  const fx = await startFixture(
    (pki) => [
      '--authorization-mode=Node,RBAC',
      '--enable-bootstrap-token-auth',
      '--enable-admission-plugins=NodeRestriction',
      // The controllers' tokens (--use-service-account-credentials), signed with a key made now.
      ...serviceAccountKeyArgs(pki.dir),
      ...(typeof extraApiserverArgs === 'function' ? extraApiserverArgs(pki) : extraApiserverArgs),
    ],
    apiserverOptions,
  );
  const caPem = readFileSync(fx.pki.caCrt, 'utf8');
  const admin = createClient({
    server: fx.url,
    caPem,
    clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
    clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
  });
  const kcm = await issueClient(fx, 'system:kube-controller-manager');
  const clients: KubeClient[] = [admin];
  const kcms: RunningControllerManager[] = [];
  const kcmArgs = (extra: string[] = []) => [
    // Tests run many controller-managers at once: no secure port unless a test asks for one.
    '--secure-port=0',
    `--kubeconfig=${kcm.kubeconfig}`,
    `--cluster-signing-cert-file=${fx.pki.caCrt}`,
    `--cluster-signing-key-file=${join(fx.dir, 'ca.key')}`,
    // As kubeadm runs it: each controller as its ServiceAccount, with only its role.
    '--use-service-account-credentials=true',
    ...extra,
  ];
  return {
    fx,
    admin,
    kcmKubeconfig: kcm.kubeconfig,
    kcmArgs,
    async startKcm(extra = ['--leader-elect=false'], opts = {}) {
      const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, kcmArgs(extra));
      const config = await loadControllerManagerConfig(parsed.flags, parsed.given);
      const cm = await startControllerManager(config, { log: quietLog(), ...opts });
      kcms.push(cm);
      return cm;
    },
    tokenClient(token) {
      const c = createClient({ server: fx.url, caPem, token });
      clients.push(c);
      return c;
    },
    async nodeClient(node) {
      const n = await issueClient(fx, `system:node:${node}`, ['system:nodes']);
      const c = createClient({
        server: fx.url,
        caPem,
        clientCertPem: readFileSync(n.crt, 'utf8'),
        clientKeyPem: readFileSync(n.key, 'utf8'),
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(kcms.map((k) => k.stop()));
      await Promise.all(clients.map((c) => c.close()));
      await fx.close();
    },
  };
}

/**
 * A P-256 key pair in `dir` and the apiserver flags that sign and verify service-account tokens with
 * it (kubeadm's sa.key is RSA 2048, which takes ~250 ms to make: too long for every test cluster). A
 * test's own --service-account-signing-key-file, given later, wins; its --service-account-key-file
 * adds to this one.
 */
export function serviceAccountKeyArgs(dir: string): string[] {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = join(dir, 'fixture-sa.key');
  const pub = join(dir, 'fixture-sa.pub');
  writeFileSync(key, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return [
    `--service-account-key-file=${pub}`,
    `--service-account-signing-key-file=${key}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
  ];
}

export async function createBootstrapToken(
  admin: KubeClient,
  id: string,
  secret: string,
  data: Record<string, string> = { 'usage-bootstrap-authentication': 'true' },
): Promise<Secret> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return admin.resource<Secret>({ group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' }).create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(
      Object.entries({ 'token-id': id, 'token-secret': secret, ...data }).map(([k, v]) => [k, b64(v)]),
    ),
  });
}

export interface CsrSpec {
  readonly cn: string;
  readonly orgs?: string[];
  readonly sans?: SubjectAltNames;
  readonly signerName?: string;
  readonly usages?: KeyUsage[];
  readonly expirationSeconds?: number;
  readonly key?: KeyPair;
}

export async function postCsr(
  client: KubeClient,
  s: CsrSpec,
): Promise<{ csr: CertificateSigningRequest; key: KeyPair }> {
  const key = s.key ?? (await generateKeyPair());
  const pem = await createCsrPem(key, { commonName: s.cn, organizations: s.orgs ?? ['system:nodes'] }, s.sans ?? {});
  const csr = await client.resource<CertificateSigningRequest>(CSRS).create({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'csr-' },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: s.signerName ?? 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: s.usages ?? ['digital signature', 'client auth'],
      ...(s.expirationSeconds ? { expirationSeconds: s.expirationSeconds } : {}),
    },
  });
  return { csr, key };
}

/** Waits for a CSR to be decided or issued, returning it then. */
export function waitCsr(
  admin: KubeClient,
  name: string,
  until: (c: CertificateSigningRequest) => boolean,
  ms = 10_000,
): Promise<CertificateSigningRequest> {
  return waitFor(
    `csr ${name}`,
    async () => {
      const c = await admin.resource<CertificateSigningRequest>(CSRS).get(name);
      return until(c) ? c : undefined;
    },
    ms,
  );
}
