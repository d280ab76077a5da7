// The Kubernetes authz library (k8s.io/apiserver pkg/cel/library/authz.go): `authorizer` lets an
// expression ask the apiserver's own authorizer whether the requesting user (or a service account)
// may do something, e.g. `authorizer.group('').resource('secrets').namespace('x').check('get').allowed()`.
// Checks are asynchronous; cel-js awaits them. Each request shares one caching authorizer.
import type { Environment } from '@marcbachmann/cel-js';
import {
  type Attributes,
  type AuthorizationResult,
  type Authorizer,
  newAttributes,
  type UserInfo,
} from '@mkube/shared/auth';
import { isDNS1123Label, isDNS1123Subdomain } from '@mkube/shared/selectors';

export const AUTHORIZER = 'kubernetes.authorization.Authorizer';
const PATH_CHECK = 'kubernetes.authorization.PathCheck';
const GROUP_CHECK = 'kubernetes.authorization.GroupCheck';
const RESOURCE_CHECK = 'kubernetes.authorization.ResourceCheck';
const DECISION = 'kubernetes.authorization.Decision';

/** The value of the `authorizer` variable. */
export class AuthorizerVal {
  constructor(
    readonly user: UserInfo,
    readonly authorizer: Authorizer,
    /** `authorizer.requestResource`: a check prefilled with the request's resource. */
    readonly requestResource?: ResourceCheckVal,
  ) {}
}

export class PathCheckVal {
  constructor(
    readonly authz: AuthorizerVal,
    readonly path: string,
  ) {}
}

export class GroupCheckVal {
  constructor(
    readonly authz: AuthorizerVal,
    readonly group: string,
  ) {}
}

export class ResourceCheckVal {
  constructor(
    readonly authz: AuthorizerVal,
    readonly group: string,
    readonly resource: string,
    readonly subresource = '',
    readonly namespace = '',
    readonly name = '',
  ) {}

  with(field: 'subresource' | 'namespace' | 'name', value: string): ResourceCheckVal {
    const next = { subresource: this.subresource, namespace: this.namespace, name: this.name, [field]: value };
    return new ResourceCheckVal(this.authz, this.group, this.resource, next.subresource, next.namespace, next.name);
  }
}

export class DecisionVal {
  constructor(
    readonly result: AuthorizationResult | undefined,
    readonly error: string | undefined,
  ) {}
}

/** The request's resource as `authorizer.requestResource` sees it. */
export interface RequestResource {
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

export function authorizerValue(user: UserInfo, authorizer: Authorizer, request: RequestResource): AuthorizerVal {
  const base = new AuthorizerVal(user, authorizer);
  const rr = new ResourceCheckVal(
    base,
    request.group,
    request.resource,
    request.subresource,
    request.namespace,
    request.name,
  );
  return new AuthorizerVal(user, authorizer, rr);
}

/** NewCachingAuthorizer: one answer per distinct set of attributes within a request. */
export function cachingAuthorizer(inner: Authorizer): Authorizer {
  const seen = new Map<string, Promise<AuthorizationResult>>();
  return {
    authorize(attrs) {
      const key = JSON.stringify(attrs);
      let r = seen.get(key);
      if (!r) {
        r = inner.authorize(attrs);
        seen.set(key, r);
      }
      return r;
    },
  };
}

async function decide(authz: AuthorizerVal, attrs: Attributes): Promise<DecisionVal> {
  try {
    return new DecisionVal(await authz.authorizer.authorize(attrs), undefined);
  } catch (e) {
    return new DecisionVal(undefined, e instanceof Error ? e.message : String(e));
  }
}

/** serviceaccount.UserInfo: the identity a service account's token would give. */
function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
  };
}

export function registerAuthzLibrary(env: Environment): void {
  env
    .registerType(DECISION, DecisionVal)
    .registerType(PATH_CHECK, PathCheckVal)
    .registerType(GROUP_CHECK, GroupCheckVal)
    .registerType(RESOURCE_CHECK, ResourceCheckVal)
    .registerType(AUTHORIZER, { ctor: AuthorizerVal, fields: { requestResource: RESOURCE_CHECK } })
    .registerFunction(`${AUTHORIZER}.path(string): ${PATH_CHECK}`, (a: AuthorizerVal, path: string) => {
      if (!path.trim()) throw new Error('path must not be empty');
      return new PathCheckVal(a, path);
    })
    .registerFunction(`${AUTHORIZER}.group(string): ${GROUP_CHECK}`, (a: AuthorizerVal, g: string) => {
      return new GroupCheckVal(a, g);
    })
    .registerFunction(
      `${AUTHORIZER}.serviceAccount(string, string): ${AUTHORIZER}`,
      (a: AuthorizerVal, namespace: string, name: string) => {
        if (isDNS1123Subdomain(name).length) throw new Error('Invalid service account name');
        if (isDNS1123Label(namespace).length) throw new Error('Invalid service account namespace');
        return new AuthorizerVal(serviceAccountUser(namespace, name), a.authorizer);
      },
    )
    .registerFunction(`${GROUP_CHECK}.resource(string): ${RESOURCE_CHECK}`, (g: GroupCheckVal, r: string) => {
      if (!r.trim()) throw new Error('resource must not be empty');
      return new ResourceCheckVal(g.authz, g.group, r);
    });
  for (const field of ['subresource', 'namespace', 'name'] as const) {
    env.registerFunction(`${RESOURCE_CHECK}.${field}(string): ${RESOURCE_CHECK}`, (r: ResourceCheckVal, v: string) =>
      r.with(field, v),
    );
  }
  // Selectors narrow a check where the authorizer understands them; mkube's ignore them, so do these.
  for (const field of ['fieldSelector', 'labelSelector']) {
    env.registerFunction(`${RESOURCE_CHECK}.${field}(string): ${RESOURCE_CHECK}`, (r: ResourceCheckVal) => r);
  }
  env
    .registerFunction(`${PATH_CHECK}.check(string): ${DECISION}`, (p: PathCheckVal, verb: string) =>
      decide(p.authz, newAttributes(p.authz.user, { path: p.path, verb })),
    )
    .registerFunction(`${RESOURCE_CHECK}.check(string): ${DECISION}`, (r: ResourceCheckVal, verb: string) =>
      decide(
        r.authz,
        newAttributes(r.authz.user, {
          isResourceRequest: true,
          verb,
          apiGroup: r.group,
          apiVersion: '*',
          resource: r.resource,
          subresource: r.subresource,
          namespace: r.namespace,
          name: r.name,
        }),
      ),
    )
    .registerFunction(`${DECISION}.allowed(): bool`, (d: DecisionVal) => d.result?.decision === 'Allow')
    .registerFunction(`${DECISION}.reason(): string`, (d: DecisionVal) => d.result?.reason ?? '')
    .registerFunction(`${DECISION}.errored(): bool`, (d: DecisionVal) => d.error !== undefined)
    .registerFunction(`${DECISION}.error(): string`, (d: DecisionVal) => d.error ?? '');
}
