// Bootstrap-token authentication (plugin/pkg/auth/authenticator/token/bootstrap, facts §1): the
// token names a Secret kube-system/bootstrap-token-<id> whose fields decide, in upstream's order.
// Every rejection is silent ("not mine"): the bearer front turns it into a generic 401.
import { timingSafeEqual } from 'node:crypto';
import type { Secret } from '../api/index.js';
import {
  BOOTSTRAP_EXTRA_GROUP_RE,
  BOOTSTRAP_TOKEN_SECRET_PREFIX,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  parseBootstrapToken,
  secretField,
  tokenExpired,
} from '../bootstraptoken/index.js';
import type { TokenAuthenticator } from './bearer.js';
import type { UserInfo } from './types.js';

export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

export interface BootstrapTokenOptions {
  /** Reads kube-system Secrets from a cache, never the store per request. */
  getSecret(namespace: string, name: string): Secret | undefined;
  now?(): Date;
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Equal lengths for timingSafeEqual; the length of a 16-character secret is no secret.
  return x.length === y.length && timingSafeEqual(x, y);
}

export function bootstrapTokenAuthenticator(opts: BootstrapTokenOptions): TokenAuthenticator {
  return {
    async authenticateToken(token): Promise<UserInfo | null> {
      const parsed = parseBootstrapToken(token);
      if (!parsed) return null;
      const secret = opts.getSecret('kube-system', `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${parsed.id}`);
      if (!secret || secret.metadata.deletionTimestamp) return null;
      if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || !secret.data) return null;
      const storedSecret = secretField(secret, 'token-secret');
      if (storedSecret === undefined || !constantTimeEqual(storedSecret, parsed.secret)) return null;
      if (secretField(secret, 'token-id') !== parsed.id) return null;
      if (tokenExpired(secret, opts.now?.() ?? new Date())) return null;
      if (secretField(secret, 'usage-bootstrap-authentication') !== 'true') return null;
      // An empty field means no extra groups; otherwise every comma-separated entry must be valid.
      const raw = secretField(secret, 'auth-extra-groups') ?? '';
      const extra = raw === '' ? [] : raw.split(',').map((g) => g.trim());
      if (extra.some((g) => !BOOTSTRAP_EXTRA_GROUP_RE.test(g))) return null;
      return {
        username: `system:bootstrap:${parsed.id}`,
        groups: [...new Set([BOOTSTRAPPERS_GROUP, ...extra])].sort(),
      };
    },
  };
}
