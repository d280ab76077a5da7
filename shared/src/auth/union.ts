// Unions of authenticators and authorizers (k8s.io/apiserver .../request/union, authorization/union).
import type { Attributes, Authenticator, AuthnRequest, AuthorizationResult, Authorizer, UserInfo } from './types.js';

/**
 * The first user any authenticator returns wins. By default failures do not stop the walk (another
 * credential on the request may still be good) and, if nobody authenticates, the first failure is
 * rethrown. With `failOnError` the first failure ends the walk: a bad credential is a 401 even
 * when anonymous access would follow (unionauth.NewFailOnError).
 */
export function unionAuthenticator(
  members: readonly Authenticator[],
  opts: { failOnError?: boolean } = {},
): Authenticator {
  return {
    async authenticate(req: AuthnRequest): Promise<UserInfo | null> {
      let firstError: unknown;
      for (const m of members) {
        try {
          const user = await m.authenticate(req);
          if (user) return user;
        } catch (e) {
          if (opts.failOnError) throw e;
          firstError ??= e;
        }
      }
      if (firstError !== undefined) throw firstError;
      return null;
    },
  };
}

/** Stops at the first Allow or Deny; NoOpinion from everyone is NoOpinion (the caller denies). */
export function unionAuthorizer(...members: readonly Authorizer[]): Authorizer {
  return {
    async authorize(attrs: Attributes): Promise<AuthorizationResult> {
      const reasons: string[] = [];
      for (const m of members) {
        const r = await m.authorize(attrs);
        if (r.decision !== 'NoOpinion') return r;
        if (r.reason) reasons.push(r.reason);
      }
      return { decision: 'NoOpinion', reason: reasons.join(', ') };
    },
  };
}

/** --authorization-mode=AlwaysAllow. */
export const alwaysAllowAuthorizer: Authorizer = {
  async authorize(): Promise<AuthorizationResult> {
    return { decision: 'Allow', reason: '' };
  },
};
