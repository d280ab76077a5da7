// The local cluster's nodes: where each kubelet lives (its own loopback address where the OS
// allows, as separate machines would; distinct ports on 127.0.0.1 elsewhere), its files under
// <data-dir>/nodes/<name>, a static pod example, and the bootstrap token they all join with.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Secret } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { generateBootstrapToken, parseBootstrapToken, tokenExpired } from '@mkube/shared/bootstraptoken';
import type { KubeClient } from '@mkube/shared/client';
import { bootstrapKubeconfig, writeKubeconfig } from '@mkube/shared/kubeconfig';
import { tokenSecret } from '../token/secrets.js';

export interface PlannedNode {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly dir: string;
}

function canBind(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, ip, () => s.close(() => resolve(true)));
  });
}

/** node1 on 127.0.0.2:10250, node2 on 127.0.0.3:10250, …; or 127.0.0.1:10250, :10251, … */
export async function planNodes(dataDir: string, count: number, basePort = 10250): Promise<PlannedNode[]> {
  const ownAddresses = await canBind('127.0.0.2');
  return Array.from({ length: count }, (_, i) => {
    const name = `node${i + 1}`;
    return {
      name,
      ip: ownAddresses ? `127.0.0.${i + 2}` : '127.0.0.1',
      port: ownAddresses ? basePort : basePort + i,
      dir: join(dataDir, 'nodes', name),
    };
  });
}

const STATIC_POD = (
  node: string,
) => `# A static pod: the kubelet runs it from this file and mirrors it to the API as hello-${node}.
# Try: kubectl logs -f hello-${node}    kubectl exec hello-${node} -- sh -c 'echo $POD_NAME; pwd'
apiVersion: v1
kind: Pod
metadata:
  name: hello
  namespace: default
spec:
  containers:
  - name: hello
    image: busybox
    command: ["sh", "-c", "while true; do echo \\"hello from $POD_NAME on ${node} at $(date -u +%H:%M:%S)\\"; sleep 5; done"]
`;

/** Creates the node's folders and its static pod example (kept if the user edited it). */
export function prepareNode(n: PlannedNode): string {
  const manifests = join(n.dir, 'manifests');
  mkdirSync(manifests, { recursive: true });
  const file = join(manifests, 'hello.yaml');
  try {
    readFileSync(file);
  } catch {
    writeFileSync(file, STATIC_POD(n.name));
  }
  return manifests;
}

export function kubeletArgs(
  n: PlannedNode,
  dataDir: string,
  manifests: string,
  verbosity = 0,
  bootstrapKubeconfig = join(dataDir, 'bootstrap-kubelet.conf'),
): string[] {
  const pki = join(dataDir, 'pki');
  return [
    'kubelet',
    `--bootstrap-kubeconfig=${bootstrapKubeconfig}`,
    `--kubeconfig=${join(n.dir, 'kubelet.conf')}`,
    `--root-dir=${n.dir}`,
    `--hostname-override=${n.name}`,
    `--node-ip=${n.ip}`,
    `--address=${n.ip}`,
    `--port=${n.port}`,
    `--client-ca-file=${join(pki, 'ca.crt')}`,
    '--rotate-certificates',
    '--rotate-server-certificates',
    `--pod-manifest-path=${manifests}`,
    ...(verbosity ? [`--v=${verbosity}`] : []),
  ];
}

const SECRETS = { group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' } as const;

/**
 * The bootstrap kubeconfig the kubelets join with: the token in <data-dir>/bootstrap-kubelet.conf
 * is reused while its Secret exists and is unexpired; otherwise a new 24 h token (kubeadm's
 * default) is created and the file rewritten. Returns the token id and whether it is new.
 */
export async function ensureBootstrapKubeconfig(
  admin: KubeClient,
  dataDir: string,
  server: string,
  caPem: string,
): Promise<{ id: string; created: boolean }> {
  const file = join(dataDir, 'bootstrap-kubelet.conf');
  let existing: string | undefined;
  try {
    existing = /token: (\S+)/.exec(readFileSync(file, 'utf8'))?.[1]?.replace(/^"|"$/g, '');
  } catch {
    existing = undefined;
  }
  const parsed = existing ? parseBootstrapToken(existing) : null;
  if (parsed) {
    try {
      const s = await admin.resource<Secret>(SECRETS).get(`bootstrap-token-${parsed.id}`);
      if (!tokenExpired(s, new Date())) return { id: parsed.id, created: false };
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  const token = generateBootstrapToken();
  await admin.resource<Secret>(SECRETS).create(
    tokenSecret(
      {
        token,
        ttlMs: 24 * 3600_000,
        usages: ['signing', 'authentication'],
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
        description: 'mkube up: the local kubelets join with it',
      },
      new Date(),
    ),
  );
  await writeKubeconfig(file, bootstrapKubeconfig(server, caPem, token));

  return { id: parseBootstrapToken(token)!.id, created: true };
}
