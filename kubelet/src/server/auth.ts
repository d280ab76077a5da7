// The kubelet API's authentication and authorization (facts §9): client certificates against
// --client-ca-file, bearer tokens through a TokenReview, anonymous only when enabled; then a
// SubjectAccessReview on the kubelet's own Node with the subresource its path maps to. Both webhook
// answers are cached as the kubelet caches them (tokens 2 m; decisions 5 m allowed, 30 s denied).
import { createHash } from 'node:crypto';
import type { SubjectAccessReview, TokenReview } from '@mkube/shared/api';
import {
  type Attributes,
  type Authenticator,
  type AuthorizationResult,
  type Authorizer,
  alwaysAllowAuthorizer,
  anonymousAuthenticator,
  bearerTokenAuthenticator,
  type TokenAuthenticator,
  type UserInfo,
  unionAuthenticator,
  VERB_FOR_METHOD,
  withAuthenticatedGroup,
  x509Authenticator,
} from '@mkube/shared/auth';
import type { KubeClient } from '@mkube/shared/client';
import { parseCertificatesPem } from '@mkube/shared/pki';

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

/** TokenReview webhook; the cache key is the token's hash, so no token is kept in memory by it. */
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

export interface KubeletAuthnOptions {
  readonly clientCAPem?: string;
  readonly webhook?: TokenAuthenticator;
  readonly anonymous: boolean;
}

export function kubeletAuthenticator(o: KubeletAuthnOptions): Authenticator {
  const list: Authenticator[] = [];
  if (o.clientCAPem) list.push(x509Authenticator({ roots: parseCertificatesPem(o.clientCAPem) }));
  if (o.webhook) list.push(bearerTokenAuthenticator([o.webhook]));
  const creds = withAuthenticatedGroup(unionAuthenticator(list));
  if (!o.anonymous) return creds;
  // As upstream: a request whose credentials fail is refused (401); only one without any is anonymous.
  return {
    async authenticate(req) {
      return (await creds.authenticate(req)) ?? anonymousAuthenticator.authenticate(req);
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
        a.resource,
        a.subresource,
        a.name,
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
            resourceAttributes: {
              verb: a.verb,
              group: a.apiGroup,
              version: a.apiVersion,
              resource: a.resource,
              subresource: a.subresource,
              name: a.name,
            },
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

export { alwaysAllowAuthorizer };

/**
 * The nodes subresources a path is checked against, in order (KubeletFineGrainedAuthz, beta in 1.33:
 * the fine-grained one first, then `proxy`).
 */
export function subresourcesFor(path: string): string[] {
  const p = path.split('?')[0] ?? '/';
  const under = (prefix: string) => p === prefix || p.startsWith(`${prefix}/`);
  if (under('/stats')) return ['stats'];
  if (under('/metrics')) return ['metrics'];
  if (under('/logs')) return ['log'];
  if (under('/spec')) return ['spec'];
  if (under('/checkpoint')) return ['checkpoint'];
  if (under('/pods') || under('/runningpods')) return ['pods', 'proxy'];
  if (under('/healthz')) return ['healthz', 'proxy'];
  if (under('/configz')) return ['configz', 'proxy'];
  return ['proxy'];
}

export function kubeletAttributes(
  user: UserInfo,
  method: string,
  path: string,
  nodeName: string,
  subresource: string,
): Attributes {
  return {
    user,
    verb: VERB_FOR_METHOD[method.toUpperCase()] ?? method.toLowerCase(),
    isResourceRequest: true,
    path,
    namespace: '',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'nodes',
    subresource,
    name: nodeName,
  };
}
