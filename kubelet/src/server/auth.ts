// The kubelet API's authentication and authorization (facts §9): client certificates against
// --client-ca-file, bearer tokens through a TokenReview, anonymous only when enabled; then a
// SubjectAccessReview on the kubelet's own Node with the subresource its path maps to. Both webhook
// answers are cached as the kubelet caches them (tokens 2 m; decisions 5 m allowed, 30 s denied);
// the webhooks themselves are shared (@mkube/shared/auth webhook.ts).
import {
  type Attributes,
  type Authenticator,
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
import type { ParsedCertificate } from '@mkube/shared/pki';

export interface KubeletAuthnOptions {
  /** --client-ca-file's certificates now (the file is read again when it changes). */
  readonly clientCA?: () => readonly ParsedCertificate[];
  readonly webhook?: TokenAuthenticator;
  readonly anonymous: boolean;
}

export function kubeletAuthenticator(o: KubeletAuthnOptions): Authenticator {
  const list: Authenticator[] = [];
  if (o.clientCA) list.push(x509Authenticator({ roots: o.clientCA }));
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
