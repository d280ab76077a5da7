// npm run bench:scale -- --nodes N — N kubelet identities join one apiserver and one
// controller-manager (processes) at once, many per process, with the kubelet's own code: each
// generates its key, posts its client CSR with the bootstrap token, watches it, switches to its
// certificate, registers its Node, posts its serving CSR, waits for it, reports Ready and renews
// its Lease every 10 s. Prints time to all Ready, joins/s, p50/p99 join latency, the daemons' peak
// RSS and CPU, requests by verb, the steady-state cost of N leases — and, in the same run, the
// baselines: a bare fastify HTTPS GET rate, raw crypto.sign, and `cfssl serve` when installed.
// Bounded: a global time guard; everything is stopped and removed on exit.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Node } from '@mkube/shared/api';
import type { HttpMethod } from '@mkube/shared/client';
import {
  ClientError,
  type ClientOptions,
  KubeClient,
  type RequestOptions,
  type WatchRequestOptions,
} from '@mkube/shared/client';
import { createLogger } from '@mkube/shared/log';
import { createCsrPem, generateKeyPair } from '@mkube/shared/pki';
import { pool, runLoad } from '../../apiserver/bench/load.ts';
import { startEtcdFixture } from '../../apiserver/test/storage/etcd-fixture.ts';
import { measureCfssl } from '../../shared/bench/cfssl.ts';
import {
  apiserverRequests,
  benchWork,
  countsSince,
  cpuSeconds,
  f,
  mainThreadCpuSeconds,
  notSuccessful,
  pct,
  peakRssMb,
  startBareServer,
  startControlPlane,
  summarise,
  total,
  until,
} from '../../shared/bench/controlplane.ts';
import { CertificateManager } from '../src/certificate/manager.ts';
import { CertificateFileStore, type StoredPair } from '../src/certificate/store.ts';
import { clientTemplate, servingTemplate } from '../src/kubelet.ts';
import { NodeLease } from '../src/nodelease/lease.ts';
import { runHeartbeat } from '../src/nodestatus/heartbeat.ts';
import { NodeStatusManager } from '../src/nodestatus/node.ts';

const { values: argv } = parseArgs({
  options: {
    nodes: { type: 'string', default: process.env.BENCH_NODES ?? '1000' },
    steady: { type: 'string', default: '30' },
    // Identities joined (and stopped) before the measured N: 1 syncs the caches; a few hundred also
    // let V8 optimise the hot code, as in an apiserver that has been serving for a while.
    warmup: { type: 'string', default: '1' },
    // The apiserver's store: sqlite, or etcd (one member started here, mutual TLS).
    store: { type: 'string', default: 'sqlite' },
    // Where the kubelets' certificate files go: disk (the one the apiserver's store uses) or tmpfs.
    'node-files': { type: 'string', default: process.env.BENCH_NODE_FILES ?? 'disk' },
  },
});
const N = Number(argv.nodes);
const STEADY_S = Number(argv.steady);
const w = benchWork('scale', Math.max(300_000, N * 400));
// Each real kubelet writes and fsyncs its certificate files on its own machine's disk; here N of them
// share the one disk the apiserver's store uses. --node-files tmpfs puts their folders on /dev/shm
// instead (the same kubelet code and system calls, without N machines' flushes on one disk), to see
// what that sharing costs; in paired runs on 2026-12-07 it was inside the noise.
if (argv['node-files'] !== 'tmpfs' && argv['node-files'] !== 'disk') throw new Error('--node-files: tmpfs or disk');
const onTmpfs = argv['node-files'] === 'tmpfs' && existsSync('/dev/shm');
const nodesRoot = onTmpfs ? mkdtempSync(join('/dev/shm', 'mkube-bench-nodes-')) : join(w.dir, 'nodes');
if (onTmpfs) process.on('exit', () => rmSync(nodesRoot, { recursive: true, force: true }));
const quiet = createLogger({ name: 'kubelet', destination: { write: () => undefined } as never });

