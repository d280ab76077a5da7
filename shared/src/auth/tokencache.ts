// k8s.io/apiserver's token cache (pkg/authentication/token/cache), which kube-apiserver puts in front
// of its token authenticators' union: a token that authenticated is believed again for
// TokenSuccessCacheTTL (10 s) without verifying its signature or looking its ServiceAccount, Secret
// or bootstrap token up; failures are not cached (TokenFailureCacheTTL is 0). So a deleted
// ServiceAccount's or bootstrap token's credential keeps working for up to those 10 s, as upstream.
// The audit annotations and warnings the lookup made are replayed on every hit. Entries are keyed by
// a SHA-256 of a secret made at start and the token, so the cache never holds a token.
import { hash, randomBytes } from 'node:crypto';
import type { TokenAuthenticator } from './bearer.js';
import type { AuthenticationContext, UserInfo } from './types.js';
import { TtlCache } from './webhook.js';

/** kube-apiserver's TokenSuccessCacheTTL. */
export const TOKEN_SUCCESS_CACHE_TTL_MS = 10_000;
/** Bound on cached tokens; the oldest goes first (upstream's is an expiring map per stripe). */
const MAX_ENTRIES = 65_536;

interface Recorded {
  readonly user: UserInfo | null;
  readonly annotations: readonly (readonly [string, string])[];
  readonly warnings: readonly string[];
}

/** k8s.io/apiserver's token cache stats (authentication_token_cache_*). */
export interface TokenCacheStats {
  /** A request answered: from the cache (hit) or after a lookup (miss), in seconds. */
  request(hit: boolean, seconds: number): void;
  /** A lookup starts (active_fetch_count{status="in_flight"}); call the result when it ends. */
  fetching(): (ok: boolean) => void;
  /** A missed request waits for the (shared) lookup of its token (status="blocked"); call the result when done. */
  blocking(): () => void;
}

export interface TokenCacheOptions {
  readonly successTtlMs?: number;
  readonly stats?: TokenCacheStats;
}

export function cachedTokenAuthenticator(inner: TokenAuthenticator, opts: TokenCacheOptions = {}): TokenAuthenticator {
  const ttl = opts.successTtlMs ?? TOKEN_SUCCESS_CACHE_TTL_MS;
  if (ttl <= 0) return inner;
  // One-shot crypto.hash: a createHmac per request costs 2–13 µs in OpenSSL 3's per-context setup
  // (measured in bench:scale's profile); a keyed prefix does what the HMAC did for a cache key.
  const salt = randomBytes(32).toString('base64');
  const cache = new TtlCache<Recorded>(MAX_ENTRIES);
  // Concurrent requests with one token share one lookup (upstream's singleflight).
  const inFlight = new Map<string, Promise<Recorded>>();
  const stats = opts.stats;
  const lookup = async (token: string): Promise<Recorded> => {
    const annotations: [string, string][] = [];
    const warnings: string[] = [];
    const recorder: AuthenticationContext = {
      addAuditAnnotation: (k, v) => void annotations.push([k, v]),
      addWarning: (w) => void warnings.push(w),
    };
    const done = stats?.fetching();
    try {
      const user = await inner.authenticateToken(token, recorder);
      done?.(true);
      return { user, annotations, warnings };
    } catch (e) {
      done?.(false);
      throw e;
    }
  };
  return {
    async authenticateToken(token, ctx) {
      const started = stats ? performance.now() : 0;
      const key = hash('sha256', salt + token, 'base64');
      let r = cache.get(key);
      if (r) stats?.request(true, (performance.now() - started) / 1000);
      else {
        // As upstream: every miss waits on the shared lookup ("blocked"), and is a miss even when
        // the lookup fails.
        const unblock = stats?.blocking();
        try {
          let pending = inFlight.get(key);
          if (!pending) {
            pending = lookup(token).finally(() => inFlight.delete(key));
            inFlight.set(key, pending);
          }
          r = await pending;
        } finally {
          unblock?.();
          stats?.request(false, (performance.now() - started) / 1000);
        }
        if (r.user) cache.set(key, r, ttl);
      }
      if (ctx) {
        for (const [k, v] of r.annotations) ctx.addAuditAnnotation(k, v);
        for (const w of r.warnings) ctx.addWarning(w);
      }
      return r.user;
    },
  };
}
