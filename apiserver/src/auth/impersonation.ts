// Impersonation (k8s.io/apiserver pkg/endpoints/filters/impersonation.go): Impersonate-User,
// -Uid, -Group and -Extra-<key> headers make the request run as someone else, once the requester is
// authorized to `impersonate` each one (users, groups, serviceaccounts in their namespace, uids,
// userextras/<key> in authentication.k8s.io). The authenticated user stays in the audit record.
import { newForbidden, newInternalError, type StatusError } from '@mkube/shared/apierrors';
import type { Attributes, Authorizer, UserInfo } from '@mkube/shared/auth';

const USER = 'impersonate-user';
const UID = 'impersonate-uid';
const GROUP = 'impersonate-group';
const EXTRA_PREFIX = 'impersonate-extra-';

const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';
const ANONYMOUS = 'system:anonymous';

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

const values = (h: Headers, name: string): string[] => {
  const v = h[name];
  return v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
};

/** True when the request asks to impersonate anyone (any Impersonate-* header). */
export function wantsImpersonation(headers: Headers): boolean {
  return Object.keys(headers).some((k) => k.startsWith('impersonate-'));
}

interface ImpersonationRequest {
  readonly kind: 'User' | 'ServiceAccount' | 'Group' | 'UserExtra' | 'UID';
  readonly name: string;
  readonly namespace?: string;
  /** UserExtra: the key. */
  readonly key?: string;
}

/** system:serviceaccount:<ns>:<name> → its namespace and name (serviceaccount.SplitUsername). */
function splitServiceAccount(username: string): { namespace: string; name: string } | undefined {
  const parts = username.split(':');
  if (parts.length !== 4 || parts[0] !== 'system' || parts[1] !== 'serviceaccount') return undefined;
  const [, , namespace = '', name = ''] = parts;
  return namespace && name ? { namespace, name } : undefined;
}

/** An extra key arrives percent-encoded in the header name (unescapeExtraKey). */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

function requests(headers: Headers): ImpersonationRequest[] | StatusError {
  const out: ImpersonationRequest[] = [];
  const user = values(headers, USER)[0] ?? '';
  if (user) {
    const sa = splitServiceAccount(user);
    out.push(sa ? { kind: 'ServiceAccount', ...sa } : { kind: 'User', name: user });
  }
  const groups = values(headers, GROUP);
  for (const g of groups) out.push({ kind: 'Group', name: g });
  let extras = false;
  for (const h of Object.keys(headers)) {
    if (!h.startsWith(EXTRA_PREFIX)) continue;
    extras = true;
    const key = unescapeExtraKey(h.slice(EXTRA_PREFIX.length).toLowerCase());
    for (const v of values(headers, h)) out.push({ kind: 'UserExtra', key, name: v });
  }
  const uid = values(headers, UID)[0] ?? '';
  if (uid) out.push({ kind: 'UID', name: uid });
  if ((groups.length || extras || uid) && !user) {
    // Upstream answers this with an InternalError too.
    const what = out.map((r) => `{${r.kind} ${r.namespace ?? ''} ${r.name}}`).join(' ');
    return newInternalError(new Error(`requested [${what}] without impersonating a user`));
  }
  return out;
}

/** What the requester must be allowed to `impersonate` for one request. */
function actingAs(requester: UserInfo, r: ImpersonationRequest): Attributes {
  const core = r.kind === 'User' || r.kind === 'Group' || r.kind === 'ServiceAccount';
  const resource = {
    User: 'users',
    Group: 'groups',
    ServiceAccount: 'serviceaccounts',
    UserExtra: 'userextras',
    UID: 'uids',
  }[r.kind];
  return {
    user: requester,
    verb: 'impersonate',
    isResourceRequest: true,
    path: '',
    namespace: r.namespace ?? '',
    apiGroup: core ? '' : 'authentication.k8s.io',
    apiVersion: 'v1',
    resource,
    subresource: r.kind === 'UserExtra' ? (r.key ?? '') : '',
    name: r.name,
  };
}

/**
 * The user the request runs as: the requester when no Impersonate-* header came, the impersonated
 * user when every part was allowed, a Forbidden naming the first part that was not.
 */
export async function impersonate(
  headers: Headers,
  requester: UserInfo,
  authorizer: Authorizer,
): Promise<UserInfo | StatusError> {
  const reqs = requests(headers);
  if (!Array.isArray(reqs)) return reqs;
  if (reqs.length === 0) return requester;
  let username = '';
  let uid: string | undefined;
  const groups: string[] = [];
  const extra: Record<string, string[]> = {};
  const groupsGiven = reqs.some((r) => r.kind === 'Group');
  for (const r of reqs) {
    const a = actingAs(requester, r);
    const d = await authorizer.authorize(a).catch(() => ({ decision: 'NoOpinion' as const, reason: '' }));
    if (d.decision !== 'Allow') {
      const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
      const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
      let why = `User ${JSON.stringify(requester.username)} cannot impersonate resource ${JSON.stringify(res)} in API group ${JSON.stringify(a.apiGroup)} ${scope}`;
      if (d.reason) why += `: ${d.reason}`;
      return newForbidden({ group: a.apiGroup, resource: a.resource }, r.name, why);
    }
    switch (r.kind) {
      case 'ServiceAccount':
        username = `system:serviceaccount:${r.namespace}:${r.name}`;
        // A service account's groups are fixed: added unless groups were asked for.
        if (!groupsGiven) groups.push('system:serviceaccounts', `system:serviceaccounts:${r.namespace}`);
        break;
      case 'User':
        username = r.name;
        break;
      case 'Group':
        groups.push(r.name);
        break;
      case 'UserExtra':
        extra[r.key ?? ''] = [...(extra[r.key ?? ''] ?? []), r.name];
        break;
      case 'UID':
        uid = r.name;
        break;
    }
  }
  if (username !== ANONYMOUS) {
    if (!groups.includes(AUTHENTICATED) && !groups.includes(UNAUTHENTICATED)) groups.push(AUTHENTICATED);
  } else if (!groups.includes(UNAUTHENTICATED)) {
    groups.push(UNAUTHENTICATED);
  }
  return {
    username,
    groups,
    ...(uid ? { uid } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}
