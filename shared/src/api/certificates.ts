// certificates.k8s.io/v1 CertificateSigningRequest (k8s.io/api/certificates/v1/types.go).
import type { KubeObject, Time } from './meta.js';

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
