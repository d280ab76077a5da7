// What the end-to-end benchmarks share: a temp work dir removed on exit, a global time guard,
// a PKI made at run time, and the apiserver and controller-manager started as `mkube` processes
// (every child killed on exit), plus the small statistics and /proc readers the reports print.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Secret } from '../src/api/index.js';
import { createClient, type KubeClient } from '../src/client/index.js';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '../src/pki/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const f = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a';
export const pct = (a: number[], p: number) =>
  a.length ? [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))]! : Number.NaN;

export function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export function peakRssMb(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  return cpuSecondsOf(`/proc/${pid}/stat`);
}

/**
 * CPU seconds of a process's main thread alone (its JS event loop); the rest of cpuSeconds is V8's
 * compiler and GC helper threads and libuv's pool. No pid: this process.
 */
export function mainThreadCpuSeconds(pid: number | undefined = process.pid): number {
  if (!pid) return Number.NaN;
  return cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsOf(statFile: string): number {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * The apiserver's own count of requests served (apiserver_request_total), by verb, resource and
 * code: every client's requests (the controller-manager's too), where a client counts only its own.
 */
export async function apiserverRequests(admin: KubeClient): Promise<Map<string, number>> {
  const text = await admin.requestText('GET', '/metrics');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const));
    const what = labels.subresource ? `${labels.resource}/${labels.subresource}` : labels.resource || labels.verb;
    const key = `${labels.verb} ${what} ${labels.code}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** What `after` counted beyond `before`, keys with nothing new left out. */
export function countsSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, n] of after) {
    const d = n - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

export const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Counts grouped by `key`, largest first: "POST 6,000, PUT 5,000". */
export function summarise(m: Map<string, number>, key: (k: string) => string): string {
  const g = new Map<string, number>();
  for (const [k, n] of m) g.set(key(k), (g.get(key(k)) ?? 0) + n);
  return [...g]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${f(n)}`)
    .join(', ');
}

/** The apiserverRequests counts whose code is not 2xx, as "403 GET nodes 5, …", or "none". */
export function notSuccessful(m: Map<string, number>): string {
  const failed = new Map([...m].filter(([k]) => !/ 2\d\d$/.test(k)));
  if (failed.size === 0) return 'none';
  return summarise(failed, (k) => {
    const [verb, what, code] = k.split(' ');
    return `${code} ${verb} ${what}`;
  });
}

export async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {}
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export interface BenchWork {
  readonly dir: string;
  /** Writes a file in the work dir (0600 unless told) and returns its path. */
  file(name: string, text: string, mode?: number): string;
  /** Starts a child whose output goes to `<name>.log`; it is killed when the bench exits. */
  start(name: string, args: string[]): ChildProcess;
  logTail(name: string): string;
}

