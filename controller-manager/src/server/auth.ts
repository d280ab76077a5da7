// The secure port's delegated authentication and authorization, as k8s.io/apiserver builds them
// for kube-controller-manager: a front proxy's user in X-Remote-* headers (--requestheader-*), a
// client certificate against --client-ca-file, a bearer token
// through a TokenReview (--authentication-kubeconfig), no credentials at all → system:anonymous;
// then --authorization-always-allow-paths, the system:masters group, and a SubjectAccessReview
// (--authorization-kubeconfig). Without that kubeconfig everything else is forbidden.
import {
  type Authenticator,
  type Authorizer,
  anonymousAuthenticator,
  bearerTokenAuthenticator,
  requestHeaderAuthenticator,
  unionAuthenticator,
  unionAuthorizer,
  webhookAuthorizer,
  webhookTokenAuthenticator,
  withAuthenticatedGroup,
  x509Authenticator,
} from '@mkube/shared/auth';
import type { KubeClient } from '@mkube/shared/client';
import { type ParsedCertificate, parseCertificatesPem } from '@mkube/shared/pki';
import type { RequestHeaderInfo } from '../options/authenticationinfo.js';
import type { SecureServingConfig } from '../options/serving.js';

export function delegatingAuthenticator(
  cfg: SecureServingConfig,
  client: (() => KubeClient) | undefined,
  /** A client CA kept current (from the published ConfigMap or a reloaded --client-ca-file). */
  clientCA?: { readonly roots: readonly ParsedCertificate[] },
  /** The front proxy's settings now (from the ConfigMap or the --requestheader-* flags); none: no front proxy. */
  requestHeader?: () => RequestHeaderInfo | undefined,
): Authenticator {
  // Upstream's order: the front proxy first, then client certificates, then bearer tokens.
  const list: Authenticator[] = [];
  if (requestHeader) list.push(dynamicRequestHeaderAuthenticator(requestHeader));
  if (clientCA) list.push(x509Authenticator({ roots: () => clientCA.roots }));
  else if (cfg.clientCAPem) list.push(x509Authenticator({ roots: parseCertificatesPem(cfg.clientCAPem) }));
  if (client && cfg.authentication) {
    list.push(bearerTokenAuthenticator([webhookTokenAuthenticator(client, cfg.authentication.cacheTtlMs)]));
  }
  const creds = withAuthenticatedGroup(unionAuthenticator(list));
  // A request whose credentials fail is refused (401); only one without any is anonymous.
  return {
    async authenticate(req) {
      return (await creds.authenticate(req)) ?? anonymousAuthenticator.authenticate(req);
    },
  };
}

/** Request-header authentication with settings that may change (rebuilt when they do). */
function dynamicRequestHeaderAuthenticator(current: () => RequestHeaderInfo | undefined): Authenticator {
  let built: { info: RequestHeaderInfo; authn: Authenticator } | undefined;
  return {
    async authenticate(req) {
      const info = current();
      if (!info) return null;
      if (built?.info !== info) built = { info, authn: requestHeaderAuthenticator(info) };
      return built.authn.authenticate(req);
    },
  };
}

/** authorizerfactory's path authorizer: exact paths, or prefixes ending in '*'; a leading '/' is optional. */
export function alwaysAllowPathsAuthorizer(paths: readonly string[]): Authorizer {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of paths) {
    const p = raw.startsWith('/') ? raw : `/${raw}`;
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return {
    async authorize(a) {
      if (a.isResourceRequest) return { decision: 'NoOpinion', reason: '' };
      const allowed = exact.has(a.path) || prefixes.some((p) => a.path.startsWith(p));
      return { decision: allowed ? 'Allow' : 'NoOpinion', reason: '' };
    },
  };
}

export function alwaysAllowGroupsAuthorizer(groups: readonly string[]): Authorizer {
  return {
    async authorize(a) {
      const allowed = a.user.groups.some((g) => groups.includes(g));
      return { decision: allowed ? 'Allow' : 'NoOpinion', reason: '' };
    },
  };
}

export function delegatingAuthorizer(cfg: SecureServingConfig, client: (() => KubeClient) | undefined): Authorizer {
  const list: Authorizer[] = [
    alwaysAllowPathsAuthorizer(cfg.alwaysAllowPaths),
    alwaysAllowGroupsAuthorizer(cfg.alwaysAllowGroups),
  ];
  if (client && cfg.authorization) {
    list.push(webhookAuthorizer(client, cfg.authorization.allowedTtlMs, cfg.authorization.deniedTtlMs));
  }
  return unionAuthorizer(...list);
}
