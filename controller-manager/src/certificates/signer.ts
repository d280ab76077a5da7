// csrsigning (k8s pkg/controller/certificates/signer, facts §3): an approved CSR for a built-in
// signer this process holds a CA for is checked against the signer's rules — a violation becomes a
// Failed condition with reason SignerValidationFailure — and otherwise signed: validity from
// --cluster-signing-duration, capped by expirationSeconds, never under 10 minutes, backdated
// 5 minutes and clamped to the CA (CertificateAuthority.signCsr). The status update carries the
// resourceVersion read, so two signers can never both issue one CSR.
import type { CertificateSigningRequest, KeyUsage } from '@mkube/shared/api';
import { isConflict } from '@mkube/shared/apierrors';
import { hasFailed, isApproved, isIssued, signerProblem, withCondition } from '@mkube/shared/certificates';
import type { KubeClient } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type CertificateAuthority, type ParsedCsr, PkiError } from '@mkube/shared/pki';
import { RESOURCES } from '../informers/index.js';
import { ParsedCsrCache } from './parsecache.js';

export const MIN_TTL_MS = 10 * 60 * 1000;

/** The lifetime a CSR gets: the configured duration, or the requested one if shorter, floored at 10 min. */
export function durationFor(csr: CertificateSigningRequest, signingDurationMs: number): number {
  const req = csr.spec.expirationSeconds;
  if (req === undefined || req === null) return signingDurationMs;
  const ttl = Math.min(req * 1000, signingDurationMs);
  return Math.max(ttl, MIN_TTL_MS);
}

export interface SigningOptions {
  /** signerName → the CA that signs for it; signers absent here are left to someone else. */
  readonly authorities: ReadonlyMap<string, CertificateAuthority>;
  readonly signingDurationMs: number;
}

export function signingHandler(
  client: KubeClient,
  opts: SigningOptions,
  recorder: EventRecorder,
  log: Logger,
  csrCache = new ParsedCsrCache(),
): (csr: CertificateSigningRequest) => Promise<void> {
  const csrs = client.resource<CertificateSigningRequest>(RESOURCES.csrs);

  const fail = async (csr: CertificateSigningRequest, message: string): Promise<void> => {
    const next = withCondition(csr, 'Failed', 'SignerValidationFailure', message);
    const updated = await csrs.updateSubresource(csr.metadata!.name!, 'status', next);
    recorder.event(updated, 'Warning', 'SignerValidationFailure', message);
    log.info({ csr: csr.metadata?.name, signer: csr.spec.signerName, reason: message }, 'csr failed signer validation');
  };

  return async (csr) => {
    if (!isApproved(csr) || hasFailed(csr) || isIssued(csr)) return;
    const ca = opts.authorities.get(csr.spec.signerName);
    if (!ca) return;
    let problem: string | undefined;
    let parsed: ParsedCsr | undefined;
    try {
      parsed = csrCache.parse(csr);
      problem = signerProblem(csr.spec.signerName, parsed, csr.spec.usages ?? []);
    } catch (err) {
      problem = `unable to parse csr: ${(err as Error).message}`;
    }
    if (problem !== undefined || !parsed) {
      await fail(csr, problem ?? 'unable to parse csr');
      return;
    }
    let certPem: string;
    try {
      certPem = ca.signParsedCsr(parsed, {
        usages: (csr.spec.usages ?? []) as KeyUsage[],
        ttlMs: durationFor(csr, opts.signingDurationMs),
      }).pem;
    } catch (err) {
      if (err instanceof PkiError && err.code === 'CAExpired') {
        recorder.event(csr, 'Warning', 'SigningFailed', `error auto signing csr: ${err.message}`);
      }
      throw err;
    }
    const next = { ...csr, status: { ...csr.status, certificate: Buffer.from(certPem).toString('base64') } };
    try {
      await csrs.updateSubresource(csr.metadata!.name!, 'status', next);
    } catch (err) {
      // Someone else (a former leader) changed it first: the next event brings the truth.
      if (isConflict(err)) return;
      throw err;
    }
    log.debug({ csr: csr.metadata?.name, signer: csr.spec.signerName }, 'signed');
  };
}