// Requests by verb, counted where the kubelets send them, and those that got no answer at all
// (timeouts, resets: the client retries them) by what failed.
const byVerb = new Map<string, number>();
const unanswered = new Map<string, number>();
class CountingClient extends KubeClient {
  override request<T = unknown>(method: HttpMethod, path: string, opts?: RequestOptions): Promise<T> {
    const verb =
      method === 'GET'
        ? /\/(certificatesigningrequests|pods|nodes|leases)(\?|$)/.test(path)
          ? 'list'
          : 'get'
        : method === 'POST'
          ? 'create'
          : method === 'PUT'
            ? 'update'
            : method.toLowerCase();
    byVerb.set(verb, (byVerb.get(verb) ?? 0) + 1);
    return super.request<T>(method, path, opts).catch((e: unknown) => {
      if (e instanceof ClientError) {
        // Go's `Post "<url>": <cause>`: the cause, without the URL.
        const why = `${verb}: ${e.message.replace(/^\w+ "[^"]*": /, '')}`;
        unanswered.set(why, (unanswered.get(why) ?? 0) + 1);
      }
      throw e;
    });
  }
  override watch<T>(path: string, opts?: WatchRequestOptions) {
    byVerb.set('watch', (byVerb.get('watch') ?? 0) + 1);
    return super.watch<T>(path, opts);
  }
}

if (argv.store !== 'sqlite' && argv.store !== 'etcd') throw new Error('--store: sqlite or etcd');
const etcd = argv.store === 'etcd' ? await startEtcdFixture(1) : undefined;
process.on('exit', () => {
  for (const d of etcd?.cluster.daemons ?? []) d.proc.kill('SIGKILL');
});
const cp = await startControlPlane(w, { apiserverArgs: etcd?.apiserverFlags() ?? [] });
const token = 'scale0.0123456789abcdef';
await cp.createBootstrapToken('scale0', '0123456789abcdef');
const base = {
  server: cp.origin,
  caPem: cp.caPem,
  userAgent: 'kubelet/v1.33.0-mkube (bench:scale)',
} satisfies ClientOptions;

interface Joined {
  readonly ms: number;
}

