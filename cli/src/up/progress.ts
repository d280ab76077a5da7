// What `mkube up` shows while nodes join: each node's CSRs as they are created, approved (or
// denied) and issued, and each Node turning Ready — read from the API through watches, the way an
// operator would follow it with `kubectl get csr,nodes -w`.
import type { CertificateSigningRequest, Node } from '@mkube/shared/api';
import { findCondition } from '@mkube/shared/certificates';
import { type KubeClient, ListWatcher } from '@mkube/shared/client';
import { parseCsrPem } from '@mkube/shared/pki';

const KIND: Record<string, string> = {
  'kubernetes.io/kube-apiserver-client-kubelet': 'client',
  'kubernetes.io/kubelet-serving': 'serving',
};

function nodeOf(csr: CertificateSigningRequest): string | undefined {
  try {
    const cn = parseCsrPem(Buffer.from(csr.spec.request, 'base64').toString('utf8')).subject.commonName;
    return cn?.startsWith('system:node:') ? cn.slice('system:node:'.length) : undefined;
  } catch {
    return undefined;
  }
}

export interface JoinProgress {
  /** Resolves when every named node is Ready (or the signal aborts). */
  readonly allReady: Promise<void>;
  stop(): void;
}

export function followJoin(admin: KubeClient, nodes: readonly string[], print: (line: string) => void): JoinProgress {
  const stop = new AbortController();
  // Only what happens from now on: a re-run's old CSRs and a stopped node's last Ready are history.
  const since = Math.floor(Date.now() / 1000) * 1000 - 1000;
  const after = (t: string | undefined) => t !== undefined && Date.parse(t) >= since;
  const seen = new Map<string, Set<string>>();
  const once = (key: string, what: string, line: string) => {
    const s = seen.get(key) ?? new Set<string>();
    seen.set(key, s);
    if (s.has(what)) return;
    s.add(what);
    print(line);
  };
  const onCsr = (csr: CertificateSigningRequest) => {
    const node = nodeOf(csr);
    if (!node || !nodes.includes(node) || !after(csr.metadata?.creationTimestamp)) return;
    const name = csr.metadata?.name ?? '';
    const kind = KIND[csr.spec.signerName] ?? csr.spec.signerName;
    once(name, 'created', `[${node}] CSR ${name} (kubelet ${kind}) created by ${csr.spec.username ?? '?'}`);
    const approved = findCondition(csr, 'Approved');
    if (approved) once(name, 'approved', `[${node}] CSR ${name} approved: ${approved.reason ?? ''}`);
    const denied = findCondition(csr, 'Denied');
    if (denied) once(name, 'denied', `[${node}] CSR ${name} DENIED: ${denied.reason ?? ''}: ${denied.message ?? ''}`);
    if (csr.status?.certificate) once(name, 'issued', `[${node}] CSR ${name} issued`);
  };
  const ready = new Set<string>();
  let resolveAll!: () => void;
  const allReady = new Promise<void>((r) => {
    resolveAll = r;
  });
  // No nodes (--nodes=0): nothing to wait for.
  if (nodes.length === 0) resolveAll();
  const onNode = (n: Node) => {
    const name = n.metadata?.name ?? '';
    if (!nodes.includes(name)) return;
    const r = n.status?.conditions?.find((c) => c.type === 'Ready');
    if (r?.status !== 'True' || !after(r.lastHeartbeatTime)) return;
    const addr = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = n.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    once(`node/${name}`, 'ready', `[${name}] Ready, serving the kubelet API on https://${addr}:${port}`);
    ready.add(name);
    if (ready.size === nodes.length) resolveAll();
  };
  const csrs = admin.resource<CertificateSigningRequest>({
    group: 'certificates.k8s.io',
    version: 'v1',
    resource: 'certificatesigningrequests',
  });
  const nodeRes = admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' });
  void new ListWatcher<CertificateSigningRequest>({
    source: csrs,
    handlers: { onAdd: onCsr, onUpdate: (_o, c) => onCsr(c) },
  }).run(stop.signal);
  void new ListWatcher<Node>({ source: nodeRes, handlers: { onAdd: onNode, onUpdate: (_o, c) => onNode(c) } }).run(
    stop.signal,
  );
  if (nodes.length === 0) resolveAll();
  return { allReady, stop: () => stop.abort() };
}
