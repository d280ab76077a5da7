// certificates.k8s.io/v1 CertificateSigningRequest (k8s.io/api/certificates/v1/types.go).
import type { Condition, KubeObject, Time } from './meta.js';

/** The key usages a CSR may request, spelled as the API spells them. */
export type KeyUsage =
  | 'signing'
  | 'digital signature'
  | 'content commitment'
  | 'key encipherment'
  | 'key agreement'
  | 'data encipherment'
  | 'cert sign'
  | 'crl sign'
  | 'encipher only'
  | 'decipher only'
  | 'any'
  | 'server auth'
  | 'client auth'
  | 'code signing'
  | 'email protection'
  | 's/mime'
  | 'ipsec end system'
  | 'ipsec tunnel'
  | 'ipsec user'
  | 'timestamping'
  | 'ocsp signing'
  | 'microsoft sgc'
  | 'netscape sgc';

/** Every KeyUsage, in the API's order; a usage outside this list is rejected on create. */
export const KEY_USAGES: readonly KeyUsage[] = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

export interface CertificateSigningRequestSpec {
  /** base64 of the PEM `CERTIFICATE REQUEST` block (Go []byte). */
  request: string;
  signerName: string;
  expirationSeconds?: number;
  usages?: KeyUsage[];
  /** Set by the server from the requester; client values are wiped. */
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type RequestConditionType = 'Approved' | 'Denied' | 'Failed';

export interface CertificateSigningRequestCondition {
  type: RequestConditionType | (string & {});
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: Time;
  lastTransitionTime?: Time;
}

export interface CertificateSigningRequestStatus {
  conditions?: CertificateSigningRequestCondition[];
  /** base64 of one or more PEM `CERTIFICATE` blocks, once issued. */
  certificate?: string;
}

export interface CertificateSigningRequest extends KubeObject {
  spec: CertificateSigningRequestSpec;
  status?: CertificateSigningRequestStatus;
}

export interface ClusterTrustBundleSpec {
  /** The signer whose trust anchors these are; empty for a bundle tied to no signer. */
  signerName?: string;
  /** PEM `CERTIFICATE` blocks, each a CA certificate. */
  trustBundle: string;
}

/** certificates.k8s.io/v1beta1 ClusterTrustBundle: cluster-wide X.509 trust anchors. */
export interface ClusterTrustBundle extends KubeObject {
  spec: ClusterTrustBundleSpec;
}

/** The key types a `podCertificate` projection may ask for (core/v1 PodCertificateProjection.keyType). */
export const POD_CERTIFICATE_KEY_TYPES = [
  'RSA3072',
  'RSA4096',
  'ECDSAP256',
  'ECDSAP384',
  'ECDSAP521',
  'ED25519',
] as const;
export type PodCertificateKeyType = (typeof POD_CERTIFICATE_KEY_TYPES)[number];

export interface PodCertificateRequestSpec {
  signerName: string;
  podName: string;
  podUID: string;
  serviceAccountName: string;
  serviceAccountUID: string;
  nodeName: string;
  nodeUID: string;
  /** Defaulted to 86400; [3600, 86400] for kubernetes.io signers, [3600, 91 days] for others. */
  maxExpirationSeconds?: number;
  /** DER SubjectPublicKeyInfo, base64 in JSON. */
  pkixPublicKey: string;
  /** The key's signature over the ASCII pod UID, base64 in JSON (ProofOfPossession below). */
  proofOfPossession: string;
  /** 1.35: copied from the projection's userAnnotations; the signer decides what they mean. */
  unverifiedUserAnnotations?: Record<string, string>;
}

/** Issued, Denied or Failed, at most one, always "True". */
export type PodCertificateRequestConditionType = 'Issued' | 'Denied' | 'Failed';

export interface PodCertificateRequestStatus {
  conditions?: Condition[];
  /** PEM CERTIFICATE blocks, leaf first (text, not base64). */
  certificateChain?: string;
  notBefore?: Time;
  beginRefreshAt?: Time;
  notAfter?: Time;
}

/**
 * certificates.k8s.io/v1beta1 PodCertificateRequest (KEP-4317, 1.35 beta, gate PodCertificateRequest):
 * a kubelet asks a signer for a pod's certificate; namespaced, status written by the signer only.
 */
export interface PodCertificateRequest extends KubeObject {
  spec: PodCertificateRequestSpec;
  status?: PodCertificateRequestStatus;
}
