// Secret-based ("legacy") service-account tokens (pkg/serviceaccount/legacy.go): a Secret of type
// kubernetes.io/service-account-token names its ServiceAccount in an annotation; the tokens
// controller writes a JWT with issuer `kubernetes/serviceaccount`, no audience and no expiry into
// it, and the apiserver accepts that token only while the Secret holds exactly it and the account
// still exists with the same uid.
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { algorithmOf, keyId } from './keys.js';

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
/** LegacyServiceAccountTokenTracking: the day (UTC, YYYY-MM-DD) the token last authenticated. */
export const LEGACY_TOKEN_LAST_USED_LABEL = 'kubernetes.io/legacy-token-last-used';
/** LegacyServiceAccountTokenCleanUp: set on a token that no longer authenticates. */
export const LEGACY_TOKEN_INVALID_SINCE_LABEL = 'kubernetes.io/legacy-token-invalid-since';
/** kube-system's ConfigMap saying since when the apiserver tracks token use (its `since` key). */
export const LEGACY_TOKEN_TRACKING = {
  namespace: 'kube-system',
  name: 'kube-apiserver-legacy-service-account-token-tracking',
  sinceKey: 'since',
} as const;

/** The labels' and the tracking ConfigMap's date format (Go's "2006-01-02"), in UTC. */
export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/** Whether `s` is such a date (time.Parse would accept it). */
export function isUtcDay(s: string | undefined): s is string {
  return !!s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

/** legacyPrivateClaims, flat as upstream writes them. */
export interface LegacyClaims {
  readonly 'kubernetes.io/serviceaccount/namespace': string;
  readonly 'kubernetes.io/serviceaccount/secret.name': string;
  readonly 'kubernetes.io/serviceaccount/service-account.name': string;
  readonly 'kubernetes.io/serviceaccount/service-account.uid': string;
}

export function legacyClaims(
  namespace: string,
  accountName: string,
  accountUid: string,
  secretName: string,
): LegacyClaims {
  return {
    'kubernetes.io/serviceaccount/namespace': namespace,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': accountName,
    'kubernetes.io/serviceaccount/service-account.uid': accountUid,
  };
}

/** The token the tokens controller writes into a Secret (no aud, exp, iat: it lives as long as the Secret). */
export function signLegacyToken(
  key: KeyObject,
  account: { namespace: string; name: string; uid: string },
  secretName: string,
): Promise<string> {
  return new SignJWT({ ...legacyClaims(account.namespace, account.name, account.uid, secretName) })
    .setProtectedHeader({ alg: algorithmOf(key), kid: keyId(key) })
    .setIssuer(LEGACY_ISSUER)
    .setSubject(`system:serviceaccount:${account.namespace}:${account.name}`)
    .sign(key);
}
