// Bound service-account tokens (TokenRequest) and their authentication, with the claims of facts
// §13. A token names its ServiceAccount (and bound object) by name AND uid: once they are deleted
// or recreated the token no longer authenticates.
import { type KeyObject, randomUUID } from 'node:crypto';
import type { Pod, Secret, ServiceAccount, TokenRequest } from '@mkube/shared/api';
import { type FieldError, fieldErrors, newInvalid, newNotFound } from '@mkube/shared/apierrors';
import type { TokenAuthenticator, UserInfo } from '@mkube/shared/auth';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { algorithmOf, keyId } from './keys.js';

export interface TokenIssuerConfig {
  readonly signingKey: KeyObject;
  readonly issuer: string;
  /** Default audiences: the apiserver's (--api-audiences, else the issuer). */
  readonly audiences: readonly string[];
  /** --service-account-max-token-expiration in seconds (0: none). */
  readonly maxExpirationSeconds: number;
}

export interface Lookups {
  serviceAccount(namespace: string, name: string): ServiceAccount | undefined;
  pod(namespace: string, name: string): Pod | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

interface PrivateClaims {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
}

const KIND = { group: 'authentication.k8s.io', kind: 'TokenRequest' };

/** POST …/serviceaccounts/<name>/token: validates the request and signs the token. */
export async function issueToken(
  cfg: TokenIssuerConfig,
  lookups: Lookups,
  namespace: string,
  name: string,
  req: TokenRequest,
  now: Date,
): Promise<TokenRequest> {
  const sa = lookups.serviceAccount(namespace, name);
  if (!sa) throw newNotFound({ group: '', resource: 'serviceaccounts' }, name);
  const spec = req.spec ?? { audiences: [] };
  const errs: FieldError[] = [];
  let expirationSeconds = spec.expirationSeconds ?? 3600;
  if (expirationSeconds < 600)
    errs.push(
      fieldErrors.invalid(
        'spec.expirationSeconds',
        expirationSeconds,
        'may not specify a duration less than 10 minutes',
      ),
    );
  if (expirationSeconds > 2 ** 32) errs.push(fieldErrors.tooLong('spec.expirationSeconds', 2 ** 32));
  const claims: PrivateClaims = { namespace, serviceaccount: { name, uid: sa.metadata.uid! } };
  const ref = spec.boundObjectRef;
  if (ref) {
    const refName = ref.name ?? '';
    const bound =
      ref.kind === 'Pod'
        ? lookups.pod(namespace, refName)
        : ref.kind === 'Secret'
          ? lookups.secret(namespace, refName)
          : undefined;
    if (ref.kind !== 'Pod' && ref.kind !== 'Secret')
      errs.push(fieldErrors.notSupported('spec.boundObjectRef.kind', ref.kind, ['Pod', 'Secret']));
    else if (!bound) throw newNotFound({ group: '', resource: ref.kind === 'Pod' ? 'pods' : 'secrets' }, refName);
    else if (ref.uid && ref.uid !== bound.metadata.uid) {
      errs.push(
        fieldErrors.invalid(
          'spec.boundObjectRef.uid',
          ref.uid,
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        ),
      );
    } else claims[ref.kind === 'Pod' ? 'pod' : 'secret'] = { name: refName, uid: bound.metadata.uid! };
  }
  if (errs.length) throw newInvalid(KIND, name, errs);
  if (cfg.maxExpirationSeconds > 0) expirationSeconds = Math.min(expirationSeconds, cfg.maxExpirationSeconds);
  const audiences = spec.audiences?.length ? spec.audiences : [...cfg.audiences];
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + expirationSeconds;
  const token = await new SignJWT({ 'kubernetes.io': claims })
    .setProtectedHeader({ alg: algorithmOf(cfg.signingKey), kid: keyId(cfg.signingKey) })
    .setIssuer(cfg.issuer)
    .setSubject(`system:serviceaccount:${namespace}:${name}`)
    .setAudience(audiences)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID())
    .sign(cfg.signingKey);
  return {
    ...req,
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { ...req.metadata, name, namespace, creationTimestamp: undefined },
    spec: { ...spec, audiences, expirationSeconds },
    status: { token, expirationTimestamp: `${new Date(exp * 1000).toISOString().slice(0, 19)}Z` },
  };
}

export interface TokenVerifierConfig {
  readonly publicKeys: readonly KeyObject[];
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
}

/** Authenticates bound service-account JWTs; anything else is "not mine". */
export function serviceAccountTokenAuthenticator(cfg: TokenVerifierConfig, lookups: Lookups): TokenAuthenticator {
  const byKid = new Map(cfg.publicKeys.map((k) => [keyId(k), k]));
  return {
    async authenticateToken(token): Promise<UserInfo | null> {
      if (token.split('.').length !== 3) return null;
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(token).kid;
      } catch {
        return null;
      }
      const candidates = kid && byKid.has(kid) ? [byKid.get(kid)!] : [...cfg.publicKeys];
      for (const key of candidates) {
        let payload: Record<string, unknown>;
        try {
          ({ payload } = await jwtVerify(token, key, {
            issuer: [...cfg.issuers],
            audience: [...cfg.audiences],
            clockTolerance: 60,
          }));
        } catch {
          continue;
        }
        const k = payload['kubernetes.io'] as PrivateClaims | undefined;
        if (!k?.namespace || !k.serviceaccount?.name) return null;
        const sa = lookups.serviceAccount(k.namespace, k.serviceaccount.name);
        if (!sa || sa.metadata.uid !== k.serviceaccount.uid || sa.metadata.deletionTimestamp) return null;
        const extra: Record<string, string[]> = {};
        if (k.pod) {
          const pod = lookups.pod(k.namespace, k.pod.name);
          if (!pod || pod.metadata.uid !== k.pod.uid || pod.metadata.deletionTimestamp) return null;
          extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
          extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
        }
        if (k.secret) {
          const s = lookups.secret(k.namespace, k.secret.name);
          if (!s || s.metadata.uid !== k.secret.uid) return null;
        }
        if (typeof payload.jti === 'string')
          extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
        return {
          username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
          uid: k.serviceaccount.uid,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`],
          extra,
        };
      }
      return null;
    },
  };
}
