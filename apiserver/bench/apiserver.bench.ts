// npm run bench:apiserver — the mkube apiserver against a bare fastify HTTPS server with the same TLS
// setup, measured in the same run: GET of one ConfigMap and CREATE of ConfigMaps at concurrency 50
// (requests/s, p99), and 10,000 idle watches (server RSS, fan-out time of one event). Bounded: every
// phase has a time limit and the child processes are stopped on any exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { pool, runLoad, type Tls } from './load.ts';
import { openWatches } from './watches.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const CONCURRENCY = 50;
const WATCHES = Number(process.env.BENCH_WATCHES ?? 10_000);
const children: ChildProcess[] = [];
const work = mkdtempSync(join(tmpdir(), 'mkube-bench-'));

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
const guard = setTimeout(() => {
  process.stderr.write('bench:apiserver: time limit reached, stopping\n');
  process.exit(2);
}, 240_000);
guard.unref();

async function pki(): Promise<{ files: { ca: string; cert: string; key: string }; tls: Tls; user: Tls }> {
  const { ca, certPem: caPem } = await CertificateAuthority.createSelfSigned({ commonName: 'kubernetes' });
  const serverKey = await generateKeyPair();
  const server = ca.issue({
    subject: { commonName: 'kube-apiserver' },
    ipAddresses: ['127.0.0.1'],
    publicKey: serverKey.publicKey,
    usages: ['digital signature', 'server auth'],
    ttlMs: 86_400_000,
  });
  const adminKey = await generateKeyPair();
  const admin = ca.issue({
    subject: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
    publicKey: adminKey.publicKey,
    usages: ['digital signature', 'client auth'],
    ttlMs: 86_400_000,
  });
  const files = { ca: join(work, 'ca.crt'), cert: join(work, 'apiserver.crt'), key: join(work, 'apiserver.key') };
  writeFileSync(files.ca, caPem);
  writeFileSync(files.cert, server.pem);
  writeFileSync(files.key, encodePrivateKeyPem(serverKey), { mode: 0o600 });
  // A user with no group rights: what it may do comes from one RoleBinding (the RBAC row).
  const userKey = await generateKeyPair();
  const user = ca.issue({
    subject: { commonName: 'bench-user' },
    publicKey: userKey.publicKey,
    usages: ['client auth'],
    ttlMs: 86_400_000,
  });
  return {
    files,
    tls: { ca: caPem, cert: admin.pem, key: encodePrivateKeyPem(adminKey) },
    user: { ca: caPem, cert: user.pem, key: encodePrivateKeyPem(userKey) },
  };
}

function start(args: string[], readyLine: RegExp | null): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  if (!readyLine) return Promise.resolve(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (readyLine.test(out)) resolve(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`child exited (${code}): ${out.slice(-2000)}`)));
  });
}

