// The request-authentication and authorization contracts (k8s.io/apiserver pkg/authentication/user,
// authenticator, pkg/authorization/authorizer). Framework-free: the apiserver and the kubelet's
// 10250 both build a plain AuthnRequest from their HTTP layer and pass it through the same objects.
import type { FieldRequirement, LabelRequirement } from '../selectors/index.js';

/** user.Info: who made the request. */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/**
 * What an authenticator may add to the request it authenticates (audit.AddAuditAnnotation and
 * warning.AddWarning on the request's context upstream): e.g. that a legacy token was used.
 */
export interface AuthenticationContext {
  addAuditAnnotation(key: string, value: string): void;
  addWarning(text: string): void;
}

/** What an authenticator may look at: never the body. */
export interface AuthnRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names, as Node gives them. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The TLS peer's certificate chain as DER, leaf first; empty when the client sent none. Servers
   * give the leaf alone (cheap to read) together with peerChain.
   */
  readonly peerCertificates: readonly Buffer[];
  /** The whole chain the peer presented, leaf first, for when the leaf alone does not verify. */
  readonly peerChain?: () => readonly Buffer[];
  /** Where audit annotations and warnings go; absent where nothing records them. */
  readonly context?: AuthenticationContext;
}

/**
 * One credential type. Resolves `null` when the request does not carry this credential ("not mine"),
 * rejects with an AuthenticationError when it does and the credential is bad.
 */
export interface Authenticator {
  authenticate(req: AuthnRequest): Promise<UserInfo | null>;
}

/** authorizer.Attributes: the request as authorization sees it (parsed once by request info). */
export interface Attributes {
  readonly user: UserInfo;
  readonly verb: string;
  readonly isResourceRequest: boolean;
  /** Set for non-resource requests (`/healthz`, `/version`). */
  readonly path: string;
  readonly namespace: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
  /** A list's, watch's or deletecollection's field selector (AuthorizeWithSelectors); absent: none. */
  readonly fieldSelector?: SelectorAttributes<FieldRequirement>;
  /** The same for its label selector. */
  readonly labelSelector?: SelectorAttributes<LabelRequirement>;
}

/**
 * A selector as authorizers see it (GetFieldSelector, GetLabelSelector): the requirements that
 * could be read and, when some could not, why. Requirements only narrow a request, so an authorizer
 * may act on what is left (a broader check) whatever the error.
 */
export interface SelectorAttributes<R> {
  readonly requirements: readonly R[];
  readonly error?: string;
}

/** Attributes with every field empty but the user and those given (what an authorizer check builds). */
export function newAttributes(user: UserInfo, a: Partial<Omit<Attributes, 'user'>>): Attributes {
  return {
    user,
    verb: '',
    isResourceRequest: false,
    path: '',
    namespace: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    name: '',
    ...a,
  };
}

/** The attributes of a request for a path outside the API (`/healthz`, `/metrics`). */
export function nonResourceAttributes(user: UserInfo, verb: string, path: string): Attributes {
  return newAttributes(user, { verb, path });
}

/** Tri-state, as Kubernetes: a union stops at the first Allow or Deny. */
export type Decision = 'Allow' | 'Deny' | 'NoOpinion';

export interface AuthorizationResult {
  readonly decision: Decision;
  /** Why; shown to the client on 403 (never secrets). */
  readonly reason: string;
}

export interface Authorizer {
  authorize(attrs: Attributes): Promise<AuthorizationResult>;
}

/** "Mine, and it failed": the client gets a generic 401; `reason` is for the log only. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly code: AuthenticationErrorCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export type AuthenticationErrorCode = 'X509_UNVERIFIED' | 'X509_NO_USERNAME' | 'TOKEN_INVALID';

/** The verb of a request from its HTTP method (the apiserver's request info, the kubelet's authorizer). */
export const VERB_FOR_METHOD: Readonly<Record<string, string>> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * The certificate chains to verify for a request, in order: what it carries (a server's leaf alone),
 * then — only if the first did not do — the whole chain the peer presented, when that is longer.
 */
export function* chainsToTry(req: AuthnRequest): Generator<readonly Buffer[]> {
  yield req.peerCertificates;
  const whole = req.peerChain?.();
  if (whole && whole.length > req.peerCertificates.length) yield whole;
}
