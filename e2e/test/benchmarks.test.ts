// The benchmarks still run: each `npm run bench:*` that starts daemons, at a size that takes seconds,
// must finish and print its report. Their figures and verdicts are not checked here (durations are
// never asserted in `npm test`); what is checked is that a change to the daemons (a policy, a flag, a
// client) has not broken the benchmark, as the default policy once broke bench:requests' approvals.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIMEOUT_MS = 120_000;

interface Run {
  readonly code: number | null;
  readonly out: string;
}

function runBench(file: string, args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const guard = setTimeout(() => {
      // The benchmark's own guard kills its daemons on exit; SIGTERM lets it.
      child.kill('SIGTERM');
      reject(new Error(`${file} did not finish in ${TIMEOUT_MS / 1000} s:\n${out.slice(-3000)}`));
    }, TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, out });
    });
  });
}

async function expectReport(file: string, args: string[], env: Record<string, string>, marks: string[]) {
  const { code, out } = await runBench(file, args, env);
  assert.equal(code, 0, `${file} exited ${code}:\n${out.slice(-3000)}`);
  for (const m of marks) assert.ok(out.includes(m), `${file}: no "${m}" in its report:\n${out.slice(-3000)}`);
}

describe('benchmarks run to their report (small sizes; figures not checked)', { concurrency: false }, () => {
  test('bench:requests: the CSR life as the bootstrap token and the certificate controller', () =>
    expectReport('apiserver/bench/requests.bench.ts', [], { BENCH_REQUESTS: '20' }, [
      'bench:requests — CPU per request, 20 of each kind',
      'one CSR (create, SAR, approval, status)',
    ]));

  test('bench:csr: every CSR approved and issued', () =>
    expectReport('controller-manager/bench/csr.bench.ts', [], { BENCH_CSRS: '20' }, [
      'mkube create→approved→issued',
      '20/20 issued',
      '0 post errors',
    ]));

  test('bench:scale: every kubelet joins', () =>
    expectReport('kubelet/bench/scale.bench.ts', ['--nodes', '5', '--steady', '1'], {}, [
      'bench:scale: all 5 Ready',
      'bench:scale — N = 5 kubelets',
      'lease writes/s',
    ]));

  test('bench:bootstrap: kubelet processes bootstrap', () =>
    expectReport('kubelet/bench/bootstrap.bench.ts', [], { BENCH_STARTS: '3', BENCH_PROCESS_STARTS: '1' }, [
      'kubelet p50 / (crypto + bare server) p50',
    ]));

  test('bench:connections: the apiserver per connection', () =>
    expectReport('apiserver/bench/connections.bench.ts', [], { BENCH_CONNECTIONS: '20' }, [
      'per joining node, both ends of its two connections and its context',
    ]));

  test('bench:apiserver: watch fan-out and authorization at scale', () =>
    expectReport('apiserver/bench/apiserver.bench.ts', [], { BENCH_DURATION_MS: '500', BENCH_WATCHES: '100' }, [
      'one event fanned out',
      'Authorized GETs, 10,000 RoleBindings vs 3',
    ]));
});
