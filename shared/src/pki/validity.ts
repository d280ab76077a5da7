// Kubernetes' signing-time rules (pkg/controller/certificates/authority: authority.Sign and
// PermissiveSigningPolicy with Backdate = 5m, Short = 8h), plus Go's time texts for messages.
import { PkiError } from './errors.js';

export const BACKDATE_MS = 5 * 60 * 1000;
export const SHORT_TTL_MS = 8 * 60 * 60 * 1000;

/** X.509 times have whole seconds; Go truncates, so do we (before anything is compared). */
export const truncateToSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** Go's time.Time.String() for a UTC time: "2035-01-02 03:04:05 +0000 UTC". */
export function goTimeString(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * notBefore = now − 5m; notAfter = now + ttl − 5m when ttl ≥ 8h, else now + ttl (short certs keep
 * their whole lifetime); notAfter never past the signer's. Refuses when the signer is not valid now.
 */
export function leafValidity(nowMs: number, ttlMs: number, signer: Validity): Validity {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new PkiError('InvalidRequest', `invalid certificate lifetime ${ttlMs} ms: must be a positive number`);
  }
  if (!Number.isFinite(nowMs)) throw new PkiError('InvalidRequest', 'invalid signing time');
  const caNotAfter = signer.notAfter.getTime();
  if (nowMs >= caNotAfter) {
    throw new PkiError('CAExpired', `the signer has expired: NotAfter=${goTimeString(signer.notAfter)}`);
  }
  if (nowMs < signer.notBefore.getTime()) {
    throw new PkiError('CAExpired', `the signer is not yet valid: NotBefore=${goTimeString(signer.notBefore)}`);
  }
  const notBefore = truncateToSecond(nowMs - BACKDATE_MS);
  let notAfter = truncateToSecond(ttlMs < SHORT_TTL_MS ? nowMs + ttlMs : nowMs + ttlMs - BACKDATE_MS);
  if (notAfter > caNotAfter) notAfter = caNotAfter;
  return { notBefore: new Date(notBefore), notAfter: new Date(notAfter) };
}
