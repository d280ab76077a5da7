// A whole local cluster for the security suite, started the way a user starts it: `mkube up`
// (apiserver, controller-manager, scheduler, two kubelets, each its own process, at the highest verbosity so
// the log check sees everything), plus clients holding every kind of credential the cases need.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { basename, join } from 'node:path';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { composeSupport, composeUp, waitHealthy } from './compose.ts';
import { freePort, MKUBE_BIN, REPO_ROOT, tempDir } from './harness.ts';

export interface Credential {
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
  /** Defaults to the cluster CA. */
  readonly ca?: string;
}

export interface Reply {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface UpCluster {
  readonly dir: string;
  readonly port: number;
  readonly kubeletPort: number;
  readonly server: string;
  readonly caPem: string;
  readonly adminConf: string;
  /** Each kubelet: its address, client credential and --root-dir (pods/<ns>_<name>_<uid>/volumes/…). */
  readonly nodes: readonly { name: string; ip: string; cred: Credential; rootDir: string }[];
  /** The controller-manager's secure port (10257). */
  readonly controllerManager: { readonly host: string; readonly port: number };
  /** The scheduler's secure port (10259). */
  readonly scheduler: { readonly host: string; readonly port: number };
  /** metrics-server's secure port (4443). */
  readonly metricsServer?: { readonly host: string; readonly port: number };
  /** The bootstrap token the kubelets joined with (from bootstrap-kubelet.conf). */
  readonly bootstrapToken: string;
  /** An address on this host the apiserver can dial (for fake kubelets), the i-th of them. */
  hostAddress(i: number): string;
  output(): string;
  /** Every daemon's log, concatenated. */
  logs(): string;
  /** A client certificate from the cluster CA, with explicit validity when given. */
  issue(
    cn: string,
    orgs: string[],
    opts?: { notBefore?: Date; notAfter?: Date; usage?: 'client auth' | 'server auth'; ips?: string[]; dns?: string[] },
  ): Promise<Credential>;
  /** An HTTPS request to the apiserver (or any URL) with a credential. */
  req(cred: Credential, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  stop(): Promise<void>;
}

export function httpsRequest(
  url: string,
  cred: Credential & { caPem: string },
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const r = request(
      url,
      {
        method,
        ca: cred.ca ? readFileSync(cred.ca) : cred.caPem,
        ...(cred.cert ? { cert: readFileSync(cred.cert), key: readFileSync(cred.key!) } : {}),
        headers: {
          ...(cred.token ? { authorization: `Bearer ${cred.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
        });
      },
    );
    r.on('error', reject);
    r.on('timeout', () => r.destroy(new Error('timeout')));
    if (payload) r.write(payload);
    r.end();
  });
}

/** Issues client certificates from the cluster CA in `pkiDir` into `outDir`. */
function issuer(pkiDir: string, outDir: string): UpCluster['issue'] {
  const ca = CertificateAuthority.fromPem(readFileSync(join(pkiDir, 'ca.crt')), readFileSync(join(pkiDir, 'ca.key')));
  let n = 0;
  return async (cn, orgs, o = {}) => {
    const key = await generateKeyPair();
    const now = new Date();
    let pem: string;
    if (o.notBefore || o.notAfter) {
      const { issueWindow } = await import('./window.ts');
      pem = await issueWindow(
        join(pkiDir, 'ca.crt'),
        join(pkiDir, 'ca.key'),
        key,
        cn,
        orgs,
        o.notBefore ?? now,
        o.notAfter ?? new Date(now.getTime() + 3600_000),
      );
    } else {
      pem = ca.issue({
        subject: { commonName: cn, organizations: orgs },
        publicKey: key.publicKey,
        usages: ['digital signature', o.usage ?? 'client auth'],
        ipAddresses: o.ips ?? [],
        dnsNames: o.dns ?? [],
        ttlMs: 3600_000,
      }).pem;
    }
    const base = join(outDir, `cred-${++n}`);
    writeFileSync(`${base}.crt`, pem);
    writeFileSync(`${base}.key`, encodePrivateKeyPem(key), { mode: 0o600 });
    return { cert: `${base}.crt`, key: `${base}.key` };
  };
}

/** Requests to the apiserver (or any https URL) trusting the cluster CA. */
function requester(server: string, caPem: string): UpCluster['req'] {
  return (cred, method, path, body, headers) =>
    httpsRequest(path.startsWith('https://') ? path : `${server}${path}`, { ...cred, caPem }, method, body, headers);
}

const tokenOf = (bootstrapConf: string) =>
  /token: (\S+)/.exec(readFileSync(bootstrapConf, 'utf8'))![1]!.replace(/"/g, '');

/**
 * The security suite's cluster: docker-compose.yml in network namespaces where root allows (each
 * node its own host and IP), else `mkube up` with the nodes on their own loopback addresses.
 */
export async function startSecurityCluster(prefix: string): Promise<UpCluster> {
  // MKUBE_E2E_CLUSTER=up forces the loopback cluster (what machines without root get).
  if (process.env.MKUBE_E2E_CLUSTER === 'up') return startUpCluster(prefix);
  return composeSupport() === undefined ? startComposeCluster(prefix) : startUpCluster(prefix);
}

/** docker-compose.yml as written (plus --v=10), each service in its own network namespace. */
export async function startComposeCluster(prefix: string): Promise<UpCluster> {
  const top = tempDir(prefix);
  const r = await composeUp(join(REPO_ROOT, 'docker-compose.yml'), { timeoutMs: 120_000, verbosity: 10 });
  try {
    await waitHealthy(r, 'node1', 90_000);
    await waitHealthy(r, 'node2', 90_000);
  } catch (e) {
    await r.down();
    throw e;
  }
  const vol = r.volumes;
  const pkiDir = join(vol.pki!, 'pki');
  const caPem = readFileSync(join(pkiDir, 'ca.crt'), 'utf8');
  // The current pair is a symlink to a path inside the kubelet's own mounts: read it in the volume.
  const nodeCred = (name: string, ip: string) => {
    const dir = join(vol[`${name}-kubelet`]!, 'pki');
    const target = basename(readlinkSync(join(dir, 'kubelet-client-current.pem')));
    const file = join(dir, target);
    return { name, ip, cred: { cert: file, key: file }, rootDir: vol[`${name}-kubelet`]! };
  };
  const server = 'https://172.28.0.10:6443';
  const issue = issuer(pkiDir, top);
  const services = r.compose.services.map((x) => x.name);
  const gateway = r.compose.subnet.replace(/0\/24$/, '1');
  return {
    dir: vol.pki!,
    port: 6443,
    kubeletPort: 10250,
    server,
    caPem,
    adminConf: join(vol.pki!, 'admin.conf'),
    nodes: [nodeCred('node1', '172.28.0.21'), nodeCred('node2', '172.28.0.22')],
    controllerManager: { host: r.compose.services.find((x) => x.name === 'controller-manager')!.ip, port: 10257 },
    scheduler: { host: r.compose.services.find((x) => x.name === 'scheduler')!.ip, port: 10259 },
    metricsServer: { host: r.compose.services.find((x) => x.name === 'metrics-server')!.ip, port: 4443 },
    bootstrapToken: tokenOf(join(vol.pki!, 'bootstrap-kubelet.conf')),
    // The bridge's own address: every namespace routes to it.
    hostAddress: () => gateway,
    output: () => services.map((x) => r.log(x)).join('\n'),
    logs: () => services.map((x) => r.log(x)).join('\n'),
    issue,
    req: requester(server, caPem),
    async stop() {
      await r.down();
      rmSync(top, { recursive: true, force: true });
    },
  };
}

export async function startUpCluster(prefix: string): Promise<UpCluster> {
  const top = tempDir(prefix);
  const dir = join(top, 'cluster');
  const port = await freePort();
  const kubeletPort = await freePort();
  const kcmPort = await freePort();
  const schedulerPort = await freePort();
  const metricsServerPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      MKUBE_BIN,
      'up',
      `--data-dir=${dir}`,
      `--apiserver-bind-port=${port}`,
      `--kubelet-port=${kubeletPort}`,
      `--controller-manager-port=${kcmPort}`,
      `--scheduler-port=${schedulerPort}`,
      `--metrics-server-port=${metricsServerPort}`,
      '--v=10',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const deadline = Date.now() + 120_000;
  while (!out.includes('Ctrl-C stops') && Date.now() < deadline && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('Ctrl-C stops')) {
    child.kill('SIGINT');
    throw new Error(`mkube up did not come up:\n${out}`);
  }
  const pki = (f: string) => join(dir, 'pki', f);
  const caPem = readFileSync(pki('ca.crt'), 'utf8');
  const nodeIps = [...out.matchAll(/\[(node\d)\] Ready, serving the kubelet API on https:\/\/([\d.]+):\d+/g)];
  const nodes = nodeIps
    .sort((a, b) => a[1]!.localeCompare(b[1]!))
    .map((m) => ({
      name: m[1]!,
      ip: m[2]!,
      cred: {
        cert: join(dir, 'nodes', m[1]!, 'pki', 'kubelet-client-current.pem'),
        key: join(dir, 'nodes', m[1]!, 'pki', 'kubelet-client-current.pem'),
      },
      rootDir: join(dir, 'nodes', m[1]!),
    }));
  const bootstrapToken = /token: (\S+)/
    .exec(readFileSync(join(dir, 'bootstrap-kubelet.conf'), 'utf8'))![1]!
    .replace(/"/g, '');
  const server = `https://127.0.0.1:${port}`;
  const cluster: UpCluster = {
    dir,
    port,
    kubeletPort,
    server,
    caPem,
    adminConf: join(dir, 'admin.conf'),
    nodes,
    controllerManager: { host: '127.0.0.1', port: kcmPort },
    scheduler: { host: '127.0.0.1', port: schedulerPort },
    metricsServer: { host: '127.0.0.1', port: metricsServerPort },
    bootstrapToken,
    hostAddress: (i) => `127.0.0.${20 + i}`,
    output: () => out,
    logs: () =>
      ['apiserver', 'controller-manager', 'scheduler', ...nodes.map((x) => x.name)]
        .map((d) => {
          try {
            return readFileSync(join(dir, 'logs', `${d}.log`), 'utf8');
          } catch {
            return '';
          }
        })
        .join('\n'),
    issue: issuer(join(dir, 'pki'), dir),
    req: requester(server, caPem),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(top, { recursive: true, force: true });
    },
  };
  return cluster;
}
