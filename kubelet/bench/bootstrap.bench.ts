// npm run bench:bootstrap — time from a kubelet's start (empty cert dir, a bootstrap token) to
// serving 10250 with an issued certificate: key, client CSR, approval, issue, Node registration,
// serving CSR, approval, issue, TLS up. 20 starts, p50/p99, against a real apiserver and
// controller-manager (processes) on loopback. The kubelet runs in this process, as `mkube kubelet`
// runs it; process start-up (Node + tsx) is measured apart. Baselines from the same run: the local
// crypto a bootstrap cannot avoid (two P-256 keys, two CSRs, two CA signatures) and a bare fastify
// HTTPS server's start to its first TLS answer.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { CertificateAuthority, createCsrPem, generateKeyPair } from '@mkube/shared/pki';
import fastify from 'fastify';
import { benchWork, f, freePort, pct, startControlPlane, until } from '../../shared/bench/controlplane.ts';
import { KUBELET_FLAGS, loadKubeletConfig, startKubelet } from '../src/main.ts';

const RUNS = Number(process.env.BENCH_STARTS ?? 20);
const PROCESS_RUNS = Number(process.env.BENCH_PROCESS_STARTS ?? 5);
const w = benchWork('bootstrap', 240_000);
const cp = await startControlPlane(w);
await cp.createBootstrapToken('boot00', '0123456789abcdef');
const bootstrapConf = w.file(
  'bootstrap-kubelet.conf',
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: kubernetes\n  cluster: {server: "${cp.origin}", certificate-authority: "${cp.caFile}"}`,
    'users:',
    '- name: tls-bootstrap-token-user\n  user: {token: boot00.0123456789abcdef}',
    'contexts:',
    '- name: bootstrap\n  context: {cluster: kubernetes, user: tls-bootstrap-token-user}',
    'current-context: bootstrap',
    '',
  ].join('\n'),
);
const quiet = createLogger({ name: 'kubelet', destination: { write: () => undefined } as never });

/** Resolves when a TLS handshake to the port verifies against the cluster CA. */
function tlsUp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(
      { host: '127.0.0.1', port, ca: cp.caPem, servername: undefined, checkServerIdentity: () => undefined },
      () => {
        s.destroy();
        resolve(true);
      },
    );
    s.once('error', () => resolve(false));
  });
}

const kubeletArgs = (name: string, root: string, port: number) => [
  `--bootstrap-kubeconfig=${bootstrapConf}`,
  `--kubeconfig=${join(root, 'kubelet.conf')}`,
  `--root-dir=${root}`,
  `--hostname-override=${name}`,
  '--node-ip=127.0.0.1',
  '--address=127.0.0.1',
  `--port=${port}`,
  `--client-ca-file=${cp.caFile}`,
  '--rotate-server-certificates',
];

async function oneStart(i: number, warm = false): Promise<number> {
  const name = `${warm ? 'warm' : 'bench'}-${i}`;
  const root = mkdtempSync(join(w.dir, `${name}-`));
  const port = await freePort();
  const cfg = loadKubeletConfig(parseFlags(KUBELET_FLAGS, kubeletArgs(name, root, port)).flags);
  const t0 = performance.now();
  const k = await startKubelet(cfg, { log: quiet });
  await until(`${name} serving`, 30_000, async () => ((await tlsUp(port)) ? true : undefined));
  const ms = performance.now() - t0;
  await k.stop();
  return ms;
}

// Warm-up: the controller-manager's informers synced, this process's code paths compiled.
await until('controller-manager warm', 60_000, async () => ((await oneStart(0, true)) > 0 ? true : undefined)).catch(
  (e) => {
    throw new Error(`${e.message}\n${w.logTail('controller-manager')}`);
  },
);
const times: number[] = [];
for (let i = 0; i < RUNS; i++) times.push(await oneStart(i));

// As a process: `mkube kubelet` from exec to serving (Node start-up and tsx compile included).
const procTimes: number[] = [];
for (let i = 0; i < PROCESS_RUNS; i++) {
  const name = `proc-${i}`;
  const root = mkdtempSync(join(w.dir, `${name}-`));
  const port = await freePort();
  const t0 = performance.now();
  const child = w.start(name, [...cp.mkube, 'kubelet', ...kubeletArgs(name, root, port)]);
  await until(`${name} serving`, 30_000, async () => ((await tlsUp(port)) ? true : undefined));
  procTimes.push(performance.now() - t0);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

// ---- baselines, same run -----------------------------------------------------------------------
const ca = CertificateAuthority.fromPem(cp.caPem, cp.caKeyPem);
const cryptoTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  for (const usage of ['client auth', 'server auth'] as const) {
    const key = await generateKeyPair();
    await createCsrPem(key, { commonName: 'system:node:x', organizations: ['system:nodes'] });
    ca.issue({
      subject: { commonName: 'system:node:x' },
      publicKey: key.publicKey,
      usages: ['digital signature', usage],
      ttlMs: 3600_000,
    });
  }
  cryptoTimes.push(performance.now() - t0);
}
const serving = await cp.leaf('bare', [], ['server auth'], ['127.0.0.1']);
const bareTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const port = await freePort();
  const t0 = performance.now();
  const app = fastify({ https: { cert: serving.cert, key: serving.key }, logger: false });
  app.get('/healthz', async () => 'ok');
  await app.listen({ port, host: '127.0.0.1' });
  await until('bare up', 5000, async () => ((await tlsUp(port)) ? true : undefined));
  bareTimes.push(performance.now() - t0);
  await app.close();
}

// ---- report ------------------------------------------------------------------------------------
const p50 = pct(times, 50);
const p99 = pct(times, 99);
const rows = [
  ['', 'p50', 'p99', 'runs'],
  ['kubelet start → serving 10250 (in-process)', `${f(p50)} ms`, `${f(p99)} ms`, String(times.length)],
  [
    'mkube kubelet process exec → serving',
    `${f(pct(procTimes, 50))} ms`,
    `${f(pct(procTimes, 99))} ms`,
    String(procTimes.length),
  ],
  [
    'baseline: 2 keys + 2 CSRs + 2 signatures',
    `${f(pct(cryptoTimes, 50), 1)} ms`,
    `${f(pct(cryptoTimes, 99), 1)} ms`,
    String(cryptoTimes.length),
  ],
  [
    'baseline: bare fastify HTTPS start → TLS',
    `${f(pct(bareTimes, 50), 1)} ms`,
    `${f(pct(bareTimes, 99), 1)} ms`,
    String(bareTimes.length),
  ],
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
process.stdout.write(`\nbench:bootstrap — empty cert dir and a bootstrap token to serving TLS on 10250, loopback\n\n`);
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
const floor = pct(cryptoTimes, 50) + pct(bareTimes, 50);
process.stdout.write(
  `\nkubelet p50 / (crypto + bare server) p50: ${f(p50 / floor, 1)}×\n` +
    `target p50 < 300 ms: ${p50 < 300 ? 'MET' : 'MISSED'}; target p99 < 1000 ms: ${p99 < 1000 ? 'MET' : 'MISSED'}\n`,
);
await cp.stop();
process.exit(0);
