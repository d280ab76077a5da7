// bench:store — writes/s and reads/s through the apiserver on each store (SQLite; etcd with one
// member; etcd with three members), next to what the etcd3 client itself gets from the same etcd
// in the same run (the baseline: an apiserver write is one etcd txn plus HTTP, TLS, authn, authz,
// admission and JSON, so the ratio says what the apiserver costs over the store).
//
//   npm run bench:store [-- --seconds 5 --rounds 3 --concurrency 64 --stores sqlite,etcd1,etcd3]
//
// Target (issue 8): the apiserver on etcd delivers >= 50 % of the raw client's put rate.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { Etcd3 } from 'etcd3';
import { initPki } from '../../cli/src/pki/init.ts';
import { type EtcdMember, type RunningEtcdCluster, startEtcdCluster } from '../../cli/src/up/etcd.ts';
import { benchWork, cpuSeconds, f, freePort, ROOT, until } from '../../shared/bench/controlplane.ts';
import { pool, runLoad, type Tls } from './load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    // Rounds of (raw put, apiserver create, raw range, apiserver GET) on the same etcd; the ratio
    // is the median of the rounds' ratios, each taken between neighbouring phases.
    rounds: { type: 'string', default: '3' },
    // For profiling one store: --stores etcd1 (of sqlite,etcd1,etcd3).
    stores: { type: 'string', default: 'sqlite,etcd1,etcd3' },
    concurrency: { type: 'string', default: '64' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const WARM_MS = 1000;
if (
  !(SECONDS > 0 && SECONDS <= 60) ||
  !(CONCURRENCY > 0 && CONCURRENCY <= 512) ||
  !(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 9)
) {
  process.stderr.write('bench:store: --seconds must be in (0, 60], --concurrency in (0, 512] and --rounds in 1..9\n');
  process.exit(1);
}

const w = benchWork('store', 15 * 60_000);
const etcds: RunningEtcdCluster[] = [];
process.on('exit', () => {
  for (const c of etcds) for (const d of c.daemons) d.proc.kill('SIGKILL');
});

// A ConfigMap as kubectl would create it (about 400 bytes of JSON), the value etcd stores.
const configMap = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', labels: { app: 'bench', tier: 'store' } },
    data: { 'config.yaml': 'x'.repeat(256) },
  });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  store: string;
  /** Per round. */
  rawPut: number[];
  rawGet: number[];
  create: number[];
  createP99: number[];
  get: number[];
  getP99: number[];
  /** Apiserver CPU per create (µs), over every create phase. */
  createCpuUs: number;
  /** CPU seconds of the apiserver, the etcd members and this (the load) process during the apiserver phases. */
  apiCpu: number;
  etcdCpu?: number;
  loadCpu: number;
  errors: number;
}

/** The etcd3 package's own Put and Range loops against `cluster`: the baseline. */
async function rawClient(cluster: RunningEtcdCluster, tls: { ca: string; cert: string; key: string }, tag: string) {
  const client = new Etcd3({
    hosts: [...cluster.clientUrls],
    credentials: {
      rootCertificate: Buffer.from(tls.ca),
      certChain: Buffer.from(tls.cert),
      privateKey: Buffer.from(tls.key),
    },
  });
  const value = Buffer.from(configMap('raw'));
  const loop = async (ms: number, op: (i: number) => Promise<unknown>) => {
    let n = 0;
    const end = performance.now() + ms;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, wkr) => {
        for (let i = 0; performance.now() < end; i++) {
          await op(wkr * 1_000_000 + i);
          n++;
        }
      }),
    );
    return n / ((performance.now() - t0) / 1000);
  };
  let round = 0;
  const put = (ms: number) => {
    const r = round++;
    return loop(ms, (i) => client.kv.put({ key: Buffer.from(`/bench/${tag}/${r}/${i}`), value }));
  };
  await client.put(`/bench/${tag}/warm`).value(value);
  return {
    put,
    range: (ms: number) => loop(ms, () => client.kv.range({ key: Buffer.from(`/bench/${tag}/warm`) })),
    close: () => client.close(),
  };
}

type RawClient = Awaited<ReturnType<typeof rawClient>>;

