// What a new client connection costs the apiserver, against a bare fastify HTTPS server with the same
// TLS setup in the same run: server CPU (from /proc) per new connection carrying one GET, with a
// bootstrap token and with a client certificate, and per GET on a kept connection. Every joining
// kubelet opens one connection of each kind, so this is the fixed part of a join.
import {
  benchWork,
  type ControlPlane,
  cpuSeconds,
  f,
  startBareServer,
  startControlPlane,
  until,
} from '../../shared/bench/controlplane.ts';
import { KubeClient } from '../../shared/src/client/index.ts';
import { measureTlsFloor } from './tlsfloor.ts';

const N = Number(process.env.BENCH_CONNECTIONS ?? 400);
const CONCURRENCY = 20;
const w = benchWork('connections', 300_000);
const cp: ControlPlane = await startControlPlane(w);
await cp.createBootstrapToken('conn00', '0123456789abcdef');
const TOKEN = 'conn00.0123456789abcdef';

process.stdout.write(`bench:connections: issuing ${N} node client certificates (not timed)…\n`);
const leaves: { cert: string; key: string }[] = [];
for (let i = 0; i < N; i++) leaves.push(await cp.leaf(`system:node:conn-${i}`, ['system:nodes'], ['client auth']));

const bare = await startBareServer(w, cp, '{"kind":"Node","apiVersion":"v1","metadata":{"name":"conn"}}');

interface Target {
  readonly name: string;
  readonly origin: string;
  readonly pid: number | undefined;
}
const targets: Target[] = [
  { name: 'apiserver', origin: cp.origin, pid: cp.api.pid },
  { name: 'bare fastify', origin: bare.origin, pid: bare.proc.pid },
];
const probe = new KubeClient({ server: targets[1]!.origin, caPem: cp.caPem });
await until('bare server', 20_000, async () => ((await probe.requestText('GET', '/')) ? true : undefined));
await probe.close();

type Kind = 'token' | 'cert';
const client = (t: Target, kind: Kind, i: number) =>
  kind === 'token'
    ? new KubeClient({ server: t.origin, caPem: cp.caPem, token: TOKEN, connections: 1 })
    : new KubeClient({
        server: t.origin,
        caPem: cp.caPem,
        clientCertPem: leaves[i]!.cert,
        clientKeyPem: leaves[i]!.key,
        connections: 1,
      });
// The Node authorizer lets system:node:conn-i read its own Node (404 here); the bootstrap token
// gets 403: both are complete requests through authentication and authorization.
const get = (c: KubeClient, i: number) => c.requestText('GET', `/api/v1/nodes/conn-${i}`).catch(() => undefined);

async function pool(fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) await fn(next++);
    }),
  );
}

/** Server CPU milliseconds per operation. */
/** The client's CPU (this process: KubeClient, TLS) per operation, against the apiserver. */
const clientMs: number[] = [];

async function measure(t: Target, fn: (i: number) => Promise<void>): Promise<number> {
  const c0 = cpuSeconds(t.pid);
  const self0 = process.cpuUsage();
  await pool(fn);
  const self = process.cpuUsage(self0);
  if (t.name === 'apiserver') clientMs.push((self.user + self.system) / 1000 / N);
  // Let the server finish closing the connections before reading its CPU.
  await new Promise((r) => setTimeout(r, 300));
  return ((cpuSeconds(t.pid) - c0) / N) * 1000;
}

const newConnection = (t: Target, kind: Kind) => async (i: number) => {
  const c = client(t, kind, i);
  await get(c, i);
  await c.close();
};

const results = new Map<string, number[]>();
for (const round of [0, 1]) {
  for (const t of targets) {
    const kept = client(t, 'cert', 0);
    const row = [
      await measure(t, newConnection(t, 'token')),
      await measure(t, newConnection(t, 'cert')),
      await measure(t, async () => {
        for (let k = 0; k < 10; k++) await get(kept, 0);
      }).then((ms) => ms / 10),
    ];
    await kept.close();
    // The first round compiles the code paths; the second is reported.
    if (round === 1) results.set(t.name, row);
  }
}
bare.proc.kill('SIGTERM');
await cp.stop();
// With both servers stopped: Node's own TLS, this process alone.
const floor = await measureTlsFloor(
  { caPem: cp.caPem, server: await cp.leaf('floor', [], ['server auth'], ['127.0.0.1']), client: leaves[0]! },
  N,
);

const api = results.get('apiserver')!;
const base = results.get('bare fastify')!;
const labels = [
  'new connection + GET, bootstrap token',
  'new connection + GET, client certificate',
  'GET on a kept connection',
];
process.stdout.write(
  `\nbench:connections — server CPU per operation, ${N} operations each, concurrency ${CONCURRENCY}\n\n`,
);
const rows = labels.map((l, i) => [
  l,
  `apiserver ${f(api[i]!, 2)} ms`,
  `bare fastify ${f(base[i]!, 2)} ms`,
  `${f(api[i]! / base[i]!, 1)}×`,
]);
const wd = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(wd[i]!)).join('  ')}\n`);
process.stdout.write(
  `\nthe client's own CPU (KubeClient, this process) per operation, last round: ${clientMs
    .slice(-3)
    .map(
      (ms, i) =>
        `${['new connection + GET, token', 'with a certificate', 'kept GET'][i]} ${f(i === 2 ? ms / 10 : ms, 2)} ms`,
    )
    .join(', ')}\n`,
);
process.stdout.write(
  `per joining node (one connection of each kind): apiserver ${f(api[0]! + api[1]!, 2)} ms, bare fastify ${f(base[0]! + base[1]!, 2)} ms\n`,
);
process.stdout.write(
  `\nNode's own TLS (plain tls module, server and client in this process, CPU of both ends per full handshake):\n` +
    `  TLS 1.3 ${f(floor.tls13, 2)} ms, with a client certificate ${f(floor.tls13ClientCert, 2)} ms; ` +
    `TLS 1.2 with a client certificate ${f(floor.tls12ClientCert, 2)} ms\n` +
    `  tls.createSecureContext with CA, certificate and key (once per kubelet identity): ${f(floor.secureContext, 2)} ms\n` +
    `  per joining node, both ends of its two connections and its context: ${f(floor.tls13 + floor.tls13ClientCert + floor.secureContext, 2)} ms of CPU\n`,
);
process.exit(0);
