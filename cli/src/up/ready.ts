// Waiting for the local cluster's daemons: the apiserver's /readyz (verified against the cluster
// CA), then the controller-manager holding its leader Lease.
import { request } from 'node:https';
import type { Lease } from '@mkube/shared/api';
import { clientFromKubeconfig } from '../token/client.js';

function probe(url: string, caPem: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { ca: caPem, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function waitReady(
  url: string,
  caPem: string,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<boolean> {
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!dead && Date.now() < deadline) {
    if (await probe(url, caPem)) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

/** Waits until the controller-manager's leader Lease names a holder. */
export async function waitLeader(
  kubeconfig: string,
  timeoutMs: number,
  exited: Promise<unknown>,
  lease = 'kube-controller-manager',
): Promise<boolean> {
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const client = await clientFromKubeconfig(kubeconfig);
  const leases = client.resource<Lease>({
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    namespace: 'kube-system',
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (!dead && Date.now() < deadline) {
      try {
        if ((await leases.get(lease)).spec?.holderIdentity) return true;
      } catch {
        // Not created yet.
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    return false;
  } finally {
    await client.close();
  }
}
