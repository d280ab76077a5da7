// npm run bench:requests — what each request of a kubelet client CSR's life costs the apiserver, by
// kind, in a fresh process and once warm: N CSR creates with a bootstrap token, N SubjectAccessReviews,
// N /approval and N /status updates and N GETs (64 in flight), twice over; the second round is the
// baseline of the first (same process, same requests, V8 done compiling). The controller-manager is
// stopped, so only the benchmark's requests reach the apiserver; the client's own CPU per request is
// printed beside it. Bounded by a global time guard; everything is stopped and removed on exit.
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { createClient } from '@mkube/shared/client';
import { createLogger } from '@mkube/shared/log';
import { createCsrPem, generateKeyPair } from '@mkube/shared/pki';
import {
  getOrCreateServiceAccount,
  ServiceAccountTokenSource,
} from '../../controller-manager/src/clientbuilder/tokensource.ts';
import { benchWork, cpuSeconds, f, runPool, startControlPlane } from '../../shared/bench/controlplane.ts';

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = 64;
const w = benchWork('requests', 300_000);
const cp = await startControlPlane(w);
// Only the benchmark's requests: nothing approves or signs behind its back.
await new Promise((r) => {
  cp.kcm.once('exit', r);
  cp.kcm.kill('SIGTERM');
});
await cp.createBootstrapToken('bench0', '0123456789abcdef');
const token = createClient({ server: cp.origin, caPem: cp.caPem, token: 'bench0.0123456789abcdef' });
// The controller-manager's certificate controller as kubeadm runs it (--use-service-account-credentials),
// through the controller-manager's own code: ServiceAccount kube-system/certificate-controller and its
// TokenRequest token, fetched before the timed phases.
const quiet = createLogger({ name: 'bench', destination: { write: () => undefined } as never });
const SA = { namespace: 'kube-system', serviceAccount: 'certificate-controller' };
await getOrCreateServiceAccount(cp.admin, SA.namespace, SA.serviceAccount, quiet);
const tokenSource = new ServiceAccountTokenSource(cp.admin, SA, quiet);
await tokenSource.get();
const kcm = createClient({ server: cp.origin, caPem: cp.caPem, credentialProvider: tokenSource });
const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
const b64 = (s: string) => Buffer.from(s).toString('base64');

process.stdout.write(`bench:requests: generating ${2 * N} P-256 keys and CSRs (not timed)…\n`);
const pems: string[] = [];
for (let i = 0; i < 2 * N; i++) {
  pems.push(
    await createCsrPem(await generateKeyPair(), { commonName: `system:node:n-${i}`, organizations: ['system:nodes'] }),
  );
}
// Any certificate will do for /status: the apiserver checks that it parses, not who signed it.
const certificate = b64(cp.caPem);
const sar = {
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SubjectAccessReview',
  metadata: {},
  spec: {
    user: 'system:bootstrap:bench0',
    groups: ['system:bootstrappers', 'system:authenticated'],
    resourceAttributes: {
      group: 'certificates.k8s.io',
      resource: 'certificatesigningrequests',
      subresource: 'nodeclient',
      verb: 'create',
    },
  },
};

interface Cost {
  readonly server: number;
  readonly client: number;
}

async function phase(fn: (i: number) => Promise<unknown>): Promise<Cost> {
  const s0 = cpuSeconds(cp.api.pid);
  const c0 = process.cpuUsage();
  await runPool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      await fn(i);
    },
  );
  const c = process.cpuUsage(c0);
  // /proc counts in 10 ms ticks: let the last ones land.
  await new Promise((r) => setTimeout(r, 200));
  return { server: ((cpuSeconds(cp.api.pid) - s0) * 1e6) / N, client: (c.user + c.system) / N };
}

const kinds = ['CSR create (bootstrap token)', 'SubjectAccessReview', '/approval update', '/status update', 'GET'];
const rounds: Cost[][] = [];
for (const round of [0, 1]) {
  const objs: CertificateSigningRequest[] = [];
  const name = (i: number) => `r${round}-${i}`;
  const costs = [
    await phase(async (i) => {
      objs[i] = await token.resource<CertificateSigningRequest>(CSRS).create({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: name(i) },
        spec: {
          request: b64(pems[round * N + i]!),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
        },
      });
    }),
    await phase(() => kcm.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: sar })),
    await phase(async (i) => {
      const o = objs[i]!;
      o.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'bench' }] };
      objs[i] = await kcm.resource<CertificateSigningRequest>(CSRS).updateSubresource(name(i), 'approval', o);
    }),
    await phase(async (i) => {
      const o = objs[i]!;
      o.status = { ...o.status, certificate };
      await kcm.resource<CertificateSigningRequest>(CSRS).updateSubresource(name(i), 'status', o);
    }),
    await phase((i) => kcm.resource<CertificateSigningRequest>(CSRS).get(name(i))),
  ];
  rounds.push(costs);
}
await token.close();
await kcm.close();
await cp.stop();

process.stdout.write(`\nbench:requests — CPU per request, ${N} of each kind, ${CONCURRENCY} in flight\n\n`);
const rows = kinds.map((k, i) => {
  const cold = rounds[0]![i]!;
  const warm = rounds[1]![i]!;
  return [
    k,
    `apiserver cold ${f(cold.server)} µs`,
    `warm ${f(warm.server)} µs`,
    `cold/warm ${f(cold.server / warm.server, 1)}×`,
    `client ${f(warm.client)} µs (cold ${f(cold.client)})`,
  ];
});
const sum = (r: number, key: keyof Cost) => rounds[r]!.slice(0, 4).reduce((a, c) => a + c[key], 0);
rows.push([
  'one CSR (create, SAR, approval, status)',
  `apiserver cold ${f(sum(0, 'server'))} µs`,
  `warm ${f(sum(1, 'server'))} µs`,
  `cold/warm ${f(sum(0, 'server') / sum(1, 'server'), 1)}×`,
  `client ${f(sum(1, 'client'))} µs (cold ${f(sum(0, 'client'))})`,
]);
const wd = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(wd[i]!)).join('  ')}\n`);
process.stdout.write(
  '\ncold: the first requests of each kind in a fresh apiserver; warm: the same kinds again (the baseline).\n',
);
process.exit(0);
