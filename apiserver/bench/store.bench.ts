// bench:store — writes/s and reads/s through the apiserver on each store (SQLite; etcd with one
// member; etcd with three members), next to what the etcd3 client itself gets from the same etcd
// in the same run (the baseline: an apiserver write is one etcd txn plus HTTP, TLS, authn, authz,
// admission and JSON, so the ratio says what the apiserver costs over the store).
//
//   npm run bench:store [-- --seconds 5 --concurrency 64]
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
    // For profiling one store: --stores etcd1 (of sqlite,etcd1,etcd3).
    stores: { type: 'string', default: 'sqlite,etcd1,etcd3' },
    concurrency: { type: 'string', default: '64' },
  },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
if (!(SECONDS > 0 && SECONDS <= 60) || !(CONCURRENCY > 0 && CONCURRENCY <= 512)) {
  process.stderr.write('bench:store: --seconds must be in (0, 60] and --concurrency in (0, 512]\n');
  process.exit(1);
}

const w = benchWork('store', 10 * 60_000);
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

interface Row {
  store: string;
  rawPut?: number;
  rawGet?: number;
  create: number;
  createP99: number;
  /** Apiserver CPU per create (µs). */
  createCpuUs: number;
  get: number;
  getP99: number;
  apiCpu: number;
  /** CPU seconds of the etcd members and of this (the load) process during the apiserver phases. */
  etcdCpu?: number;
  loadCpu: number;
  errors: number;
}

async function rawRates(cluster: RunningEtcdCluster, tls: { ca: string; cert: string; key: string }, tag: string) {
  const client = new Etcd3({
    hosts: [...cluster.clientUrls],
    credentials: {
      rootCertificate: Buffer.from(tls.ca),
      certChain: Buffer.from(tls.cert),
      privateKey: Buffer.from(tls.key),
    },
  });
  try {
    const value = configMap('raw');
    const loop = async (op: (i: number) => Promise<unknown>) => {
      let n = 0;
      const end = performance.now() + SECONDS * 1000;
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
    // Warm the channel(s) first.
    await client.put(`/bench/${tag}/warm`).value(value);
    const put = await loop((i) => client.kv.put({ key: Buffer.from(`/bench/${tag}/${i}`), value: Buffer.from(value) }));
    const get = await loop(() => client.kv.range({ key: Buffer.from(`/bench/${tag}/warm`) }));
    return { put, get };
  } finally {
    client.close();
  }
}

async function apiserverRates(
  name: string,
  storeArgs: string[],
  tls: Tls,
  pkiDir: string,
  etcd?: RunningEtcdCluster,
): Promise<Omit<Row, 'store'>> {
  const etcdCpu = () => (etcd ? etcd.daemons.reduce((t, d) => t + cpuSeconds(d.proc.pid), 0) : 0);
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
  try {
    await until(`apiserver on ${name} ready`, 60_000, async () => {
      const r = await http.request({ method: 'GET', path: '/readyz' });
      const body = await r.body.text();
      return body === 'ok' ? true : undefined;
    }).catch((e) => {
      throw new Error(`${e.message}\n${w.logTail(`apiserver-${name}`)}`);
    });
    const cpu0 = cpuSeconds(api.pid);
    const etcd0 = etcdCpu();
    const load0 = process.cpuUsage();
    const create = await runLoad(http, CONCURRENCY, SECONDS * 1000, (wkr, i) => ({
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      body: configMap(`cm-${wkr}-${i}`),
    }));
    const createCpu = cpuSeconds(api.pid) - cpu0;
    const get = await runLoad(http, CONCURRENCY, SECONDS * 1000, () => ({
      method: 'GET',
      path: '/api/v1/namespaces/default/configmaps/cm-0-0',
    }));
    const apiCpu = cpuSeconds(api.pid) - cpu0;
    const etcdUsed = etcdCpu() - etcd0;
    const load = process.cpuUsage(load0);
    if (create.firstError || get.firstError) {
      process.stderr.write(`  ${name}: first error: ${create.firstError ?? get.firstError}\n`);
    }
    return {
      create: create.rps,
      createP99: create.p99,
      createCpuUs: (1e6 * createCpu) / Math.max(1, create.requests),
      get: get.rps,
      getP99: get.p99,
      apiCpu,
      etcdCpu: etcd ? etcdUsed : undefined,
      loadCpu: (load.user + load.system) / 1e6,
      errors: create.errors + get.errors,
    };
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
    `bench:store — ${SECONDS} s per phase, ${CONCURRENCY} requests in flight; ConfigMaps of ${configMap('cm-0-0').length} bytes; RBAC on\n`,
  );
  const rows: Row[] = [];

  const only = new Set(values.stores.split(','));
  if (only.has('sqlite')) {
    process.stdout.write('  SQLite …\n');
    rows.push({
      store: 'SQLite',
      ...(await apiserverRates('sqlite', [`--data-dir=${join(w.dir, 'sqlite')}`], tls, pkiDir)),
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
    try {
      const raw = await rawRates(cluster, etcdTls, `raw${count}`);
      const api = await apiserverRates(`etcd${count}`, etcdFlags(cluster), tls, pkiDir, cluster);
      rows.push({ store: label, rawPut: raw.put, rawGet: raw.get, ...api });
    } finally {
      await cluster.stop();
    }
  }

  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out = [
    '',
    line([
      'store',
      'apiserver creates/s (p99 ms; its CPU per create)',
      'etcd3 client puts/s',
      'ratio',
      'apiserver GETs/s (p99 ms)',
      'etcd3 client ranges/s',
      'apiserver CPU s',
    ]),
    line(['---', '---', '---', '---', '---', '---', '---']),
    ...rows.map((r) =>
      line([
        r.store,
        `${f(r.create)} (${f(r.createP99, 1)}; ${f(r.createCpuUs)} µs CPU)`,
        r.rawPut ? f(r.rawPut) : '—',
        r.rawPut ? `${f((100 * r.create) / r.rawPut)} %` : '—',
        `${f(r.get)} (${f(r.getP99, 1)})`,
        r.rawGet ? f(r.rawGet) : '—',
        `${f(r.apiCpu, 1)} / ${r.etcdCpu === undefined ? '—' : f(r.etcdCpu, 1)} / ${f(r.loadCpu, 1)}`,
      ]),
    ),
    '',
  ];
  for (const r of rows) {
    if (r.errors) out.push(`${r.store}: ${r.errors} requests failed`);
  }
  for (const r of rows.filter((x) => x.rawPut)) {
    const ratio = r.create / r.rawPut!;
    out.push(
      `${r.store}: apiserver creates at ${f(100 * ratio)} % of the raw put rate — target >= 50 %: ${ratio >= 0.5 ? 'met' : 'MISSED'}`,
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
