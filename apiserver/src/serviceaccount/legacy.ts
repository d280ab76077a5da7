// Secret-based service-account tokens (pkg/serviceaccount/legacy.go, jwt.go): issuer
// `kubernetes/serviceaccount`, no audience, no expiry. Such a token is only as alive as its Secret:
// it authenticates while the Secret exists, is not being deleted, holds exactly this token (compared
// in constant time) and is not labelled invalid, and while the ServiceAccount exists with the uid the
// token names. Each day it is used the Secret is labelled with the date (legacy token tracking).

import type { KeyObject } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import type { Secret, ServiceAccount } from '@mkube/shared/api';
import type { TokenAuthenticator, UserInfo } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import {
  keyId,
  LEGACY_ISSUER,
  LEGACY_TOKEN_INVALID_SINCE_LABEL,
  LEGACY_TOKEN_LAST_USED_LABEL,
} from '@mkube/shared/serviceaccount';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

export interface LegacyLookups {
  serviceAccount(namespace: string, name: string): ServiceAccount | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** Labels the Secret as used today; failures are the caller's to log (authentication goes on). */
  markUsed(secret: Secret, day: string): Promise<void>;
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

function sameToken(stored: string | undefined, presented: string): boolean {
  if (!stored) return false;
  const a = Buffer.from(stored, 'base64');
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function legacyServiceAccountTokenAuthenticator(
  publicKeys: readonly KeyObject[],
  lookups: LegacyLookups,
  log: Logger,
  now: () => Date = () => new Date(),
): TokenAuthenticator {
  const byKid = new Map(publicKeys.map((k) => [keyId(k), k]));
  const refuse = (why: string, fields: Record<string, string>): null => {
    // Why a legacy token failed is worth a line; the token itself never is.
    log.info({ ...fields, reason: why }, 'legacy service-account token refused');
    return null;
  };
  return {
    async authenticateToken(token): Promise<UserInfo | null> {
      if (token.split('.').length !== 3) return null;
      let kid: string | undefined;
      try {
        // Only a token claiming the legacy issuer is this authenticator's to judge.
        if (decodeJwt(token).iss !== LEGACY_ISSUER) return null;
        kid = decodeProtectedHeader(token).kid;
      } catch {
        return null;
      }
      let claims: Record<string, unknown> | undefined;
      for (const key of kid && byKid.has(kid) ? [byKid.get(kid)!] : publicKeys) {
        try {
          claims = (await jwtVerify(token, key, { issuer: LEGACY_ISSUER })).payload;
          break;
        } catch {}
      }
      if (!claims) return null;
      const str = (k: string) => (typeof claims![k] === 'string' ? (claims![k] as string) : '');
      const namespace = str('kubernetes.io/serviceaccount/namespace');
      const secretName = str('kubernetes.io/serviceaccount/secret.name');
      const accountName = str('kubernetes.io/serviceaccount/service-account.name');
      const accountUid = str('kubernetes.io/serviceaccount/service-account.uid');
      if (!namespace || !secretName || !accountName || !accountUid) return null;
      if (str('sub') !== `system:serviceaccount:${namespace}:${accountName}`) return null;
      const at = { secret: `${namespace}/${secretName}`, serviceAccount: `${namespace}/${accountName}` };
      const secret = lookups.secret(namespace, secretName);
      if (!secret || secret.metadata.deletionTimestamp) return refuse('Token has been invalidated', at);
      if (!sameToken(secret.data?.token, token)) return refuse("Token does not match server's copy", at);
      const sa = lookups.serviceAccount(namespace, accountName);
      if (!sa || sa.metadata.deletionTimestamp) return refuse('the ServiceAccount has been deleted', at);
      if (sa.metadata.uid !== accountUid) return refuse('ServiceAccount UID does not match claim', at);
      const today = utcDay(now());
      const tomorrow = utcDay(new Date(now().getTime() + 86_400_000));
      const lastUsed = secret.metadata.labels?.[LEGACY_TOKEN_LAST_USED_LABEL];
      if (lastUsed !== today && lastUsed !== tomorrow) {
        void lookups
          .markUsed(secret, today)
          .catch((e: unknown) =>
            log.warn({ ...at, err: (e as Error).message }, 'could not record the legacy token as used'),
          );
      }
      if (secret.metadata.labels?.[LEGACY_TOKEN_INVALID_SINCE_LABEL]) {
        return refuse(
          `the token in secret ${namespace}/${secretName} for service account ${namespace}/${accountName} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '${LEGACY_TOKEN_INVALID_SINCE_LABEL}' label from the secret to re-enable it`,
          at,
        );
      }
      return {
        username: `system:serviceaccount:${namespace}:${accountName}`,
        uid: accountUid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
        extra: {},
      };
    },
  };
}
