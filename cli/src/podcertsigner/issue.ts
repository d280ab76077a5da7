// What the signer writes into a pending PodCertificateRequest's status, as upstream's hermetic test
// signer (test/utils/hermeticpodcertificatesigner) issues: a leaf for spec.pkixPublicKey with an
// empty subject, the SPIFFE ID of the pod's service account as its one URI SAN, digital signature
// with client and server auth, and the chain leaf + CA. The times satisfy the apiserver's status
// validation: notBefore/notAfter exactly the leaf's, notBefore within 5 minutes of the apiserver's
// clock, a lifetime of at least an hour and at most spec.maxExpirationSeconds, and beginRefreshAt at
// half-life inside [notBefore + 10m, notAfter − 10m].
import type { Condition, PodCertificateRequest, PodCertificateRequestStatus } from '@mkube/shared/api';
import { BACKDATE_MS, type CertificateAuthority, encodePem, SHORT_TTL_MS } from '@mkube/shared/pki';

/** The apiserver's floor for a leaf's lifetime (and spec.maxExpirationSeconds'). */
export const MIN_LIFETIME_MS = 60 * 60 * 1000;
/** What the apiserver defaults spec.maxExpirationSeconds to. */
const DEFAULT_MAX_EXPIRATION_SECONDS = 86400;
const REFRESH_MARGIN_MS = 10 * 60 * 1000;
/**
 * How far notBefore is put before now: clocks a little apart still agree the leaf is valid, and it
 * stays well inside the apiserver's ±5 minutes (the hermetic signer's 2 minutes).
 */
const NOT_BEFORE_SKEW_MS = 2 * 60 * 1000;

const USAGES = ['digital signature', 'client auth', 'server auth'] as const;

/** metav1.Time: RFC 3339 in whole seconds. */
export const metaTime = (d: Date | number): string => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Issued, Denied or Failed: the status can no longer change. */
export function isFinished(pcr: PodCertificateRequest): boolean {
  return (pcr.status?.conditions ?? []).some((c) => c.type === 'Issued' || c.type === 'Denied' || c.type === 'Failed');
}

export interface IssueOptions {
  readonly trustDomain: string;
  /** The most this signer gives, whatever the request allows. */
  readonly maxLifetimeMs: number;
  readonly now?: number;
}

export type IssueResult =
  | {
      readonly issued: true;
      readonly status: PodCertificateRequestStatus;
      readonly uri: string;
      readonly notAfter: Date;
    }
  | { readonly issued: false; readonly status: PodCertificateRequestStatus; readonly message: string };

const condition = (type: 'Issued' | 'Failed', reason: string, message: string, now: number): Condition => ({
  type,
  status: 'True',
  reason,
  message,
  lastTransitionTime: metaTime(now),
});

/**
 * The status for `pcr`: Issued with its certificate, or Failed when the CA expires too soon to give
 * the hour the apiserver requires (retrying would not help).
 */
export function issuePodCertificate(
  ca: CertificateAuthority,
  pcr: PodCertificateRequest,
  o: IssueOptions,
): IssueResult {
  const now = o.now ?? Date.now();
  const requestedMs = (pcr.spec.maxExpirationSeconds ?? DEFAULT_MAX_EXPIRATION_SECONDS) * 1000;
  const lifetimeMs = Math.floor(Math.min(requestedMs, o.maxLifetimeMs) / 1000) * 1000;
  const notBefore = now - NOT_BEFORE_SKEW_MS;
  if (ca.certificate.notAfter.getTime() - notBefore < MIN_LIFETIME_MS) {
    const message = `the signer's CA expires at ${metaTime(ca.certificate.notAfter)}, too soon for a certificate of at least an hour`;
    return { issued: false, message, status: { conditions: [condition('Failed', 'CAExpiring', message, now)] } };
  }
  // The CA backdates by 5 minutes and, under 8 hours, keeps the whole TTL after now: ask with the
  // time and TTL that make its notBefore ours and its lifetime exactly lifetimeMs.
  const ttlMs = lifetimeMs >= SHORT_TTL_MS ? lifetimeMs : lifetimeMs - BACKDATE_MS;
  const uri = spiffeId(o.trustDomain, pcr.metadata?.namespace ?? '', pcr.spec.serviceAccountName);
  const leaf = ca.issue({
    subject: {},
    publicKey: Buffer.from(pcr.spec.pkixPublicKey, 'base64'),
    usages: USAGES,
    uris: [uri],
    ttlMs,
    now: new Date(notBefore + BACKDATE_MS),
  });
  const nb = leaf.notBefore.getTime();
  const na = leaf.notAfter.getTime();
  const refresh = Math.min(
    Math.max(nb + Math.floor((na - nb) / 2000) * 1000, nb + REFRESH_MARGIN_MS),
    na - REFRESH_MARGIN_MS,
  );
  return {
    issued: true,
    uri,
    notAfter: leaf.notAfter,
    status: {
      conditions: [condition('Issued', 'Issued', `issued for ${uri}`, now)],
      // The CA re-encoded: a file read may carry text around its PEM block.
      certificateChain: `${leaf.pem}${encodePem('CERTIFICATE', ca.certificate.der)}`,
      notBefore: metaTime(nb),
      beginRefreshAt: metaTime(refresh),
      notAfter: metaTime(na),
    },
  };
}
