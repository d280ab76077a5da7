// Real processes for end-to-end tests: a temp PKI written by `mkube pki init`, daemons started as
// child processes of the `mkube` command, readiness polled over real TLS, and the real kubectl.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MKUBE_BIN = join(REPO_ROOT, 'cli/bin/mkube.js');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mkube-e2e-${prefix}-`));
}

export function runMkube(
  args: string[],
  opts: { input?: string } = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MKUBE_BIN, ...args], {
    encoding: 'utf8',
    input: opts.input,
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A free TCP port on loopback (the kernel picks; released before use). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

export interface Pki {
  readonly dir: string;
  readonly caCrt: string;
  readonly adminConf: string;
  path(rel: string): string;
  read(rel: string): string;
}

/** `mkube pki init` into a fresh temp folder, kubeconfigs pointing at 127.0.0.1:port. */
export function makePki(port: number, extra: string[] = []): Pki {
  const dir = tempDir('pki');
  const r = runMkube([
    'pki',
    'init',
    `--dir=${dir}`,
    '--advertise-address=127.0.0.1',
    `--apiserver-bind-port=${port}`,
    '--node-name=cp',
    ...extra,
  ]);
  if (r.status !== 0) throw new Error(`mkube pki init failed: ${r.stderr}`);
  return {
    dir,
    caCrt: join(dir, 'pki/ca.crt'),
    adminConf: join(dir, 'admin.conf'),
    path: (rel) => join(dir, rel),
    read: (rel) => readFileSync(join(dir, rel), 'utf8'),
  };
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly logs: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  kill9(): Promise<void>;
}

export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const proc = spawn(process.execPath, [MKUBE_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return {
    proc,
    logs: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Apiserver extends Daemon {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
}

export function apiserverArgs(pki: Pki, port: number, dataDir: string, extra: string[] = []): string[] {
  return [
    'apiserver',
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    `--tls-cert-file=${pki.path('pki/apiserver.crt')}`,
    `--tls-private-key-file=${pki.path('pki/apiserver.key')}`,
    `--client-ca-file=${pki.caCrt}`,
    `--data-dir=${dataDir}`,
    // kubeadm's: sa.key signs service-account tokens (the controllers' too), sa.pub checks them.
    `--service-account-key-file=${pki.path('pki/sa.pub')}`,
    `--service-account-signing-key-file=${pki.path('pki/sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    ...extra,
    // As upstream's integration tests: a suite's pods need no `default` account unless it turns the plugin on.
    ...(extra.some((a) => /^--enable-admission-plugins=(.*,)?ServiceAccount(,|$)/.test(a))
      ? []
      : ['--disable-admission-plugins=ServiceAccount']),
  ];
}

export async function startApiserver(
  pki: Pki,
  port: number,
  dataDir: string,
  extra: string[] = [],
): Promise<Apiserver> {
  const d = startDaemon(apiserverArgs(pki, port, dataDir, extra));
  const url = `https://127.0.0.1:${port}`;
  await waitFor(
    async () => curl(pki, ['-sf', `${url}/readyz`]).status === 0,
    30_000,
    () => `apiserver not ready:\n${d.logs()}`,
  );
  return { ...d, port, url, dataDir };
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** curl with the admin client certificate (from kubeadm's layout: apiserver-kubelet-client is not admin; use a user cert). */
export function curl(pki: Pki, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('curl', ['--cacert', pki.caCrt, '--max-time', '20', ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function kubectlDir(): string {
  return dirname(realpathSync(spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim()));
}

/** The kubectl binary for a minor version (1.27 … 1.33), or the default one. */
export function kubectlBinary(version?: string): string | undefined {
  if (!version) return 'kubectl';
  const p = join(kubectlDir(), `kubectl.${version}`);
  return existsSync(p) ? p : undefined;
}

export function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { bin?: string; input?: string; home?: string; env?: Record<string, string> } = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(opts.bin ?? 'kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    input: opts.input,
    timeout: 60_000,
    // A private HOME keeps each test's discovery cache apart.
    env: { ...process.env, KUBECONFIG: '', HOME: opts.home ?? dirname(kubeconfig), ...opts.env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
