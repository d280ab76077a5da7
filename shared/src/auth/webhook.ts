// Token and access reviews, answered by someone else and cached for a while: the logic behind
// k8s.io/apiserver's webhook token authenticator and webhook authorizer, apart from how a review
// reaches its answerer. Two transports use it:
//   - delegated authentication and authorization, as a kubelet or kube-controller-manager does it
//     (DelegatingAuthenticationOptions / DelegatingAuthorizationOptions): a TokenReview and a
//     SubjectAccessReview created on the apiserver (webhookTokenAuthenticator, webhookAuthorizer);
//   - the apiserver's own --authentication-token-webhook-config-file and --authorization-mode=Webhook,
//     which POST the reviews to a remote service (apiserver/src/auth/webhook).
// The token cache is keyed by a hash of the token (and the audiences), so no token is kept by it.
import { createHash } from 'node:crypto';
import type {
  SubjectAccessReview,
  SubjectAccessReviewSpec,
  SubjectAccessReviewStatus,
  TokenReview,
  TokenReviewSpec,
  TokenReviewStatus,
} from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import type { TokenAuthenticator } from './bearer.js';
import { fieldSelectorRequirements, labelSelectorRequirements } from './selectors.js';
import {
  type Attributes,
  AuthenticationError,
  type AuthorizationResult,
  type Authorizer,
  type UserInfo,
} from './types.js';

/** A small TTL cache; entries past their time are dropped on read, the oldest when over `max`. */
export class TtlCache<V> {
  readonly #m = new Map<string, { v: V; until: number }>();
  constructor(private readonly max = 4096) {}
  get(k: string): V | undefined {
    const e = this.#m.get(k);
    if (!e) return undefined;
    if (Date.now() > e.until) {
      this.#m.delete(k);
      return undefined;
    }
    return e.v;
  }
  /** A TTL of 0 or less caches nothing. */
  set(k: string, v: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.#m.delete(k);
    if (this.#m.size >= this.max) this.#m.delete(this.#m.keys().next().value as string);
    this.#m.set(k, { v, until: Date.now() + ttlMs });
  }
  get size(): number {
    return this.#m.size;
  }
}

/** Sends a TokenReview's spec to whoever answers it; resolves its status, rejects when it cannot. */
export type TokenReviewer = (spec: TokenReviewSpec) => Promise<TokenReviewStatus>;

export interface TokenReviewOptions {
  /** How long an authenticated answer is reused. */
  readonly successTtlMs: number;
  /** How long a "not authenticated" answer is reused. Errors are never cached. */
  readonly failureTtlMs: number;
  /**
   * The API's audiences (--api-audiences): sent as spec.audiences, and the answer must name one of
   * them in status.audiences (or none, which means these). Empty: no audience is asked or checked.
   */
  readonly audiences?: readonly string[];
}

/**
 * A token authenticator asking a TokenReviewer (webhook.WebhookTokenAuthenticator wrapped in the
 * token cache): `status.authenticated` gives the user; not authenticated is "not mine" (null); an
 * answer carrying status.error, or no answer, rejects (the token fails: 401). Identical lookups in
 * flight share one review.
 */
export function tokenReviewAuthenticator(review: TokenReviewer, opts: TokenReviewOptions): TokenAuthenticator {
  const cache = new TtlCache<UserInfo | null>();
  const inFlight = new Map<string, Promise<UserInfo | null>>();
  const audiences = [...(opts.audiences ?? [])];
  const lookup = async (token: string): Promise<UserInfo | null> => {
    const status = await review({ token, ...(audiences.length ? { audiences: [...audiences] } : {}) });
    if (audiences.length) {
      const got = status.audiences?.length ? status.audiences : audiences;
      if (!got.some((a) => audiences.includes(a))) return null;
    }
    if (!status.authenticated) {
      if (status.error) throw new AuthenticationError('TOKEN_INVALID', `token review: ${status.error}`);
      return null;
    }
    const u = status.user;
    if (!u?.username) return null;
    return {
      username: u.username,
      groups: [...(u.groups ?? [])],
      ...(u.uid ? { uid: u.uid } : {}),
      ...(u.extra ? { extra: Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, [...(v ?? [])]])) } : {}),
    };
  };
  return {
    async authenticateToken(token) {
      const key = createHash('sha256').update(JSON.stringify(audiences)).update('|').update(token).digest('base64');
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = lookup(token).then(
          (user) => {
            inFlight.delete(key);
            cache.set(key, user, user ? opts.successTtlMs : opts.failureTtlMs);
            return user;
          },
          (e: unknown) => {
            inFlight.delete(key);
            throw e;
          },
        );
        inFlight.set(key, pending);
      }
      return pending;
    },
  };
}

/** Sends a SubjectAccessReview's spec (authorization.k8s.io/v1's shape) to whoever answers it. */
export type SubjectAccessReviewer = (spec: SubjectAccessReviewSpec) => Promise<SubjectAccessReviewStatus>;

