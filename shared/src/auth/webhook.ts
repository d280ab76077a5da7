// Delegated authentication and authorization, as a kubelet or kube-controller-manager does it
// (k8s.io/apiserver's DelegatingAuthenticationOptions / DelegatingAuthorizationOptions): a bearer
// token is checked with a TokenReview and a request with a SubjectAccessReview, both against the
// apiserver, and both answers are cached for a while (the cache key is a token's hash, so no
// token is kept in memory by it).
import { createHash } from 'node:crypto';
import type { SubjectAccessReview, TokenReview } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import type { TokenAuthenticator } from './bearer.js';
import type { Attributes, AuthorizationResult, Authorizer, UserInfo } from './types.js';

/** A small TTL cache; entries past their time are dropped on read, the oldest when over `max`. */
class TtlCache<V> {
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
  set(k: string, v: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    if (this.#m.size >= this.max) this.#m.delete(this.#m.keys().next().value as string);
    this.#m.set(k, { v, until: Date.now() + ttlMs });
  }
}

/** TokenReview webhook. */
export function webhookTokenAuthenticator(client: () => KubeClient, ttlMs: number): TokenAuthenticator {
  const cache = new TtlCache<UserInfo | null>();
  return {
    async authenticateToken(token) {
      const key = createHash('sha256').update(token).digest('base64');
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const review = await client()
        .resource<TokenReview>({ group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews' })
        .create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token } });
      const u = review.status?.authenticated ? review.status.user : undefined;
      const user: UserInfo | null = u?.username
        ? {
            username: u.username,
            groups: u.groups ?? [],
            ...(u.uid ? { uid: u.uid } : {}),
            ...(u.extra ? { extra: u.extra } : {}),
          }
        : null;
      cache.set(key, user, user ? ttlMs : Math.min(ttlMs, 10_000));
      return user;
    },
  };
}

export function webhookAuthorizer(client: () => KubeClient, allowedTtlMs: number, deniedTtlMs: number): Authorizer {
  const cache = new TtlCache<AuthorizationResult>();
  return {
    async authorize(a: Attributes) {
      const key = JSON.stringify([
        a.user.username,
        a.user.groups,
        a.user.uid,
        a.verb,
        a.isResourceRequest ? [a.apiGroup, a.resource, a.subresource, a.namespace, a.name] : a.path,
      ]);
      const hit = cache.get(key);
      if (hit) return hit;
      const sar = await client()
        .resource<SubjectAccessReview>({
          group: 'authorization.k8s.io',
          version: 'v1',
          resource: 'subjectaccessreviews',
        })
        .create({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          metadata: {},
          spec: {
            user: a.user.username,
            groups: [...a.user.groups],
            ...(a.user.uid ? { uid: a.user.uid } : {}),
            ...(a.user.extra
              ? { extra: Object.fromEntries(Object.entries(a.user.extra).map(([k, v]) => [k, [...v]])) }
              : {}),
            ...(a.isResourceRequest
              ? {
                  resourceAttributes: {
                    verb: a.verb,
                    group: a.apiGroup,
                    version: a.apiVersion,
                    resource: a.resource,
                    subresource: a.subresource,
                    name: a.name,
                    ...(a.namespace ? { namespace: a.namespace } : {}),
                  },
                }
              : { nonResourceAttributes: { path: a.path, verb: a.verb } }),
          },
        });
      const st = sar.status;
      const result: AuthorizationResult = {
        decision: st?.allowed ? 'Allow' : st?.denied ? 'Deny' : 'NoOpinion',
        reason: st?.reason ?? '',
      };
      cache.set(key, result, result.decision === 'Allow' ? allowedTtlMs : deniedTtlMs);
      return result;
    },
  };
}