/** The work dir and the time guard: the benchmark stops itself, whatever happens. */
export function benchWork(name: string, limitMs: number): BenchWork {
  const dir = mkdtempSync(join(tmpdir(), `mkube-bench-${name}-`));
  const children: ChildProcess[] = [];
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    // BENCH_KEEP=1 leaves the work dir (the daemons' logs, e.g. with BENCH_NODE_FLAGS=--trace-deopt).
    if (process.env.BENCH_KEEP) process.stderr.write(`bench:${name}: kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const guard = setTimeout(() => {
    process.stderr.write(`bench:${name}: time limit reached, stopping\n`);
    process.exit(2);
  }, limitMs);
  guard.unref();
  return {
    dir,
    file(n, text, mode = 0o600) {
      const p = join(dir, n);
      writeFileSync(p, text, { mode });
      return p;
    },
    start(n, args) {
      const out = openSync(join(dir, `${n}.log`), 'a');
      const child = spawn(args[0]!, args.slice(1), { cwd: ROOT, stdio: ['ignore', out, out] });
      children.push(child);
      return child;
    },
    logTail(n) {
      try {
        return readFileSync(join(dir, `${n}.log`), 'utf8').slice(-2000);
      } catch {
        return '';
      }
    },
  };
}

export interface ControlPlane {
  readonly origin: string;
  readonly caPem: string;
  readonly caKeyPem: string;
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly admin: KubeClient;
  readonly api: ChildProcess;
  readonly kcm: ChildProcess;
  /** `mkube` as the processes were started (with --cpu-prof when BENCH_CPU_PROF is set). */
  readonly mkube: readonly string[];
  /** Issues a leaf from the cluster CA. */
  leaf(
    cn: string,
    orgs: string[],
    usages: ('client auth' | 'server auth')[],
    ips?: string[],
  ): Promise<{ cert: string; key: string }>;
  /** A kube-system bootstrap token Secret (authentication usage). */
  createBootstrapToken(id: string, secret: string): Promise<void>;
  /** SIGTERM to both daemons and wait: a CPU profile is written on a clean exit only. */
  stop(): Promise<void>;
}

export async function startControlPlane(
  w: BenchWork,
  opts: { apiserverArgs?: string[]; kcmArgs?: string[] } = {},
): Promise<ControlPlane> {
  const {
    ca,
    certPem: caPem,
    keyPem: caKeyPem,
  } = await CertificateAuthority.createSelfSigned({ commonName: 'kubernetes' });
  const leaf = async (cn: string, orgs: string[], usages: ('client auth' | 'server auth')[], ips: string[] = []) => {
    const key = await generateKeyPair();
    const cert = ca.issue({
      subject: { commonName: cn, organizations: orgs },
      ipAddresses: ips,
      publicKey: key.publicKey,
      usages: ['digital signature', ...usages],
      ttlMs: 86_400_000,
    });
    return { cert: cert.pem, key: encodePrivateKeyPem(key) };
  };
  const caFile = w.file('ca.crt', caPem, 0o644);
  const caKeyFile = w.file('ca.key', caKeyPem);
  const server = await leaf('kube-apiserver', [], ['server auth'], ['127.0.0.1']);
  const admin = await leaf('kubernetes-admin', ['system:masters'], ['client auth']);
  const kcm = await leaf('system:kube-controller-manager', [], ['client auth']);
  // kubeadm's sa.key: RSA 2048. The apiserver signs the controllers' tokens with it.
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKeyFile = w.file('sa.key', sa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const saPubFile = w.file('sa.pub', sa.publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  const apiPort = await freePort();
  const origin = `https://127.0.0.1:${apiPort}`;
  const kcmConf = w.file(
    'controller-manager.conf',
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: mkube\n  cluster:\n    server: ${origin}\n    certificate-authority: ${caFile}`,
      'users:',
      `- name: kcm\n  user:\n    client-certificate: ${w.file('kcm.crt', kcm.cert)}\n    client-key: ${w.file('kcm.key', kcm.key)}`,
      'contexts:',
      '- name: kcm\n  context: {cluster: mkube, user: kcm}',
      'current-context: kcm',
      '',
    ].join('\n'),
  );
  // BENCH_CPU_PROF=<dir> writes V8 CPU profiles of both daemons there; BENCH_NODE_FLAGS adds Node
  // flags to both (e.g. --trace-gc, which NODE_OPTIONS refuses).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  // BENCH_APISERVER_ARGS / BENCH_KCM_ARGS add daemon flags (A/B runs, e.g. a plugin turned off).
  const envArgs = (name: string) => (process.env[name] ?? '').split(/\s+/).filter(Boolean);
  const mkube = [process.execPath, ...prof, ...flags, join(ROOT, 'cli/bin/mkube.js')];
  const api = w.start('apiserver', [
    ...mkube,
    'apiserver',
    `--secure-port=${apiPort}`,
    '--bind-address=127.0.0.1',
    `--tls-cert-file=${w.file('apiserver.crt', server.cert)}`,
    `--tls-private-key-file=${w.file('apiserver.key', server.key)}`,
    `--client-ca-file=${caFile}`,
    `--data-dir=${join(w.dir, 'data')}`,
    '--authorization-mode=Node,RBAC',
    '--enable-bootstrap-token-auth',
    `--service-account-key-file=${saPubFile}`,
    `--service-account-signing-key-file=${saKeyFile}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    ...(opts.apiserverArgs ?? []),
    ...envArgs('BENCH_APISERVER_ARGS'),
  ]);
  const adminClient = createClient({ server: origin, caPem, clientCertPem: admin.cert, clientKeyPem: admin.key });
  await until('apiserver ready', 60_000, async () =>
    (await adminClient.requestText('GET', '/readyz')) === 'ok' ? true : undefined,
  ).catch((e) => {
    throw new Error(`${e.message}\n${w.logTail('apiserver')}`);
  });
  const kcmProc = w.start('controller-manager', [
    ...mkube,
    'controller-manager',
    '--secure-port=0',
    `--kubeconfig=${kcmConf}`,
    `--cluster-signing-cert-file=${caFile}`,
    `--cluster-signing-key-file=${caKeyFile}`,
    '--leader-elect=false',
    // As kubeadm runs it: each controller as its ServiceAccount.
    '--use-service-account-credentials=true',
    ...(opts.kcmArgs ?? []),
    ...envArgs('BENCH_KCM_ARGS'),
  ]);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    origin,
    caPem,
    caKeyPem,
    caFile,
    caKeyFile,
    admin: adminClient,
    api,
    kcm: kcmProc,
    mkube,
    leaf,
    async createBootstrapToken(id, secret) {
      await adminClient
        .resource<Secret>({ group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' })
        .create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
          type: 'bootstrap.kubernetes.io/token',
          data: { 'token-id': b64(id), 'token-secret': b64(secret), 'usage-bootstrap-authentication': b64('true') },
        });
    },
    async stop() {
      await adminClient.close();
      for (const c of [kcmProc, api]) {
        // Already gone (exited, or killed by a signal: then exitCode stays null).
        if (c.exitCode !== null || c.signalCode !== null) continue;
        c.kill('SIGTERM');
        await new Promise((r) => c.once('exit', r));
      }
    },
  };
}

/**
 * The baseline server: a bare fastify HTTPS server (apiserver/bench/bare-server.ts) with the
 * apiserver's TLS setup and a certificate from the cluster CA, answering every GET with `body`.
 */
export async function startBareServer(
  w: BenchWork,
  cp: ControlPlane,
  body: string,
): Promise<{ readonly origin: string; readonly proc: ChildProcess }> {
  const cert = await cp.leaf('bare', [], ['server auth'], ['127.0.0.1']);
  const port = await freePort();
  const proc = w.start('bare', [
    process.execPath,
    '--import',
    'tsx',
    join(ROOT, 'apiserver/bench/bare-server.ts'),
    w.file('bare.crt', cert.cert),
    w.file('bare.key', cert.key),
    cp.caFile,
    w.file('body.json', body),
    String(port),
  ]);
  return { origin: `https://127.0.0.1:${port}`, proc };
}
