// Well-known users and groups, and the wrapper that adds system:authenticated
// (k8s.io/apiserver pkg/authentication/group/authenticated_group_adder.go).
import type { Authenticator, AuthnRequest, UserInfo } from './types.js';

export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS = 'system:anonymous';

/** Adds `system:authenticated` to every user the wrapped authenticator returns, unless already there. */
export function withAuthenticatedGroup(inner: Authenticator): Authenticator {
  return {
    async authenticate(req: AuthnRequest): Promise<UserInfo | null> {
      const user = await inner.authenticate(req);
      if (!user) return null;
      if (user.username === ANONYMOUS || user.groups.includes(ALL_AUTHENTICATED)) return user;
      // system:unauthenticated and system:authenticated are mutually exclusive.
      if (user.groups.includes(ALL_UNAUTHENTICATED)) return user;
      return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
    },
  };
}

/** The last authenticator of the chain when anonymous requests are allowed (--anonymous-auth). */
export const anonymousAuthenticator: Authenticator = {
  async authenticate(): Promise<UserInfo> {
    return { username: ANONYMOUS, groups: [ALL_UNAUTHENTICATED] };
  },
};
