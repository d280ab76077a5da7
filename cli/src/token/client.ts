// A client for the admin commands, from a kubeconfig (the file and field are named on error).
import { createClient, type KubeClient } from '@mkube/shared/client';
import { clientOptionsFrom, loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { parseCertificatesPem, spkiSha256Pin } from '@mkube/shared/pki';
import { CliError } from '../command.js';
import { ensureClusterInfo } from '../up/clusterinfo.js';

export async function clientFromKubeconfig(path: string): Promise<KubeClient> {
  try {
    const c = await resolveCredentials(await loadKubeconfig(path));
    return createClient(clientOptionsFrom(c));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** kubeadm's `token create --print-join-command`, for mkube's kubelet: server, token and CA pin. */
export async function joinCommand(path: string, token: string, server?: string): Promise<string> {
  const c = await resolveCredentials(await loadKubeconfig(path)).catch((e: Error) => {
    throw new CliError(e.message);
  });
  if (!c.caPem) throw new CliError(`${path}: the kubeconfig carries no certificate authority to pin`);
  const pins = parseCertificatesPem(c.caPem).map((ca) => `--discovery-token-ca-cert-hash=${spkiSha256Pin(ca)}`);
  return ['mkube kubelet', `--server=${server ?? c.server}`, `--bootstrap-token=${token}`, ...pins].join(' ');
}

/** kube-public/cluster-info from the kubeconfig's server and CA, created when missing. */
export async function publishClusterInfo(client: KubeClient, path: string): Promise<void> {
  const c = await resolveCredentials(await loadKubeconfig(path));
  if (!c.caPem) throw new CliError(`${path}: the kubeconfig carries no certificate authority to publish`);
  await ensureClusterInfo(client, c.server, c.caPem);
}
