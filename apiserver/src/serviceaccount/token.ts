// Bound service-account tokens (TokenRequest) and their authentication, with the claims of facts
// §13. A token names its ServiceAccount (and bound object) by name AND uid: once they are deleted
// or recreated the token no longer authenticates.
import { type KeyObject, randomUUID } from 'node:crypto';
import { metaTime, type Node, type Pod, type Secret, type ServiceAccount, type TokenRequest } from '@mkube/shared/api';
import {
  type FieldError,
  fieldErrors,
  newBadRequest,
  newConflict,
  newInvalid,
  newNotFound,
} from '@mkube/shared/apierrors';
import type { TokenAuthenticator, UserInfo } from '@mkube/shared/auth';
import { algorithmOf, keyId } from '@mkube/shared/serviceaccount';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';

export interface TokenIssuerConfig {
  readonly signingKey: KeyObject;
  readonly issuer: string;
  /** Default audiences: the apiserver's (--api-audiences, else the issuer). */
  readonly audiences: readonly string[];
  /** --service-account-max-token-expiration in seconds (0: none). */
  readonly maxExpirationSeconds: number;
  /**
   * --service-account-extend-token-expiration: a pod's token requested for 3607 s (what the kubelet
   * asks for its kube-api-access volume) is valid a year, and only warned about after 3607 s.
   */
  readonly extendExpiration?: boolean;
}

/** serviceaccount.WarnOnlyBoundTokenExpirationSeconds: the lifetime that marks a token for extension. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
/** serviceaccount.ExpirationExtensionSeconds: one year. */
export const EXPIRATION_EXTENSION_SECONDS = 365 * 24 * 60 * 60;
/** The audit annotation on a request made with an extended token past its warning time. */
export const STALE_TOKEN_ANNOTATION = 'authentication.k8s.io/stale-token';

export interface Lookups {
  serviceAccount(namespace: string, name: string): ServiceAccount | undefined;
  pod(namespace: string, name: string): Pod | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** A live read (tokens name a Node only when bound to it or to a pod on it; nodes are not cached here). */
  node(name: string): Promise<Node | undefined>;
}

interface Ref {
  name: string;
  uid: string;
}

interface PrivateClaims {
  namespace: string;
  serviceaccount: Ref;
  pod?: Ref;
  secret?: Ref;
  /** The pod's node (ServiceAccountTokenPodNodeInfo), or the Node the token is bound to; uid empty when unknown. */
  node?: { name: string; uid?: string };
  /** Seconds since the epoch after which use is reported as stale (an extended token). */
  warnafter?: number;
}

/** What the TokenRequest adds to its response and audit event. */
export interface TokenRequestScope {
  addWarning?(text: string): void;
  addAuditAnnotation?(key: string, value: string): void;
}

const KIND = { group: 'authentication.k8s.io', kind: 'TokenRequest' };

/** The audit annotation naming the credential a TokenRequest issued (serviceaccount.IssuedCredentialIDAuditAnnotationKey). */
export const ISSUED_CREDENTIAL_ID = 'authentication.kubernetes.io/issued-credential-id';

/**
 * POST …/serviceaccounts/<name>/token, as upstream's TokenREST: validates the request, resolves the
 * bound object (and a pod's node), and signs the token.
 */
export async function issueToken(
  cfg: TokenIssuerConfig,
  lookups: Lookups,
  namespace: string,
  name: string,
  req: TokenRequest,
  now: Date,
  scope: TokenRequestScope = {},
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
  // Upstream validates a TokenRequest without a name: the Invalid reads `TokenRequest… "" is invalid`.
  if (errs.length) throw newInvalid(KIND, '', errs);
  const claims: PrivateClaims = { namespace, serviceaccount: { name, uid: sa.metadata.uid! } };
  const ref = spec.boundObjectRef;
  if (ref) await bind(claims, ref, lookups, namespace, name);
  if (cfg.maxExpirationSeconds > 0 && expirationSeconds > cfg.maxExpirationSeconds) {
    scope.addWarning?.(
      `requested expiration of ${expirationSeconds} seconds shortened to ${cfg.maxExpirationSeconds} seconds`,
    );
    expirationSeconds = cfg.maxExpirationSeconds;
  }
  const audiences = spec.audiences?.length ? spec.audiences : [...cfg.audiences];
  const iat = Math.floor(now.getTime() / 1000);
  let exp = iat + expirationSeconds;
  // The safe transition to short-lived projected tokens (TokenREST.Create): a pod-bound token for the
  // apiserver itself, asked for with the kubelet's 3607 s, lives a year and is reported (audit
  // annotation, metric) when used after 3607 s. The response still says 3607 s.
  if (
    cfg.extendExpiration &&
    claims.pod &&
    expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS &&
    audiences.every((a) => cfg.audiences.includes(a))
  ) {
    claims.warnafter = exp;
    exp = iat + EXPIRATION_EXTENSION_SECONDS;
  }
  const jti = randomUUID();
  const token = await new SignJWT({ 'kubernetes.io': claims })
    .setProtectedHeader({ alg: algorithmOf(cfg.signingKey), kid: keyId(cfg.signingKey) })
    .setIssuer(cfg.issuer)
    .setSubject(`system:serviceaccount:${namespace}:${name}`)
    .setAudience(audiences)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(cfg.signingKey);
  scope.addAuditAnnotation?.(ISSUED_CREDENTIAL_ID, `JTI=${jti}`);
  return {
    ...req,
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { ...req.metadata, name, namespace, creationTimestamp: undefined },
    spec: { ...spec, audiences, expirationSeconds },
    status: { token, expirationTimestamp: metaTime(new Date((iat + expirationSeconds) * 1000)) },
  };
}

