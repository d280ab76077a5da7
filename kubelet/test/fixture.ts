// A real apiserver and controller-manager with a bootstrap token, and kubelets started in-process
// from the same flags `mkube kubelet` takes. Every kubelet gets its own temp root dir.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Node, Pod, PodSpec } from '@mkube/shared/api';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger, type Logger } from '@mkube/shared/log';
import { CertificateAuthority } from '@mkube/shared/pki';
import type { Pki } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, createBootstrapToken, startCluster } from '../../controller-manager/test/fixture.ts';
import { KUBELET_FLAGS, loadKubeletConfig, type RunningKubelet, startKubelet } from '../src/main.ts';
import type { PassiveClock } from '../src/podcertificate/manager.ts';

export const TOKEN_ID = 'abcdef';
export const TOKEN_SECRET = '0123456789abcdef';

export interface NodeCluster extends Cluster {
  readonly caPem: string;
  readonly bootstrapKubeconfig: string;
  /** Starts a kubelet for node `name`; `rootDir` reused to restart the same node. */
  startKubelet(
    name: string,
    opts?: { rootDir?: string; extra?: string[]; log?: Logger; clock?: PassiveClock },
  ): Promise<TestKubelet>;
}

export interface TestKubelet {
  readonly name: string;
  readonly rootDir: string;
  readonly kubelet: RunningKubelet;
  readonly url: string;
  stop(): Promise<void>;
}

export const quiet = () => createLogger({ name: 'kubelet', destination: { write: () => undefined } as never });

/** A logger whose lines are kept (as JSON strings) for assertions. */
export function capturingLog(lines: string[], level = 'info'): Logger {
  return createLogger({
    name: 'kubelet',
    verbosity: level === 'trace' ? 10 : 0,
    destination: { write: (s: string) => lines.push(s) } as never,
  });
}

