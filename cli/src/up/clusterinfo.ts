// kubeadm's bootstrap-token phase: the kube-public/cluster-info ConfigMap holding a kubeconfig with
// only the cluster (server and CA, cluster name ""), which the bootstrap signer then signs per
// token and joining kubelets read anonymously (facts §10). Created once; left alone if present.
import type { ConfigMap } from '@mkube/shared/api';
import { isAlreadyExists } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { serializeKubeconfig } from '@mkube/shared/kubeconfig';

export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return serializeKubeconfig({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: '', cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server } }],
    users: [],
    contexts: [],
    'current-context': '',
    preferences: {},
  });
}

/** Creates cluster-info when missing; returns whether it was created. */
export async function ensureClusterInfo(admin: KubeClient, server: string, caPem: string): Promise<boolean> {
  try {
    await admin
      .resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-public' })
      .create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cluster-info', namespace: 'kube-public' },
        data: { kubeconfig: clusterInfoKubeconfig(server, caPem) },
      });
    return true;
  } catch (e) {
    if (isAlreadyExists(e)) return false;
    throw e;
  }
}
