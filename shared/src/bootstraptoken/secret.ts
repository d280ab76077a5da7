// Reading the Secret behind a bootstrap token (cluster-bootstrap util/secrets, facts §1): one place
// for the field decoding and the expiration rule the authenticator, signer and cleaner all apply.
import type { Secret } from '../api/index.js';

export const BOOTSTRAP_SECRET_NAME_RE = /^bootstrap-token-([a-z0-9]{6})$/;

/** A `data` value decoded from base64; undefined when absent. */
export function secretField(s: Secret, key: string): string | undefined {
  const v = s.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** The token id a Secret's name carries (`bootstrap-token-<id>`), or undefined. */
export function tokenIdFromSecretName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : BOOTSTRAP_SECRET_NAME_RE.exec(name)?.[1];
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** The expiration instant in ms; NaN when present but unparseable, undefined when absent. */
export function expirationOf(s: Secret): number | undefined {
  const raw = secretField(s, 'expiration');
  if (raw === undefined) return undefined;
  return RFC3339.test(raw) ? Date.parse(raw) : Number.NaN;
}

/** RFC 3339 as Go's time.Parse reads it; an unparseable expiration counts as expired. */
export function tokenExpired(s: Secret, now: Date): boolean {
  const t = expirationOf(s);
  if (t === undefined) return false;
  return Number.isNaN(t) || t - now.getTime() <= 0;
}
