// kubeadm's PKI layout (kubeadm certs list / `kubeadm init phase certs|kubeconfig`), as data:
// which CA signs what, with which subject, usages and SANs. The names are kubeadm's, so
// `mkube certs renew apiserver` means what `kubeadm certs renew apiserver` means.
import { isIP } from 'node:net';
import type { KeyUsageName, Subject, SubjectAltNames } from '@mkube/shared/pki';

export const LEAF_VALIDITY_MS = 365 * 24 * 3600_000; // kubeadm: 8760h
export const CA_VALIDITY_MS = 10 * 365 * 24 * 3600_000; // kubeadm: 10 years

export type CaName = 'ca' | 'front-proxy-ca' | 'etcd-ca';

export interface CaSpec {
  readonly name: CaName;
  /** Path below DIR/pki without extension. */
  readonly baseName: string;
  readonly commonName: string;
}

export const CAS: readonly CaSpec[] = [
  { name: 'ca', baseName: 'ca', commonName: 'kubernetes' },
  { name: 'front-proxy-ca', baseName: 'front-proxy-ca', commonName: 'front-proxy-ca' },
  { name: 'etcd-ca', baseName: 'etcd/ca', commonName: 'etcd-ca' },
];

/** What the leaves' SANs are derived from (the flags of `pki init`). */
export interface ClusterIdentity {
  readonly nodeName: string;
  readonly hostName: string;
  readonly advertiseAddress: string;
  readonly firstServiceIp: string;
  readonly controlPlaneHost?: string;
  readonly extraSans: readonly string[];
}

export interface LeafSpec {
  readonly name: string;
  readonly baseName: string;
  readonly ca: CaName;
  readonly usages: readonly KeyUsageName[];
  subject(id: ClusterIdentity): Subject;
  sans(id: ClusterIdentity): SubjectAltNames;
}

const SERVER: readonly KeyUsageName[] = ['digital signature', 'key encipherment', 'server auth'];
const CLIENT: readonly KeyUsageName[] = ['digital signature', 'key encipherment', 'client auth'];
const PEER: readonly KeyUsageName[] = ['digital signature', 'key encipherment', 'server auth', 'client auth'];
const none = (): SubjectAltNames => ({});

/** Splits a list of names into DNS names and IP addresses, dropping duplicates, keeping order. */
export function splitSans(values: readonly (string | undefined)[]): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const v of values) {
    if (!v) continue;
    const target = isIP(v) ? ipAddresses : dnsNames;
    if (!target.includes(v)) target.push(v);
  }
  return { dnsNames, ipAddresses };
}

export const LEAVES: readonly LeafSpec[] = [
  {
    name: 'apiserver',
    baseName: 'apiserver',
    ca: 'ca',
    usages: SERVER,
    subject: () => ({ commonName: 'kube-apiserver' }),
    sans: (id) =>
      splitSans([
        id.nodeName,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        'localhost',
        id.hostName,
        id.controlPlaneHost,
        id.firstServiceIp,
        id.advertiseAddress,
        '127.0.0.1',
        ...id.extraSans,
      ]),
  },
  {
    name: 'apiserver-kubelet-client',
    baseName: 'apiserver-kubelet-client',
    ca: 'ca',
    usages: CLIENT,
    subject: () => ({ commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'] }),
    sans: none,
  },
  {
    name: 'front-proxy-client',
    baseName: 'front-proxy-client',
    ca: 'front-proxy-ca',
    usages: CLIENT,
    subject: () => ({ commonName: 'front-proxy-client' }),
    sans: none,
  },
  {
    name: 'etcd-server',
    baseName: 'etcd/server',
    ca: 'etcd-ca',
    usages: PEER,
    subject: (id) => ({ commonName: id.nodeName }),
    sans: (id) => splitSans([id.nodeName, 'localhost', id.advertiseAddress, '127.0.0.1', '::1']),
  },
  {
    name: 'etcd-peer',
    baseName: 'etcd/peer',
    ca: 'etcd-ca',
    usages: PEER,
    subject: (id) => ({ commonName: id.nodeName }),
    sans: (id) => splitSans([id.nodeName, 'localhost', id.advertiseAddress, '127.0.0.1', '::1']),
  },
  {
    name: 'etcd-healthcheck-client',
    baseName: 'etcd/healthcheck-client',
    ca: 'etcd-ca',
    usages: CLIENT,
    subject: () => ({ commonName: 'kube-etcd-healthcheck-client' }),
    sans: none,
  },
  {
    name: 'apiserver-etcd-client',
    baseName: 'apiserver-etcd-client',
    ca: 'etcd-ca',
    usages: CLIENT,
    subject: () => ({ commonName: 'kube-apiserver-etcd-client' }),
    sans: none,
  },
];

export interface KubeconfigSpec {
  /** File name in DIR, e.g. admin.conf; also the name `certs renew` takes. */
  readonly fileName: string;
  readonly userName: string;
  readonly subject: Subject;
}

export const CLUSTER_NAME = 'kubernetes';

export const KUBECONFIGS: readonly KubeconfigSpec[] = [
  // kubeadm 1.29+: admin.conf is a cluster-admin through RBAC (the kubeadm:cluster-admins
  // ClusterRoleBinding, which the apiserver's bootstrap policy makes), so it can be revoked;
  // super-admin.conf is the break-glass identity in system:masters, which bypasses authorization.
  {
    fileName: 'admin.conf',
    userName: 'kubernetes-admin',
    subject: { commonName: 'kubernetes-admin', organizations: ['kubeadm:cluster-admins'] },
  },
  {
    fileName: 'super-admin.conf',
    userName: 'kubernetes-super-admin',
    subject: { commonName: 'kubernetes-super-admin', organizations: ['system:masters'] },
  },
  {
    fileName: 'controller-manager.conf',
    userName: 'system:kube-controller-manager',
    subject: { commonName: 'system:kube-controller-manager' },
  },
  {
    fileName: 'scheduler.conf',
    userName: 'system:kube-scheduler',
    subject: { commonName: 'system:kube-scheduler' },
  },
  {
    fileName: 'kube-proxy.conf',
    userName: 'system:kube-proxy',
    subject: { commonName: 'system:kube-proxy' },
  },
];

/** Every name `certs renew` accepts, in kubeadm's (alphabetical) order. */
export function renewableNames(): string[] {
  return [...LEAVES.map((l) => l.name), ...KUBECONFIGS.map((k) => k.fileName)].sort();
}
