// Bearer tokens (k8s.io/apiserver request/bearertoken): `Authorization: Bearer <token>` is offered
// to each token authenticator; a token none of them accepts is an error (401), never anonymous.
import {
  type AuthenticationContext,
  AuthenticationError,
  type Authenticator,
  type AuthnRequest,
  type UserInfo,
} from './types.js';

/** Checks one kind of token; null when the token is not of its kind or not valid for it. */
export interface TokenAuthenticator {
  authenticateToken(token: string, ctx?: AuthenticationContext): Promise<UserInfo | null>;
}

export function bearerToken(req: Pick<AuthnRequest, 'headers'>): string | undefined {
  const raw = req.headers.authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}

/**
 * Upstream's token union: an authenticator's error does not stop the others (a JWT from an issuer
 * that failed to verify may still be a webhook's token); it is reported if none succeeds.
 */
export function unionTokenAuthenticator(tokens: readonly TokenAuthenticator[]): TokenAuthenticator {
  return {
    async authenticateToken(token, ctx) {
      let firstError: unknown;
      for (const t of tokens) {
        try {
          const user = await t.authenticateToken(token, ctx);
          if (user) return user;
        } catch (e) {
          firstError ??= e;
        }
      }
      if (firstError !== undefined) throw firstError;
      return null;
    },
  };
}

export function bearerTokenAuthenticator(tokens: readonly TokenAuthenticator[]): Authenticator {
  const union = unionTokenAuthenticator(tokens);
  return {
    async authenticate(req) {
      const token = bearerToken(req);
      if (token === undefined) return null;
      const user = await union.authenticateToken(token, req.context);
      if (user) return user;
      throw new AuthenticationError('TOKEN_INVALID', 'invalid bearer token');
    },
  };
}
