// Writing kubeconfigs kubectl reads, atomically and private (0600: they hold credentials).
import { stringify } from 'yaml';
import { writeFileAtomic } from '../atomicfile/index.js';
import { APISERVERS_EXTENSION, type Kubeconfig, type KubeconfigCluster } from './types.js';

export function serializeKubeconfig(cfg: Kubeconfig): string {
  const { source: _source, ...doc } = cfg;
  return stringify(doc, { lineWidth: 0 });
}

export async function writeKubeconfig(path: string, cfg: Kubeconfig): Promise<void> {
  await writeFileAtomic(path, serializeKubeconfig(cfg), { mode: 0o600 });
}

export interface BuildKubeconfigOptions {
  clusterName: string;
  server: string;
  /**
   * The apiservers of a highly available control plane, written as the cluster's
   * mkube.io/apiservers extension (clients fail over between them; `server` stays preferred and
   * is put first if missing). Left out when it names no server other than `server`.
   */
  servers?: readonly string[];
  caPem: string;
  userName: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  clientCertificateFile?: string;
  clientKeyFile?: string;
  token?: string;
  /** Default `${userName}@${clusterName}`, as kubeadm names contexts. */
  contextName?: string;
  namespace?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The cluster entry: server, embedded CA and, for several apiservers, the failover extension. */
function buildCluster(server: string, caPem: string, servers: readonly string[] | undefined): KubeconfigCluster {
  const cluster: KubeconfigCluster = { server, 'certificate-authority-data': b64(caPem) };
  const list = [...new Set([server, ...(servers ?? [])])];
  if (list.length > 1) cluster.extensions = [{ name: APISERVERS_EXTENSION, extension: { servers: list } }];
  return cluster;
}

/** One cluster, one user, one context: PEMs embedded as *-data, or file references when given. */
export function buildKubeconfig(o: BuildKubeconfigOptions): Kubeconfig {
  const contextName = o.contextName ?? `${o.userName}@${o.clusterName}`;
  const user: Kubeconfig['users'][number]['user'] = {};
  if (o.clientCertificateFile) user['client-certificate'] = o.clientCertificateFile;
  else if (o.clientCertPem) user['client-certificate-data'] = b64(o.clientCertPem);
  if (o.clientKeyFile) user['client-key'] = o.clientKeyFile;
  else if (o.clientKeyPem) user['client-key-data'] = b64(o.clientKeyPem);
  if (o.token) user.token = o.token;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: o.clusterName, cluster: buildCluster(o.server, o.caPem, o.servers) }],
    users: [{ name: o.userName, user }],
    contexts: [
      {
        name: contextName,
        context: { cluster: o.clusterName, user: o.userName, ...(o.namespace ? { namespace: o.namespace } : {}) },
      },
    ],
    'current-context': contextName,
    preferences: {},
  };
}

/**
 * kubeadm's bootstrap kubeconfig: the cluster and a bootstrap token, nothing else (plus the
 * failover extension when `servers` names several apiservers).
 */
export function bootstrapKubeconfig(
  server: string,
  caPem: string,
  token: string,
  opts: { servers?: readonly string[] } = {},
): Kubeconfig {
  return buildKubeconfig({
    clusterName: 'kubernetes',
    server,
    ...(opts.servers ? { servers: opts.servers } : {}),
    caPem,
    userName: 'tls-bootstrap-token-user',
    token,
    contextName: 'tls-bootstrap-token-user@kubernetes',
  });
}
