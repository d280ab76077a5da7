// The built-in signers' rules (k8s pkg/apis/certificates/helpers.go and the kcm signer, facts §3):
// what subject, SANs and usages each signer accepts. A violation is a message, exactly upstream's.
import type { KeyUsage } from '../api/index.js';
import { SIGNER } from '../api/index.js';
import type { ParsedCsr } from '../pki/index.js';

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

const set = (...u: KeyUsage[]): ReadonlySet<string> => new Set(u);
export const KUBELET_CLIENT_USAGE_SETS = [
  set('digital signature', 'key encipherment', 'client auth'),
  set('digital signature', 'client auth'),
] as const;
export const KUBELET_SERVING_USAGE_SETS = [
  set('digital signature', 'key encipherment', 'server auth'),
  set('digital signature', 'server auth'),
] as const;

function sameSet(a: ReadonlySet<string>, usages: readonly string[]): boolean {
  const b = new Set(usages);
  return a.size === b.size && [...a].every((u) => b.has(u));
}

/** Go's `%v` of sets.List(): sorted, space-separated, in brackets. */
const listed = (s: ReadonlySet<string>): string => `[${[...s].sort().join(' ')}]`;

export function usagesMatchOneOf(sets: readonly ReadonlySet<string>[], usages: readonly string[]): boolean {
  return sets.some((s) => sameSet(s, usages));
}

type Csr = Pick<ParsedCsr, 'subject' | 'dnsNames' | 'ipAddresses' | 'emailAddresses' | 'uris'>;

function nodeSubjectProblem(req: Csr): string | undefined {
  const o = req.subject.organizations;
  if (o.length !== 1 || o[0] !== NODES_GROUP) return 'subject organization is not system:nodes';
  if (!req.subject.commonName.startsWith(NODE_USER_PREFIX)) {
    return 'subject common name does not begin with system:node:';
  }
  return undefined;
}

/** kubernetes.io/kube-apiserver-client-kubelet (ValidateKubeletClientCSR). */
export function kubeletClientProblem(req: Csr, usages: readonly string[]): string | undefined {
  const subject = nodeSubjectProblem(req);
  if (subject) return subject;
  if (req.dnsNames.length > 0) return 'DNS subjectAltNames are not allowed';
  if (req.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (req.ipAddresses.length > 0) return 'IP subjectAltNames are not allowed';
  if (req.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!usagesMatchOneOf(KUBELET_CLIENT_USAGE_SETS, usages)) {
    return `usages did not match ${listed(KUBELET_CLIENT_USAGE_SETS[0])}`;
  }
  return undefined;
}

/** kubernetes.io/kubelet-serving (ValidateKubeletServingCSR). */
export function kubeletServingProblem(req: Csr, usages: readonly string[]): string | undefined {
  const subject = nodeSubjectProblem(req);
  if (subject) return subject;
  if (req.dnsNames.length === 0 && req.ipAddresses.length === 0) return 'DNS or IP subjectAltName is required';
  if (req.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (req.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!usagesMatchOneOf(KUBELET_SERVING_USAGE_SETS, usages)) {
    return `usages did not match ${listed(KUBELET_SERVING_USAGE_SETS[0])}`;
  }
  return undefined;
}

/** kubernetes.io/kube-apiserver-client (the signer's validAPIServerClientUsages). */
export function apiserverClientProblem(_req: Csr, usages: readonly string[]): string | undefined {
  let clientAuth = false;
  for (const u of usages) {
    if (u === 'client auth') clientAuth = true;
    else if (u !== 'digital signature' && u !== 'key encipherment') return `invalid usage for client certificate: ${u}`;
  }
  return clientAuth ? undefined : 'missing required usage for client certificate: client auth';
}

/** The rule check for a built-in signer; undefined for a signer with no rules or one not built in. */
export function signerProblem(signerName: string, req: Csr, usages: readonly string[]): string | undefined {
  switch (signerName) {
    case SIGNER.kubeAPIServerClientKubelet:
      return kubeletClientProblem(req, usages);
    case SIGNER.kubeletServing:
      return kubeletServingProblem(req, usages);
    case SIGNER.kubeAPIServerClient:
      return apiserverClientProblem(req, usages);
    default:
      return undefined;
  }
}
