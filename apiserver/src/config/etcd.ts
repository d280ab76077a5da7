// The --etcd-* flags, as kube-apiserver's storagebackend.Config: the servers, the client's TLS
// pair and CA, and the key prefix. Files are read and parsed here so that a missing or broken one
// is a start-up error naming the flag and file; whether the CA and pair fit the servers is only
// known on connecting, which the store checks before the apiserver serves.
import type { FlagValues } from '@mkube/shared/flags';
import { readCertificates, readKeyPair } from '@mkube/shared/flags';
import type { ConfigProblem } from './errors.js';

export interface EtcdConfig {
  /** https:// (or http:// without TLS flags) URLs, in flag order. */
  readonly servers: readonly string[];
  /** PEM text of --etcd-cafile; absent: the system roots (as Go's client). */
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** --etcd-prefix: every key the apiserver writes lives under it. */
  readonly prefix: string;
}

export function etcdConfig(flags: FlagValues, problems: ConfigProblem[]): EtcdConfig | undefined {
  const servers = ((flags['etcd-servers'] as string[] | undefined) ?? []).map((s) => s.trim()).filter((s) => s);
  const caFile = str(flags, 'etcd-cafile');
  const certFile = str(flags, 'etcd-certfile');
  const keyFile = str(flags, 'etcd-keyfile');
  const prefix = str(flags, 'etcd-prefix') || '/registry';
  if (servers.length === 0) {
    for (const [flag, v] of [
      ['etcd-cafile', caFile],
      ['etcd-certfile', certFile],
      ['etcd-keyfile', keyFile],
    ] as const) {
      if (v) problems.push({ code: 'BAD_VALUE', flag, message: 'needs --etcd-servers' });
    }
    return undefined;
  }
  const tls = !!(caFile || certFile || keyFile);
  for (const s of servers) {
    let url: URL | undefined;
    try {
      url = new URL(s);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.port || url.pathname.length > 1) {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'etcd-servers',
        message: `${JSON.stringify(s)} is not a server URL (scheme://ip:port)`,
      });
    } else if (tls && url.protocol === 'http:') {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'etcd-servers',
        message: `${s}: TLS files are given, so the server must be https://`,
      });
    }
  }
  if (!prefix.startsWith('/')) {
    problems.push({ code: 'BAD_VALUE', flag: 'etcd-prefix', message: `${JSON.stringify(prefix)} must start with "/"` });
  }
  if (!!certFile !== !!keyFile) {
    problems.push({
      code: 'REQUIRED',
      flag: certFile ? 'etcd-keyfile' : 'etcd-certfile',
      message: '--etcd-certfile and --etcd-keyfile go together',
    });
  }
  const { pem: caPem } = readCertificates('etcd-cafile', caFile, problems);
  const { certPem, keyPem } =
    certFile && keyFile
      ? readKeyPair({ flag: 'etcd-certfile', file: certFile }, { flag: 'etcd-keyfile', file: keyFile }, problems)
      : {};
  return Object.freeze({ servers: Object.freeze(servers), caPem, certPem, keyPem, prefix });
}

function str(flags: FlagValues, name: string): string {
  const v = flags[name];
  return typeof v === 'string' ? v : '';
}
