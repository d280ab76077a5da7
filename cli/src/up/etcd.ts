// etcd members for the local cluster, as kubeadm's stacked etcd runs them: client and peer URLs
// over mutual TLS with the certificates `mkube pki init` writes under pki/etcd/ (client and peer
// certificates must be issued by the etcd CA). Members on one host share the server and peer
// pairs, whose SANs cover 127.0.0.1 and localhost.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { type RunningDaemon, startProcess } from './daemon.js';

export interface EtcdMember {
  readonly name: string;
  /** https://127.0.0.1:2379 */
  readonly clientUrl: string;
  /** https://127.0.0.1:2380 */
  readonly peerUrl: string;
}

export interface EtcdClusterOptions {
  /** The PKI folder (DIR/pki) holding etcd/ca.crt, etcd/server.*, etcd/peer.*, etcd/healthcheck-client.*. */
  readonly pkiDir: string;
  /** Each member's data is DATA/etcd/<name>; logs go to DATA/logs/etcd-<name>.log. */
  readonly dataDir: string;
  readonly members: readonly EtcdMember[];
  /** etcd's --experimental-watch-progress-notify-interval (etcd's default is 10 minutes). */
  readonly progressNotifyInterval?: string;
}

/** The etcd binary: $MKUBE_ETCD, else etcd on PATH (Debian's etcd-server package). */
export function etcdBinary(): string {
  return process.env.MKUBE_ETCD ?? 'etcd';
}

/** Members on 127.0.0.1 at consecutive port pairs from `basePort` (2379, 2380; 2381, 2382; …). */
export function localMembers(count: number, basePort = 2379, host = '127.0.0.1'): EtcdMember[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `etcd${i}`,
    clientUrl: `https://${host}:${basePort + 2 * i}`,
    peerUrl: `https://${host}:${basePort + 2 * i + 1}`,
  }));
}

export function etcdMemberArgs(opts: EtcdClusterOptions, m: EtcdMember, state: 'new' | 'existing' = 'new'): string[] {
  const pki = (f: string) => join(opts.pkiDir, 'etcd', f);
  return [
    `--name=${m.name}`,
    `--data-dir=${join(opts.dataDir, 'etcd', m.name)}`,
    `--listen-client-urls=${m.clientUrl}`,
    `--advertise-client-urls=${m.clientUrl}`,
    `--listen-peer-urls=${m.peerUrl}`,
    `--initial-advertise-peer-urls=${m.peerUrl}`,
    `--initial-cluster=${opts.members.map((x) => `${x.name}=${x.peerUrl}`).join(',')}`,
    `--initial-cluster-state=${state}`,
    '--initial-cluster-token=mkube-etcd',
    '--client-cert-auth=true',
    `--trusted-ca-file=${pki('ca.crt')}`,
    `--cert-file=${pki('server.crt')}`,
    `--key-file=${pki('server.key')}`,
    '--peer-client-cert-auth=true',
    `--peer-trusted-ca-file=${pki('ca.crt')}`,
    `--peer-cert-file=${pki('peer.crt')}`,
    `--peer-key-file=${pki('peer.key')}`,
    '--snapshot-count=10000',
    `--experimental-watch-progress-notify-interval=${opts.progressNotifyInterval ?? '5s'}`,
    '--logger=zap',
    '--log-outputs=stderr',
  ];
}

export function startEtcdMember(opts: EtcdClusterOptions, m: EtcdMember): RunningDaemon {
  return startProcess(`etcd-${m.name}`, etcdBinary(), etcdMemberArgs(opts, m), opts.dataDir);
}

/** GET /health on the client URL with the healthcheck-client pair, as kubeadm's etcd probe. */
export function etcdHealthy(pkiDir: string, clientUrl: string, timeoutMs = 2000): Promise<boolean> {
  const pki = (f: string) => readFileSync(join(pkiDir, 'etcd', f));
  return new Promise((resolve) => {
    const req = request(
      new URL('/health', clientUrl),
      {
        ca: pki('ca.crt'),
        cert: pki('healthcheck-client.crt'),
        key: pki('healthcheck-client.key'),
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface RunningEtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly daemons: RunningDaemon[];
  /** https URLs for --etcd-servers. */
  readonly clientUrls: readonly string[];
  stop(): Promise<void>;
}

/** Starts every member and waits until each answers /health (a quorum has formed). */
export async function startEtcdCluster(opts: EtcdClusterOptions, timeoutMs = 30_000): Promise<RunningEtcdCluster> {
  const daemons = opts.members.map((m) => startEtcdMember(opts, m));
  const stop = async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  };
  try {
    const deadline = Date.now() + timeoutMs;
    for (const [i, m] of opts.members.entries()) {
      for (;;) {
        const d = daemons[i]!;
        if (d.proc.exitCode !== null) {
          throw new Error(`etcd member ${m.name} exited with code ${d.proc.exitCode}; see ${d.logFile}`);
        }
        if (await etcdHealthy(opts.pkiDir, m.clientUrl)) break;
        if (Date.now() > deadline)
          throw new Error(`etcd member ${m.name} not healthy after ${timeoutMs} ms; see ${d.logFile}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { members: opts.members, daemons, clientUrls: opts.members.map((m) => m.clientUrl), stop };
}