async function waitReady(origin: string, tls: Tls): Promise<void> {
  const p = pool(origin, tls, 1);
  for (let i = 0; i < 300; i++) {
    try {
      const r = await p.request({ method: 'GET', path: '/readyz' });
      await r.body.text();
      if (r.statusCode === 200) return void (await p.close());
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${origin} never became ready`);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const f = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a';
const pct = (a: number[], p: number) =>
  a.length ? [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))]! : Number.NaN;

const { files, tls, user } = await pki();
const apiPort = 20000 + Math.floor(Math.random() * 20000);
const barePort = apiPort + 1;
const apiArgs = (port: number, dataDir: string) => [
  join(ROOT, 'cli/bin/mkube.js'),
  'apiserver',
  `--secure-port=${port}`,
  '--bind-address=127.0.0.1',
  `--tls-cert-file=${files.cert}`,
  `--tls-private-key-file=${files.key}`,
  `--client-ca-file=${files.ca}`,
  `--data-dir=${join(work, dataDir)}`,
  '--authorization-mode=RBAC',
];
await start(apiArgs(apiPort, 'data'), null);
const apiOrigin = `https://127.0.0.1:${apiPort}`;
await waitReady(apiOrigin, tls);

const p = pool(apiOrigin, tls, CONCURRENCY);
const cm = await p.request({
  method: 'POST',
  path: '/api/v1/namespaces/default/configmaps',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bench' }, data: { hello: 'world' } }),
});
await cm.body.text();
// Idle watches on an apiserver process of their own, so their memory is measured from a clean start
// and their garbage does not slow the load rows; then one event fanned out to all of them.
const watchPort = apiPort + 2;
const wapi = await start(apiArgs(watchPort, 'data-watch'), null);
const watchOrigin = `https://127.0.0.1:${watchPort}`;
await waitReady(watchOrigin, tls);
const wp = pool(watchOrigin, tls, 4);
const ns = await wp.request({
  method: 'POST',
  path: '/api/v1/namespaces',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } }),
});
await ns.body.text();
const list = await wp.request({ method: 'GET', path: '/api/v1/namespaces/watched/configmaps' });
const rv = (JSON.parse(await list.body.text()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
const rssBefore = rssMb(wapi.pid!);
const t0open = performance.now();
const watches = await openWatches(
  watchOrigin,
  tls,
  `/api/v1/namespaces/watched/configmaps?watch=true&resourceVersion=${rv}`,
  WATCHES,
  10,
  60_000,
);
const openSeconds = (performance.now() - t0open) / 1000;
await new Promise((r) => setTimeout(r, 1000));
const rssWatching = rssMb(wapi.pid!);
const t0 = performance.now();
const ev = await wp.request({
  method: 'POST',
  path: '/api/v1/namespaces/watched/configmaps',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fanout-marker' } }),
});
await ev.body.text();
const delays = await watches.fanout('fanout-marker', t0, 10_000);
watches.close();
await wp.close();
wapi.kill('SIGTERM');

const getRes = await p.request({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/bench' });
const getBytes = Buffer.from(await getRes.body.arrayBuffer());
writeFileSync(join(work, 'body.json'), getBytes);
await start(
  [
    '--import',
    'tsx',
    join(ROOT, 'apiserver/bench/bare-server.ts'),
    files.cert,
    files.key,
    files.ca,
    join(work, 'body.json'),
    String(barePort),
  ],
  /ready/,
);
const bareOrigin = `https://127.0.0.1:${barePort}`;
const bp = pool(bareOrigin, tls, CONCURRENCY);

const warm = Math.min(1000, DURATION_MS / 5);
await runLoad(bp, CONCURRENCY, warm, () => ({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/bench' }));
const bare = await runLoad(bp, CONCURRENCY, DURATION_MS, () => ({
  method: 'GET',
  path: '/api/v1/namespaces/default/configmaps/bench',
}));
await runLoad(p, CONCURRENCY, warm, () => ({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/bench' }));
const get = await runLoad(p, CONCURRENCY, DURATION_MS, () => ({
  method: 'GET',
  path: '/api/v1/namespaces/default/configmaps/bench',
}));
const create = await runLoad(p, CONCURRENCY, DURATION_MS, (w, i) => ({
  method: 'POST',
  path: '/api/v1/namespaces/default/configmaps',
  body: JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `load-${w}-${i}` },
    data: { w: String(w) },
  }),
}));
await bp.close();

// RBAC: bench-user may read configmaps in ns-0 through one RoleBinding. Authorized GETs with 3
// RoleBindings, then with 10,000 RoleBindings (for other users) across 1,000 namespaces.
async function post(path: string, obj: object): Promise<void> {
  const r = await p.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(obj),
  });
  await r.body.text();
  if (r.statusCode >= 300) throw new Error(`POST ${path}: HTTP ${r.statusCode}`);
}
const binding = (ns: string, name: string, userName: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
  subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: userName }],
});
await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns-0' } });
await post('/apis/rbac.authorization.k8s.io/v1/namespaces/ns-0/roles', {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name: 'cm-reader', namespace: 'ns-0' },
  rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
});
await post('/api/v1/namespaces/ns-0/configmaps', {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'bench' },
  data: { hello: 'world' },
});
for (const [n, u] of [
  ['bench-user', 'bench-user'],
  ['other-1', 'someone-1'],
  ['other-2', 'someone-2'],
] as const) {
  await post('/apis/rbac.authorization.k8s.io/v1/namespaces/ns-0/rolebindings', binding('ns-0', n, u));
}
const up = pool(apiOrigin, user, CONCURRENCY);
const userGet = () => ({ method: 'GET' as const, path: '/api/v1/namespaces/ns-0/configmaps/bench' });
await runLoad(up, CONCURRENCY, warm, userGet);
const rbacFew = await runLoad(up, CONCURRENCY, DURATION_MS, userGet);
const t0bind = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = w; i < 1000; i += CONCURRENCY)
      if (i > 0)
        await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${i}` } });
  }),
);
await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = w; i < 10_000; i += CONCURRENCY) {
      const ns = `ns-${i % 1000}`;
      await post(
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
        binding(ns, `rb-${i}`, `user-${i}`),
      );
    }
  }),
);
const bindSeconds = (performance.now() - t0bind) / 1000;
await new Promise((r) => setTimeout(r, 500));
await runLoad(up, CONCURRENCY, warm, userGet);
const rbacMany = await runLoad(up, CONCURRENCY, DURATION_MS, userGet);
await up.close();
await p.close();
const rbacRatio = rbacMany.rps / rbacFew.rps;

const ratio = get.rps / bare.rps;
const rows: [string, string, string, string][] = [
  [
    'GET one ConfigMap (req/s)',
    `${f(get.rps)} (p99 ${f(get.p99, 1)} ms)`,
    `bare fastify ${f(bare.rps)} (p99 ${f(bare.p99, 1)} ms) → ${f(ratio * 100, 1)}%`,
    `>= 50% of bare: ${ratio >= 0.5 ? 'PASS' : 'FAIL'}`,
  ],
  [
    'CREATE ConfigMap (req/s)',
    `${f(create.rps)} (p50 ${f(create.p50, 1)} ms, p99 ${f(create.p99, 1)} ms)`,
    '',
    `p99 < 50 ms: ${create.p99 < 50 ? 'PASS' : 'FAIL'}`,
  ],
  [
    `${f(WATCHES)} idle watches`,
    `${f(watches.opened)} open in ${f(openSeconds, 1)} s (${watches.failed} failed); RSS ${f(rssWatching)} MB (${f(rssBefore)} MB before)`,
    '',
    `< 300 MB: ${rssWatching < 300 && watches.opened === WATCHES ? 'PASS' : 'FAIL'}`,
  ],
  [
    'one event fanned out',
    `${f(delays.length)} received; p50 ${f(pct(delays, 50))} ms, p99 ${f(pct(delays, 99))} ms, max ${f(pct(delays, 100))} ms`,
    '',
    `all in < 1 s: ${delays.length === WATCHES && pct(delays, 100) < 1000 ? 'PASS' : 'FAIL'}`,
  ],
  [
    'Authorized GETs, 10,000 RoleBindings vs 3',
    `${f(rbacMany.rps)} vs ${f(rbacFew.rps)} req/s (p99 ${f(rbacMany.p99, 1)} vs ${f(rbacFew.p99, 1)} ms); 10,000 bindings + 1,000 namespaces created in ${f(bindSeconds, 1)} s`,
    `${f(rbacRatio * 100, 1)}%`,
    `>= 90%: ${rbacRatio >= 0.9 ? 'PASS' : 'FAIL'}`,
  ],
];
process.stdout.write(
  `mkube apiserver benchmark — HTTP/1.1 keep-alive, ${CONCURRENCY} connections, ${DURATION_MS / 1000} s per row, client-cert TLS, --authorization-mode=RBAC; watches over 10 HTTP/2 sessions\n\n`,
);
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
const w2 = Math.max(...rows.map((r) => r[2].length));
for (const r of rows) process.stdout.write(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2].padEnd(w2)}  ${r[3]}\n`);
const errs = [get, create, bare, rbacFew, rbacMany].filter((r) => r.errors > 0);
if (errs.length) process.stdout.write(`\nerrors: ${errs.map((r) => `${r.errors} (${r.firstError})`).join('; ')}\n`);
process.stdout.write(`\nreproduce: npm run bench:apiserver   (BENCH_DURATION_MS, BENCH_WATCHES to change the run)\n`);
for (const c of children) c.kill('SIGTERM');
process.exit(0);