async function storeRates(
  name: string,
  storeArgs: string[],
  tls: Tls,
  pkiDir: string,
  etcd?: { cluster: RunningEtcdCluster; raw: RawClient },
): Promise<Omit<Row, 'store'>> {
  const etcdCpu = () => (etcd ? etcd.cluster.daemons.reduce((t, d) => t + cpuSeconds(d.proc.pid), 0) : 0);
  const port = await freePort();
  const origin = `https://127.0.0.1:${port}`;
  const p = (x: string) => join(pkiDir, x);
  // BENCH_CPU_PROF=<dir> writes the apiservers' V8 CPU profiles there.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const api: ChildProcess = w.start(`apiserver-${name}`, [
    process.execPath,
    ...prof,
    join(ROOT, 'cli/bin/mkube.js'),
    'apiserver',
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    `--tls-cert-file=${p('apiserver.crt')}`,
    `--tls-private-key-file=${p('apiserver.key')}`,
    `--client-ca-file=${p('ca.crt')}`,
    '--authorization-mode=Node,RBAC',
    '--etcd-compaction-interval=0',
    ...storeArgs,
  ]);
  const http = pool(origin, tls, CONCURRENCY);
  const row: Omit<Row, 'store'> = {
    rawPut: [],
    rawGet: [],
    create: [],
    createP99: [],
    get: [],
    getP99: [],
    createCpuUs: 0,
    apiCpu: 0,
    etcdCpu: etcd ? 0 : undefined,
    loadCpu: 0,
    errors: 0,
  };
  try {
    await until(`apiserver on ${name} ready`, 60_000, async () => {
      const r = await http.request({ method: 'GET', path: '/readyz' });
      const body = await r.body.text();
      return body === 'ok' ? true : undefined;
    }).catch((e) => {
      throw new Error(`${e.message}\n${w.logTail(`apiserver-${name}`)}`);
    });
    const creates = (round: number | 'w', ms: number) =>
      runLoad(http, CONCURRENCY, ms, (wkr, i) => ({
        method: 'POST',
        path: '/api/v1/namespaces/default/configmaps',
        body: configMap(`cm-${round}-${wkr}-${i}`),
      }));
    const gets = (ms: number) =>
      runLoad(http, CONCURRENCY, ms, () => ({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/cm-w-0-0' }));
    // Warm-up, not counted: both sides compiled and connected before the first measured phase.
    await creates('w', WARM_MS).then(() => gets(WARM_MS));
    if (etcd) await etcd.raw.put(WARM_MS).then(() => etcd.raw.range(WARM_MS));
    let createCpu = 0;
    let created = 0;
    const apiPhase = async <T>(run: () => Promise<T>): Promise<{ result: T; cpu: number }> => {
      const cpu0 = cpuSeconds(api.pid);
      const etcd0 = etcdCpu();
      const load0 = process.cpuUsage();
      const result = await run();
      const cpu = cpuSeconds(api.pid) - cpu0;
      const load = process.cpuUsage(load0);
      row.apiCpu += cpu;
      if (row.etcdCpu !== undefined) row.etcdCpu += etcdCpu() - etcd0;
      row.loadCpu += (load.user + load.system) / 1e6;
      return { result, cpu };
    };
    for (let round = 0; round < ROUNDS; round++) {
      if (etcd) row.rawPut.push(await etcd.raw.put(SECONDS * 1000));
      const c = await apiPhase(() => creates(round, SECONDS * 1000));
      if (etcd) row.rawGet.push(await etcd.raw.range(SECONDS * 1000));
      const g = await apiPhase(() => gets(SECONDS * 1000));
      createCpu += c.cpu;
      created += c.result.requests;
      row.create.push(c.result.rps);
      row.createP99.push(c.result.p99);
      row.get.push(g.result.rps);
      row.getP99.push(g.result.p99);
      row.errors += c.result.errors + g.result.errors;
      const firstError = c.result.firstError ?? g.result.firstError;
      if (firstError) process.stderr.write(`  ${name}: first error: ${firstError}\n`);
      process.stdout.write(
        `    round ${round + 1}: creates ${f(c.result.rps)}/s${etcd ? ` vs raw puts ${f(row.rawPut[round]!)}/s` : ''}, GETs ${f(g.result.rps)}/s${etcd ? ` vs raw ranges ${f(row.rawGet[round]!)}/s` : ''}\n`,
      );
    }
    row.createCpuUs = (1e6 * createCpu) / Math.max(1, created);
    return row;
  } finally {
    await http.close();
    api.kill('SIGTERM');
    await new Promise((r) => (api.exitCode !== null ? r(null) : api.once('exit', r)));
  }
}

async function main(): Promise<void> {
  await initPki({
    dir: w.dir,
    keyType: 'ecdsa-p256',
    identity: {
      nodeName: 'bench',
      hostName: 'bench',
      advertiseAddress: '127.0.0.1',
      firstServiceIp: '10.96.0.1',
      extraSans: [],
    },
    server: 'https://127.0.0.1:6443',
    log: () => {},
  });
  const pkiDir = join(w.dir, 'pki');
  const admin = await resolveCredentials(await loadKubeconfig(join(w.dir, 'admin.conf')));
  const tls: Tls = { ca: admin.caPem!, cert: admin.clientCertPem!, key: admin.clientKeyPem! };
  const etcdTls = {
    ca: readFileSync(join(pkiDir, 'etcd/ca.crt'), 'utf8'),
    cert: readFileSync(join(pkiDir, 'apiserver-etcd-client.crt'), 'utf8'),
    key: readFileSync(join(pkiDir, 'apiserver-etcd-client.key'), 'utf8'),
  };
  const etcdFlags = (c: RunningEtcdCluster) => [
    `--etcd-servers=${c.clientUrls.join(',')}`,
    `--etcd-cafile=${join(pkiDir, 'etcd/ca.crt')}`,
    `--etcd-certfile=${join(pkiDir, 'apiserver-etcd-client.crt')}`,
    `--etcd-keyfile=${join(pkiDir, 'apiserver-etcd-client.key')}`,
  ];
  process.stdout.write(
    `bench:store — ${ROUNDS} rounds of ${SECONDS} s per phase (after ${WARM_MS / 1000} s of warm-up), ${CONCURRENCY} requests in flight; ConfigMaps of ${configMap('cm-0-0').length} bytes; RBAC on\n`,
  );
  const rows: Row[] = [];

  const only = new Set(values.stores.split(','));
  if (only.has('sqlite')) {
    process.stdout.write('  SQLite …\n');
    rows.push({
      store: 'SQLite',
      ...(await storeRates('sqlite', [`--data-dir=${join(w.dir, 'sqlite')}`], tls, pkiDir)),
    });
  }

  for (const [label, count] of [
    ['etcd, 1 member', 1],
    ['etcd, 3 members', 3],
  ] as const) {
    if (!only.has(`etcd${count}`)) continue;
    process.stdout.write(`  ${label} …\n`);
    const ports = await Promise.all(Array.from({ length: count * 2 }, () => freePort()));
    const members: EtcdMember[] = Array.from({ length: count }, (_, i) => ({
      name: `etcd${i}`,
      clientUrl: `https://127.0.0.1:${ports[2 * i]}`,
      peerUrl: `https://127.0.0.1:${ports[2 * i + 1]}`,
    }));
    const cluster = await startEtcdCluster({ pkiDir, dataDir: join(w.dir, `etcd-${count}`), members });
    etcds.push(cluster);
    const raw = await rawClient(cluster, etcdTls, `raw${count}`);
    try {
      rows.push({
        store: label,
        ...(await storeRates(`etcd${count}`, etcdFlags(cluster), tls, pkiDir, { cluster, raw })),
      });
    } finally {
      raw.close();
      await cluster.stop();
    }
  }

  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const range = (xs: readonly number[], digits = 0) =>
    xs.length === 0 ? '—' : `${f(Math.min(...xs), digits)}–${f(Math.max(...xs), digits)}`;
  const ratios = (r: Row) => r.create.map((c, i) => c / r.rawPut[i]!);
  const out = [
    '',
    line([
      'store',
      'apiserver creates/s (p99 ms; its CPU per create)',
      'etcd3 client puts/s',
      'ratio: median (rounds)',
      'apiserver GETs/s (p99 ms)',
      'etcd3 client ranges/s',
      'CPU s: apiserver / etcd / load',
    ]),
    line(['---', '---', '---', '---', '---', '---', '---']),
    ...rows.map((r) =>
      line([
        r.store,
        `${range(r.create)} (${range(r.createP99, 1)}; ${f(r.createCpuUs)} µs CPU)`,
        range(r.rawPut),
        r.rawPut.length
          ? `${f(100 * median(ratios(r)))} % (${ratios(r)
              .map((x) => f(100 * x))
              .join(', ')})`
          : '—',
        `${range(r.get)} (${range(r.getP99, 1)})`,
        range(r.rawGet),
        `${f(r.apiCpu, 1)} / ${r.etcdCpu === undefined ? '—' : f(r.etcdCpu, 1)} / ${f(r.loadCpu, 1)}`,
      ]),
    ),
    '',
  ];
  for (const r of rows) {
    if (r.errors) out.push(`${r.store}: ${r.errors} requests failed`);
  }
  for (const r of rows.filter((x) => x.rawPut.length)) {
    const ratio = median(ratios(r));
    out.push(
      `${r.store}: apiserver creates at ${f(100 * ratio)} % of the raw put rate (median of ${r.rawPut.length} rounds) — target >= 50 %: ${ratio >= 0.5 ? 'met' : 'MISSED'}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench:store failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