/** The apiserver's kubelet client (kubeadm's apiserver-kubelet-client) and the CA it verifies kubelets with. */
function kubeletClientArgs(pki: Pki): string[] {
  const ca = CertificateAuthority.fromPem(readFileSync(pki.caCrt), readFileSync(join(pki.dir, 'ca.key')));
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = ca.issue({
    subject: { commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'] },
    publicKey: key.publicKey,
    usages: ['digital signature', 'client auth'],
    ttlMs: 3600_000,
  });
  const crt = join(pki.dir, 'apiserver-kubelet-client.crt');
  const keyFile = join(pki.dir, 'apiserver-kubelet-client.key');
  writeFileSync(crt, cert.pem);
  writeFileSync(keyFile, key.privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
  return [
    `--kubelet-client-certificate=${crt}`,
    `--kubelet-client-key=${keyFile}`,
    `--kubelet-certificate-authority=${pki.caCrt}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
  ];
}

export async function startNodeCluster(
  opts: { kcmArgs?: string[]; kcm?: boolean; apiserverArgs?: (pki: Pki) => string[] } = {},
): Promise<NodeCluster> {
  const c = await startCluster((pki) => [...kubeletClientArgs(pki), ...(opts.apiserverArgs?.(pki) ?? [])]);
  if (opts.kcm !== false) await c.startKcm(['--leader-elect=false', ...(opts.kcmArgs ?? [])]);
  await createBootstrapToken(c.admin, TOKEN_ID, TOKEN_SECRET);
  const caPem = readFileSync(c.fx.pki.caCrt, 'utf8');
  const bootstrapKubeconfig = join(c.fx.dir, 'bootstrap-kubelet.conf');
  writeFileSync(
    bootstrapKubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kubernetes',
      `  cluster: {server: "${c.fx.url}", certificate-authority: "${c.fx.pki.caCrt}"}`,
      'users:',
      '- name: tls-bootstrap-token-user',
      `  user: {token: "${TOKEN_ID}.${TOKEN_SECRET}"}`,
      'contexts:',
      '- name: bootstrap',
      '  context: {cluster: kubernetes, user: tls-bootstrap-token-user}',
      'current-context: bootstrap',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const kubelets: TestKubelet[] = [];
  const dirs: string[] = [];
  return {
    ...c,
    caPem,
    bootstrapKubeconfig,
    async startKubelet(name, o = {}) {
      const rootDir = o.rootDir ?? mkdtempSync(join(tmpdir(), `mkube-kubelet-${name}-`));
      if (!o.rootDir) dirs.push(rootDir);
      const args = [
        `--bootstrap-kubeconfig=${bootstrapKubeconfig}`,
        ...nodeArgs(name, rootDir, c.fx.pki.caCrt),
        ...(o.extra ?? []),
      ];
      // The flags given here win over a --config file among them, as on a command line.
      const parsed = parseFlags(KUBELET_FLAGS, args);
      const config = loadKubeletConfig(parsed.flags, parsed.given);
      const kubelet = await startKubelet(config, { log: o.log ?? quiet(), ...(o.clock ? { clock: o.clock } : {}) });
      let stopped = false;
      const k: TestKubelet = {
        name,
        rootDir,
        kubelet,
        url: `https://127.0.0.1:${kubelet.port}`,
        async stop() {
          if (stopped) return;
          stopped = true;
          await kubelet.stop();
        },
      };
      kubelets.push(k);
      return k;
    },
    async close() {
      await Promise.all(kubelets.map((k) => k.stop()));
      await c.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** A test kubelet's node flags: its files under `rootDir`, 127.0.0.1 on a free port, a serving CSR. */
export function nodeArgs(name: string, rootDir: string, caCrt: string): string[] {
  return [
    `--kubeconfig=${join(rootDir, 'kubelet.conf')}`,
    `--root-dir=${rootDir}`,
    `--hostname-override=${name}`,
    '--node-ip=127.0.0.1',
    '--address=127.0.0.1',
    '--port=0',
    `--client-ca-file=${caCrt}`,
    '--rotate-server-certificates',
  ];
}

/** A pod's Events in default, each as "type reason message". */
export async function podEvents(c: Pick<Cluster, 'admin'>, pod: string): Promise<string[]> {
  const events = c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' });
  return (await events.list()).items
    .filter((e) => e.involvedObject?.name === pod)
    .map((e) => `${e.type} ${e.reason} ${e.message}`);
}

/** Waits (20 s at most) for an Event of the pod matching `re`. */
export function podEvent(c: Pick<Cluster, 'admin'>, pod: string, re: RegExp): Promise<string> {
  return until(`${pod}: ${re}`, async () => (await podEvents(c, pod)).find((e) => re.test(e)));
}

/** Creates `spec` as pod `name` in default on `node`, and waits (20 s at most) until its first container runs. */
export async function runningPod(
  c: Pick<Cluster, 'admin'>,
  name: string,
  node: string,
  spec: Omit<PodSpec, 'nodeName'>,
) {
  const pods = c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  await pods.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, ...spec },
  });
  await until(`${name} running`, async () =>
    (await pods.get(name)).status?.containerStatuses?.[0]?.state?.running ? true : undefined,
  );
}

export function readyCondition(n: Node): string | undefined {
  return n.status?.conditions?.find((x) => x.type === 'Ready')?.status;
}

export interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a binary asynchronously (the apiserver runs in this process: no spawnSync). */
export function run(bin: string, args: string[], timeoutMs = 20_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** curl against a kubelet: returns the HTTP status (0 when TLS failed) and the body. */
export async function curlKubelet(
  k: { url: string },
  path: string,
  opts: { caCrt: string; cert?: string; key?: string; token?: string; method?: string; data?: string },
): Promise<{ status: number; body: string; exit: number; stderr: string }> {
  const args = ['-sS', '--max-time', '10', '--cacert', opts.caCrt, '-o', '-', '-w', '\n%{http_code}'];
  if (opts.cert) args.push('--cert', opts.cert, '--key', opts.key!);
  if (opts.token) args.push('-H', `Authorization: Bearer ${opts.token}`);
  if (opts.method) args.push('-X', opts.method);
  if (opts.data !== undefined) args.push('--data', opts.data);
  args.push(`${k.url}${path}`);
  const r = await run('curl', args);
  const nl = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(nl + 1)) || 0, body: r.stdout.slice(0, nl), exit: r.code, stderr: r.stderr };
}

/** Polls `fn` every 100 ms until it returns a value (at most `ms`). */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
