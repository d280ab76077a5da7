// The local cluster's nodes: where each kubelet lives (its own loopback address where the OS
// allows, as separate machines would; distinct ports on 127.0.0.1 elsewhere), its files under
// <data-dir>/nodes/<name>, a static pod example, the KubeletConfiguration each runs with (as kubeadm
// writes /var/lib/kubelet/config.yaml), and the bootstrap token they all join with.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Secret } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { writeFileAtomic } from '@mkube/shared/atomicfile';
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

/**
 * The node's KubeletConfiguration: what kubeadm writes (x509 client CA, webhook authentication,
 * Webhook authorization, no anonymous access, certificate rotation and serverTLSBootstrap) with
 * the node's address, port and static pod folder. Rewritten on every `mkube up`.
 */
export function kubeletConfigYaml(n: PlannedNode, dataDir: string, manifests: string): string {
  return `# Written by \`mkube up\` for ${n.name} on every start, as kubeadm writes /var/lib/kubelet/config.yaml.
# The kubelet reads it with --config; flags given on its command line override it.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${n.ip}
port: ${n.port}
readOnlyPort: 0
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
    cacheTTL: 2m0s
  x509:
    clientCAFile: ${join(dataDir, 'pki', 'ca.crt')}
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 5m0s
    cacheUnauthorizedTTL: 30s
rotateCertificates: true
serverTLSBootstrap: true
staticPodPath: ${manifests}
`;
}

/** Writes <node-dir>/config.yaml (temp file, fsync, rename), where kubeletArgs points --config. */
export async function writeKubeletConfig(n: PlannedNode, dataDir: string, manifests: string): Promise<void> {
  mkdirSync(n.dir, { recursive: true });
  await writeFileAtomic(join(n.dir, 'config.yaml'), kubeletConfigYaml(n, dataDir, manifests), { mode: 0o644 });
}

/**
 * The node's kubelet command line: --config (written by writeKubeletConfig) and only what kubeadm
 * passes beside it (the kubeconfigs, the node's name and IP) plus the root dir.
 */
export function kubeletArgs(
  n: PlannedNode,
  dataDir: string,
  verbosity = 0,
  bootstrapKubeconfig = join(dataDir, 'bootstrap-kubelet.conf'),
): string[] {
  const config = join(n.dir, 'config.yaml');
  return [
    'kubelet',
    `--bootstrap-kubeconfig=${bootstrapKubeconfig}`,
    `--kubeconfig=${join(n.dir, 'kubelet.conf')}`,
    `--config=${config}`,
    `--root-dir=${n.dir}`,
    `--hostname-override=${n.name}`,
    `--node-ip=${n.ip}`,
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