/** One kubelet identity: the real certificate managers, node status and lease code. */
function identity(i: number, stopAll: AbortSignal, started: number): Promise<Joined> {
  // Its own stop signal, as a real kubelet has its process': every sleep and request adds a listener
  // to it, and EventTarget walks all of a signal's listeners on each add.
  const own = new AbortController();
  stopAll.addEventListener('abort', () => own.abort(), { once: true });
  const stop = own.signal;
  const name = `scale-${i}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  // The certificate stores create it (as the kubelet's do): a synchronous mkdir per identity here
  // held up all N starts by half a second at N = 1,000.
  const dir = join(nodesRoot, name);
  let client: CountingClient | undefined;
  let bootstrap: CountingClient | undefined = new CountingClient({ ...base, token, connections: 1 });
  let serving: StoredPair | undefined;
  let registered = false;
  let clientReady!: () => void;
  const ready = new Promise<void>((r) => {
    clientReady = r;
  });
  const clientMgr = new CertificateManager({
    name: 'client',
    store: new CertificateFileStore(dir, 'kubelet-client', quiet),
    template: () => clientTemplate(name),
    client: () => client ?? bootstrap!,
    rotate: true,
    log: quiet,
    onCertificate: (pair) => {
      client = new CountingClient({ ...base, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem, connections: 1 });
      const b = bootstrap;
      bootstrap = undefined;
      void b?.close();
      clientReady();
    },
  });
  const servingMgr = new CertificateManager({
    name: 'serving',
    store: new CertificateFileStore(dir, 'kubelet-server', quiet),
    template: () => (registered ? servingTemplate(name, [ip]) : undefined),
    client: () => client!,
    rotate: true,
    log: quiet,
    onCertificate: (pair) => {
      serving = pair;
    },
  });
  const nodeStatus = new NodeStatusManager(() => client!, {
    nodeName: name,
    nodeIPs: [ip],
    labels: {},
    port: () => 10250,
    ready: () => ({
      ok: serving !== undefined,
      message: serving ? 'kubelet is posting ready status' : 'no serving certificate yet',
    }),
    log: quiet,
  });
  return new Promise<Joined>((resolve, reject) => {
    void (async () => {
      await clientMgr.start();
      await ready;
      await runHeartbeat({
        nodeName: name,
        nodeStatus,
        lease: new NodeLease(() => client!, name, 40),
        leaseEveryMs: 10_000,
        statusEveryMs: 60_000,
        ready: () => serving !== undefined,
        log: quiet,
        signal: stop,
        onRegistered: async () => {
          registered = true;
          await servingMgr.start();
          servingMgr.kick();
        },
        onReady: () => resolve({ ms: performance.now() - started }),
      });
      await clientMgr.stop();
      await servingMgr.stop();
      await client?.close();
    })().catch(reject);
  });
}

// Warm-up: identities through the whole path (caches synced, code compiled), not counted.
const WARMUP = Math.max(1, Number(argv.warmup));
const warmStop = new AbortController();
setMaxListeners(WARMUP + 100, warmStop.signal);
await until(`${WARMUP} warm-up nodes Ready`, 120_000, async () => {
  const t = performance.now();
  const done = await Promise.all(Array.from({ length: WARMUP }, (_, k) => identity(1_000_000 + k, warmStop.signal, t)));
  return done.every((j) => j.ms > 0) ? true : undefined;
}).catch((e) => {
  throw new Error(`${e.message}\n${w.logTail('controller-manager')}`);
});
warmStop.abort();
byVerb.clear();
unanswered.clear();

process.stdout.write(`bench:scale: ${N} kubelets joining at once…\n`);
const stop = new AbortController();
// One signal for N heartbeats: each holds a listener while it sleeps.
setMaxListeners(N + 100, stop.signal);
const api0 = cpuSeconds(cp.api.pid);
const kcm0 = cpuSeconds(cp.kcm.pid);
const self0 = process.cpuUsage();
const apiMain0 = mainThreadCpuSeconds(cp.api.pid);
const kcmMain0 = mainThreadCpuSeconds(cp.kcm.pid);
const selfMain0 = mainThreadCpuSeconds();
const apiReq0 = await apiserverRequests(cp.admin);
// The load generator's own event loop: N kubelets in one process stall it where N processes would not,
// and a stall holds up handshakes and fires their timeouts.
const LOOP_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
/** The histogram holds the time between its timer's ticks: what exceeds the tick is the delay. */
const lateMs = (ns: number) => f(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));
loopDelay.enable();
const t0 = performance.now();
const joins = await Promise.all(Array.from({ length: N }, (_, i) => identity(i, stop.signal, t0)));
const allReadyS = (performance.now() - t0) / 1000;
loopDelay.disable();
const apiJoinCpu = cpuSeconds(cp.api.pid) - api0;
const kcmJoinCpu = cpuSeconds(cp.kcm.pid) - kcm0;
const selfJoin = process.cpuUsage(self0);
const apiMain = mainThreadCpuSeconds(cp.api.pid) - apiMain0;
const kcmMain = mainThreadCpuSeconds(cp.kcm.pid) - kcmMain0;
const selfMain = mainThreadCpuSeconds() - selfMain0;
const verbsAtJoin = new Map(byVerb);
const unansweredAtJoin = [...unanswered].sort((a, b) => b[1] - a[1]);
const apiReqJoin = countsSince(apiReq0, await apiserverRequests(cp.admin));
// BENCH_REQUESTS=1: every apiserver request kind of the join, per node, largest first.
if (process.env.BENCH_REQUESTS) {
  for (const [k, n] of [...apiReqJoin].sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  ${k.padEnd(60)} ${String(n).padStart(7)}  ${f(n / N, 2)} per node\n`);
  }
}
process.stdout.write(
  `bench:scale: all ${N} Ready in ${f(allReadyS, 2)} s; ${STEADY_S} s of steady state, then the baselines…\n`,
);
const lat = joins.map((j) => j.ms);

