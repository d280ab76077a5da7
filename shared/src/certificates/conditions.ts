// CSR status conditions as every party reads them: the apiserver's printer and strategy, the
// controller-manager's approver, signer and cleaner, the kubelet waiting for its certificate.
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from '../api/index.js';
import { metaTime } from '../api/time.js';

export const APPROVED = 'Approved';
export const DENIED = 'Denied';
export const FAILED = 'Failed';

export function conditionsOf(csr: CertificateSigningRequest): CertificateSigningRequestCondition[] {
  return csr.status?.conditions ?? [];
}

export function findConditions(csr: CertificateSigningRequest, type: string): CertificateSigningRequestCondition[] {
  return conditionsOf(csr).filter((c) => c.type === type);
}

export function findCondition(
  csr: CertificateSigningRequest,
  type: string,
): CertificateSigningRequestCondition | undefined {
  return conditionsOf(csr).find((c) => c.type === type);
}

/** An Approved or Denied condition (any status counts, as upstream's GetCertApprovalCondition). */
export function approvalState(csr: CertificateSigningRequest): { approved: boolean; denied: boolean } {
  let approved = false;
  let denied = false;
  for (const c of conditionsOf(csr)) {
    if (c.type === APPROVED) approved = true;
    if (c.type === DENIED) denied = true;
  }
  return { approved, denied };
}

export const isApproved = (csr: CertificateSigningRequest): boolean => {
  const s = approvalState(csr);
  return s.approved && !s.denied;
};

export const isIssued = (csr: CertificateSigningRequest): boolean => Boolean(csr.status?.certificate);

export const hasFailed = (csr: CertificateSigningRequest): boolean =>
  conditionsOf(csr).some((c) => c.type === FAILED && c.status === 'True');

/** The PEM text of `spec.request` (base64 in the API). */
export function requestPemOf(csr: CertificateSigningRequest): string {
  return Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
}

/** A copy of `csr` with one more condition (status True), both timestamps now: what a controller writes. */
export function withCondition(
  csr: CertificateSigningRequest,
  type: 'Approved' | 'Denied' | 'Failed',
  reason: string,
  message: string,
  now = new Date(),
): CertificateSigningRequest {
  const t = metaTime(now);
  const cond: CertificateSigningRequestCondition = {
    type,
    status: 'True',
    reason,
    message,
    lastUpdateTime: t,
    lastTransitionTime: t,
  };
  return { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), cond] } };
}