/** Resolves spec.boundObjectRef into the token's claims, with upstream's errors. */
async function bind(
  claims: PrivateClaims,
  ref: NonNullable<TokenRequest['spec']['boundObjectRef']>,
  lookups: Lookups,
  namespace: string,
  saName: string,
): Promise<void> {
  const refName = ref.name ?? '';
  const [group, version] = splitApiVersion(ref.apiVersion ?? '');
  let uid: string | undefined;
  if (group === '' && ref.kind === 'Pod') {
    const pod = lookups.pod(namespace, refName);
    if (!pod) throw newNotFound({ group: '', resource: 'pods' }, refName);
    if ((pod.spec?.serviceAccountName ?? '') !== saName)
      throw newBadRequest(
        `cannot bind token for serviceaccount ${JSON.stringify(saName)} to pod running with different serviceaccount name.`,
      );
    uid = pod.metadata.uid!;
    claims.pod = { name: refName, uid };
    // ServiceAccountTokenPodNodeInfo: the pod's node, by name alone when that Node does not exist.
    const nodeName = pod.spec?.nodeName;
    if (nodeName) {
      const node = await lookups.node(nodeName);
      claims.node = node?.metadata.uid ? { name: nodeName, uid: node.metadata.uid } : { name: nodeName };
    }
  } else if (group === '' && ref.kind === 'Node') {
    const node = await lookups.node(refName);
    if (!node) throw newNotFound({ group: '', resource: 'nodes' }, refName);
    uid = node.metadata.uid!;
    claims.node = { name: refName, uid };
  } else if (group === '' && ref.kind === 'Secret') {
    const secret = lookups.secret(namespace, refName);
    if (!secret) throw newNotFound({ group: '', resource: 'secrets' }, refName);
    uid = secret.metadata.uid!;
    claims.secret = { name: refName, uid };
  } else {
    throw newBadRequest(`cannot bind token to object of type ${group}/${version}, Kind=${ref.kind ?? ''}`);
  }
  if (ref.uid && ref.uid !== uid) {
    throw newConflict(
      { group, resource: ref.kind ?? '' },
      refName,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
}

/** schema.ParseGroupVersion's split: "v1" is the core group, "g/v" a named one. */
function splitApiVersion(apiVersion: string): [string, string] {
  const at = apiVersion.indexOf('/');
  return at < 0 ? ['', apiVersion] : [apiVersion.slice(0, at), apiVersion.slice(at + 1)];
}

export interface TokenVerifierConfig {
  readonly publicKeys: readonly KeyObject[];
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
}

/** serviceaccount_valid_tokens_total and serviceaccount_stale_tokens_total. */
export interface BoundTokenMetrics {
  valid(): void;
  stale(): void;
}

/** Authenticates bound service-account JWTs; anything else is "not mine". */
export function serviceAccountTokenAuthenticator(
  cfg: TokenVerifierConfig,
  lookups: Lookups,
  metrics?: BoundTokenMetrics,
  /** Seconds since the epoch (tests). */
  now: () => number = () => Date.now() / 1000,
): TokenAuthenticator {
  const byKid = new Map(cfg.publicKeys.map((k) => [keyId(k), k]));
  return {
    async authenticateToken(token, ctx): Promise<UserInfo | null> {
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
        if (k.secret) {
          const s = lookups.secret(k.namespace, k.secret.name);
          if (!s || s.metadata.uid !== k.secret.uid || s.metadata.deletionTimestamp) return null;
        }
        if (k.pod) {
          const pod = lookups.pod(k.namespace, k.pod.name);
          if (!pod || pod.metadata.uid !== k.pod.uid || pod.metadata.deletionTimestamp) return null;
          extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
          extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
        } else if (k.node) {
          // A token bound to a Node lives as long as that Node (ServiceAccountTokenNodeBindingValidation);
          // a pod-bound token's node is informational and not checked.
          const node = await lookups.node(k.node.name);
          if (!node || node.metadata.uid !== k.node.uid || node.metadata.deletionTimestamp) return null;
        }
        if (typeof payload.jti === 'string' && payload.jti)
          extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
        if (k.node?.name) {
          extra['authentication.kubernetes.io/node-name'] = [k.node.name];
          if (k.node.uid) extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
        }
        // An extended token used after its warning time still authenticates; the use is reported.
        const t = Math.floor(now());
        if (typeof k.warnafter === 'number' && k.warnafter < t) {
          ctx?.addAuditAnnotation(
            STALE_TOKEN_ANNOTATION,
            `subject: ${String(payload.sub)}, seconds after warning threshold: ${t - k.warnafter}`,
          );
          metrics?.stale();
        } else {
          metrics?.valid();
        }
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