// A Ready node takes pods once the node controller has lifted the not-ready:NoSchedule taint
// TaintNodesByCondition registered it with: the steady state starts after that (bounded).
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const stillTainted = async () =>
  (await cp.admin.resource<Node>(NODES).list()).items.filter((n) =>
    (n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready'),
  ).length;
let tainted = await stillTainted();
const untaintDeadline = performance.now() + 120_000;
while (tainted > 0 && performance.now() < untaintDeadline) {
  await new Promise((r) => setTimeout(r, 500));
  tainted = await stillTainted();
}
const untaintedS = (performance.now() - t0) / 1000;

// Steady state: N leases renewed every 10 s (N/10 writes/s); the apiserver's CPU over the window.
byVerb.clear();
const api1 = cpuSeconds(cp.api.pid);
const s0 = performance.now();
await new Promise((r) => setTimeout(r, STEADY_S * 1000));
const steadyS = (performance.now() - s0) / 1000;
const apiSteadyCore = (cpuSeconds(cp.api.pid) - api1) / steadyS;
const steadyWrites = (byVerb.get('update') ?? 0) / steadyS;
// The target is the cost of 100 writes/s. A window catches whichever renewals fall due in it (they follow
// the nodes' join times, 10 s apart), so its core share is scaled to 100 writes/s before the verdict.
const steadyPer100 = steadyWrites > 0 ? (apiSteadyCore * 100) / steadyWrites : Number.NaN;
const apiRss = peakRssMb(cp.api.pid);
const kcmRss = peakRssMb(cp.kcm.pid);
stop.abort();

// ---- baselines, same run -------------------------------------------------------------------------
const clientCert = await cp.leaf('bench', [], ['client auth']);
const { origin: bareOrigin, proc: bareProc } = await startBareServer(
  w,
  cp,
  '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"bench"}}',
);
const bp = pool(bareOrigin, { ca: cp.caPem, cert: clientCert.cert, key: clientCert.key }, 50);
await until('bare server', 20_000, async () =>
  (await runLoad(bp, 1, 50, () => ({ method: 'GET', path: '/' }))).requests > 0 ? true : undefined,
);
const bare = await runLoad(bp, 50, 3000, () => ({ method: 'GET', path: '/' }));
await bp.close();
bareProc.kill('SIGTERM');
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
let signs = 0;
const sEnd = performance.now() + 1000;
while (performance.now() < sEnd) {
  createSign('SHA256').update('x'.repeat(512)).sign(privateKey);
  signs++;
}
// cfssl serve signing kubelet client CSRs (made here, not timed) with the same CA and concurrency.
const CFSSL_CSRS = Math.min(N, 1000);
const cfsslPems: string[] = [];
for (let i = 0; i <= CFSSL_CSRS; i++) {
  const key = await generateKeyPair();
  cfsslPems.push(await createCsrPem(key, { commonName: `system:node:cfssl-${i}`, organizations: ['system:nodes'] }));
}
const cfssl = await measureCfssl(w, cp, cfsslPems[CFSSL_CSRS]!, cfsslPems.slice(0, CFSSL_CSRS), 64);

// ---- report ------------------------------------------------------------------------------------
const joinsPerS = N / allReadyS;
const rows: [string, string, string][] = [
  ['all Ready', `${f(allReadyS, 2)} s`, 'target ≤ 10 s at N = 1,000'],
  [
    'all untainted',
    tainted === 0 ? `${f(untaintedS, 2)} s` : `${tainted} still tainted after ${f(untaintedS, 1)} s`,
    'the node controller lifts not-ready:NoSchedule from each Ready node; steady state starts after',
  ],
  ['joins/s', `${f(joinsPerS)}`, `target ≥ 100/s; kwok creates ~20 nodes/s without TLS (${f(joinsPerS / 20, 1)}×)`],
  ['join latency p50 / p99', `${f(pct(lat, 50))} / ${f(pct(lat, 99))} ms`, 'target p99 ≤ 5 s'],
  ['apiserver peak RSS', `${f(apiRss)} MB`, 'target ≤ 400 MB at N = 1,000'],
  ['controller-manager peak RSS', `${f(kcmRss)} MB`, ''],
  [
    'CPU during the join',
    `apiserver ${f(apiJoinCpu, 1)} s, controller-manager ${f(kcmJoinCpu, 1)} s, kubelets ${f((selfJoin.user + selfJoin.system) / 1e6, 1)} s`,
    '',
  ],
  [
    '  of which main threads',
    `apiserver ${f(apiMain, 1)} s (${f((100 * apiMain) / allReadyS)} % of the time), controller-manager ${f(kcmMain, 1)} s, kubelets ${f(selfMain, 1)} s`,
    'the rest: V8 compiler and GC threads, libuv pool',
  ],
  [
    'kubelets’ certificate files',
    onTmpfs ? `tmpfs (${nodesRoot.replace(/-[^-/]*$/, '-…')})` : `disk (${nodesRoot})`,
    onTmpfs
      ? 'standing in for each node’s own disk (--node-files tmpfs)'
      : 'the disk the apiserver’s store uses; --node-files tmpfs for /dev/shm',
  ],
  [
    'kubelets’ event loop delay',
    `p50 ${lateMs(loopDelay.percentile(50))} ms, p99 ${lateMs(loopDelay.percentile(99))} ms, max ${lateMs(loopDelay.max)} ms`,
    'the load generator’s own stalls (N kubelets share one process)',
  ],
  [
    'requests during the join',
    [...verbsAtJoin]
      .sort()
      .map(([v, n]) => `${v} ${n}`)
      .join(', '),
    `${f([...verbsAtJoin.values()].reduce((a, b) => a + b, 0) / allReadyS)} req/s`,
  ],
  [
    '  of which got no answer',
    unansweredAtJoin.length ? unansweredAtJoin.map(([why, n]) => `${f(n)} ${why}`).join('; ') : 'none',
    'failed before any HTTP status (the kubelet retries them)',
  ],
  [
    'apiserver requests during the join',
    summarise(apiReqJoin, (k) => k.split(' ')[0]!),
    `${f(total(apiReqJoin) / allReadyS)} req/s, ${f(total(apiReqJoin) / N, 1)} per node (the controller-manager's included)`,
  ],
  [
    '  of which not 2xx',
    notSuccessful(apiReqJoin),
    'a 404 is a lookup before a create (as in upstream’s lease controller); a 409 or 429 is work done again',
  ],
  [
    'steady state',
    `${f(steadyWrites)} lease writes/s`,
    `apiserver ${f(apiSteadyCore * 100, 1)} % of one core = ${Number.isFinite(steadyPer100) ? f(steadyPer100 * 100, 1) : '–'} % per 100 writes/s (target ≤ 25 %)${STEADY_S < 10 ? '; a window under 10 s also holds the join’s tail' : ''}`,
  ],
  ['baseline: bare fastify HTTPS GET', `${f(bare.rps)} req/s`, 'same machine, same run'],
  [
    'baseline: raw crypto.sign (P-256)',
    `${f(signs)} signs/s`,
    `the join needs 2 signatures per node: ${f(joinsPerS * 2)} /s = ${f(((joinsPerS * 2) / signs) * 100, 1)} % of raw`,
  ],
  [
    'baseline: cfssl serve',
    Number.isFinite(cfssl.rate) ? `${f(cfssl.rate)} signs/s` : 'skipped',
    Number.isFinite(cfssl.rate)
      ? `${cfssl.signed} CSRs signed, nothing else; the join issued ${f(joinsPerS * 2)} certificates/s (2 per node) = ${f((joinsPerS * 2) / cfssl.rate, 2)}×`
      : cfssl.note.split('\n')[0]!,
  ],
];
const wd = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
process.stdout.write(
  `\nbench:scale — N = ${N} kubelets, one apiserver (${etcd ? 'etcd, one member' : 'SQLite'}), one controller-manager, 2 cores, loopback, after ${WARMUP} warm-up node${WARMUP === 1 ? '' : 's'}\n\n`,
);
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(wd[i]!)).join('  ')}\n`);
// The targets are set at N = 1,000: a smaller or larger run reports its figures without a verdict.
process.stdout.write(
  N === 1000
    ? `\nN = 1,000 targets: all Ready ≤ 10 s ${allReadyS <= 10 ? 'MET' : 'MISSED'}; p99 ≤ 5 s ${pct(lat, 99) <= 5000 ? 'MET' : 'MISSED'}; apiserver RSS ≤ 400 MB ${apiRss <= 400 ? 'MET' : 'MISSED'}; steady ≤ 25 % ${steadyPer100 <= 0.25 ? 'MET' : 'MISSED'}\n`
    : `\nThe targets apply at N = 1,000; this run had N = ${f(N)}.\n`,
);
await cp.stop();
await etcd?.stop();
process.exit(0);