export interface SubjectAccessReviewOptions {
  /** How long an "allowed" answer is reused. */
  readonly authorizedTtlMs: number;
  /** How long any other answer is reused. Errors are never cached. */
  readonly unauthorizedTtlMs: number;
  /** The decision when the review fails; absent: the error is thrown to the caller. */
  readonly onError?: (err: unknown, attrs: Attributes) => AuthorizationResult;
}

/**
 * The SubjectAccessReview spec of a request, in k8s.io/api's field order, empty fields left out
 * (Go's omitempty), so the JSON is what kube-apiserver sends.
 */
export function subjectAccessReviewSpec(a: Attributes): SubjectAccessReviewSpec {
  const nonEmpty = (entries: [string, string][]) => Object.fromEntries(entries.filter(([, v]) => v !== ''));
  const spec: SubjectAccessReviewSpec = {};
  if (a.isResourceRequest) {
    spec.resourceAttributes = nonEmpty([
      ['namespace', a.namespace],
      ['verb', a.verb],
      ['group', a.apiGroup],
      ['version', a.apiVersion],
      ['resource', a.resource],
      ['subresource', a.subresource],
      ['name', a.name],
    ]);
    const fieldSelector = fieldSelectorRequirements(a.fieldSelector);
    if (fieldSelector) spec.resourceAttributes.fieldSelector = { requirements: fieldSelector };
    const labelSelector = labelSelectorRequirements(a.labelSelector);
    if (labelSelector) spec.resourceAttributes.labelSelector = { requirements: labelSelector };
  } else {
    spec.nonResourceAttributes = nonEmpty([
      ['path', a.path],
      ['verb', a.verb],
    ]);
  }
  if (a.user.username) spec.user = a.user.username;
  if (a.user.groups.length) spec.groups = [...a.user.groups];
  if (a.user.extra) spec.extra = Object.fromEntries(Object.entries(a.user.extra).map(([k, v]) => [k, [...v]]));
  if (a.user.uid) spec.uid = a.user.uid;
  return spec;
}

/** Past this many bytes of requester-chosen attributes an answer is not cached (upstream's DoS guard). */
const MAX_CACHED_ATTRIBUTE_BYTES = 10_000;

function cacheable(a: Attributes): boolean {
  const n = [a.namespace, a.verb, a.apiGroup, a.apiVersion, a.resource, a.subresource, a.name, a.path].reduce(
    (sum, s) => sum + s.length,
    0,
  );
  return n < MAX_CACHED_ATTRIBUTE_BYTES;
}

/**
 * An authorizer asking a SubjectAccessReviewer (webhook.WebhookAuthorizer): allowed → Allow,
 * denied → Deny (both → Deny), otherwise NoOpinion, with the answer's reason. Answers are cached
 * by the whole spec: allowed ones for authorizedTtlMs, the rest for unauthorizedTtlMs.
 */
export function subjectAccessReviewAuthorizer(
  review: SubjectAccessReviewer,
  opts: SubjectAccessReviewOptions,
): Authorizer {
  const cache = new TtlCache<SubjectAccessReviewStatus>(8192);
  return {
    async authorize(a: Attributes) {
      const spec = subjectAccessReviewSpec(a);
      const key = JSON.stringify(spec);
      let status = cache.get(key);
      if (!status) {
        try {
          status = await review(spec);
        } catch (e) {
          if (!opts.onError) throw e;
          return opts.onError(e, a);
        }
        if (cacheable(a)) cache.set(key, status, status.allowed ? opts.authorizedTtlMs : opts.unauthorizedTtlMs);
      }
      const reason = status.reason ?? '';
      if (status.denied) return { decision: 'Deny', reason };
      if (status.allowed) return { decision: 'Allow', reason };
      return { decision: 'NoOpinion', reason };
    },
  };
}

/** Delegated TokenReview against the apiserver. */
export function webhookTokenAuthenticator(client: () => KubeClient, ttlMs: number): TokenAuthenticator {
  return tokenReviewAuthenticator(
    async (spec) => {
      const review = await client()
        .resource<TokenReview>({ group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews' })
        .create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec });
      return review.status ?? {};
    },
    { successTtlMs: ttlMs, failureTtlMs: Math.min(ttlMs, 10_000) },
  );
}

/** Delegated SubjectAccessReview against the apiserver; a failed review rejects. */
export function webhookAuthorizer(client: () => KubeClient, allowedTtlMs: number, deniedTtlMs: number): Authorizer {
  return subjectAccessReviewAuthorizer(
    async (spec) => {
      const sar = await client()
        .resource<SubjectAccessReview>({
          group: 'authorization.k8s.io',
          version: 'v1',
          resource: 'subjectaccessreviews',
        })
        .create({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec });
      return sar.status ?? { allowed: false };
    },
    { authorizedTtlMs: allowedTtlMs, unauthorizedTtlMs: deniedTtlMs },
  );
}
