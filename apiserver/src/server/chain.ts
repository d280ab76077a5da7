// The handler chain, in Kubernetes' order (k8s.io/apiserver pkg/server/config.go
// DefaultBuildHandlerChain, inside out): request info → authentication → impersonation → priority
// and fairness (or max-in-flight) → authorization → handler.
// The stages are framework-free: a plain request view in, data out. server/app.ts runs it as one
// fastify onRequest hook.

import { newInternalError, newTooManyRequests, newUnauthorized, type StatusError } from '@mkube/shared/apierrors';
import {
  type Attributes,
  AuthenticationError,
  type Authenticator,
  type AuthnRequest,
  type Authorizer,
  fieldSelectorAttributes,
  forbiddenError,
  labelSelectorAttributes,
  type UserInfo,
} from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import { impersonate, wantsImpersonation } from '../auth/impersonation.js';
import type { ApiServerMetrics, AuthenticationResult } from '../metrics/index.js';
import { parseRequestInfo, type RequestInfo } from '../request/requestinfo.js';

/** The request as the chain sees it: no framework types. */
export interface RequestView extends AuthnRequest {
  /** Path plus query, as received. */
  readonly url: string;
}

export interface ChainDeps {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly log: Logger;
  /** /metrics: authentication_attempts, authentication_duration_seconds, authenticated_user_requests. */
  readonly metrics?: Pick<ApiServerMetrics, 'recordAuthentication'>;
}

/** The gate turned the request away: a 429 whose Retry-After is this many seconds. */
export interface GateRejection {
  readonly retryAfterSeconds: number;
}

/**
 * WithPriorityAndFairness or WithMaxInFlightLimit: between impersonation and authorization, so a
 * flood of requests that would be denied still queues behind its own flow. A rejection is a 429.
 */
export type ConcurrencyGate = (info: RequestInfo, user: UserInfo) => Promise<GateRejection | undefined> | undefined;

export type ChainOutcome =
  | {
      readonly ok: true;
      readonly info: RequestInfo;
      /** Who the request runs as: the impersonated user, if any. */
      readonly user: UserInfo;
      /** Who authenticated, when that is someone else (impersonation). */
      readonly authenticatedUser?: UserInfo;
      readonly reason: string;
    }
  | {
      readonly ok: false;
      readonly error: StatusError;
      readonly info: RequestInfo;
      /** Absent when authentication failed. */
      readonly user?: UserInfo;
      readonly authenticatedUser?: UserInfo;
      /** The authorizer's reason, when it denied the request. */
      readonly reason?: string;
      /** Refused before authorization: the requester may not impersonate whom it named. */
      readonly impersonationDenied?: boolean;
      /** Refused before authorization by the concurrency gate (429, plain text as upstream). */
      readonly tooManyRequests?: GateRejection;
    };

export function requestInfoOf(view: Pick<RequestView, 'method' | 'url'>): RequestInfo {
  const q = view.url.indexOf('?');
  const path = q >= 0 ? view.url.slice(0, q) : view.url;
  const query = new URLSearchParams(q >= 0 ? view.url.slice(q + 1) : '');
  return parseRequestInfo(view.method, path, query);
}

/**
 * Stage 2. A failed credential is a generic 401; the reason goes to the log only. As upstream's
 * recordAuthMetrics: a rejected credential is an "error" (a bad token is never anonymous), no
 * credential and no anonymous access a "failure".
 */
export async function authenticate(view: RequestView, deps: ChainDeps): Promise<UserInfo | StatusError> {
  const start = performance.now();
  const record = (result: AuthenticationResult, username?: string) =>
    deps.metrics?.recordAuthentication(result, (performance.now() - start) / 1000, username);
  try {
    const user = await deps.authenticator.authenticate(view);
    record(user ? 'success' : 'failure', user?.username);
    if (user) return user;
    return newUnauthorized();
  } catch (e) {
    record('error');
    if (e instanceof AuthenticationError) {
      deps.log.info({ code: e.code, reason: e.reason, path: view.path }, 'authentication failed');
      return newUnauthorized();
    }
    deps.log.error({ err: e }, 'authenticator error');
    return newUnauthorized();
  }
}

export function attributesOf(info: RequestInfo, user: UserInfo): Attributes {
  const attrs: Attributes = {
    user,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    namespace: info.namespace,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
  };
  if (!info.fieldSelector && !info.labelSelector) return attrs;
  // AuthorizeWithSelectors: parsed here, once, for every authorizer (GetAuthorizerAttributes).
  const fieldSelector = fieldSelectorAttributes(info.fieldSelector ?? '');
  const labelSelector = labelSelectorAttributes(info.labelSelector ?? '');
  return { ...attrs, ...(fieldSelector && { fieldSelector }), ...(labelSelector && { labelSelector }) };
}

/**
 * Stage 3. Fails closed: only Allow passes; an authorizer error without an Allow is a 500. The
 * authorizer's reason comes back either way (the audit log records it).
 */
export async function authorize(
  info: RequestInfo,
  user: UserInfo,
  deps: Pick<ChainDeps, 'authorizer' | 'log'>,
): Promise<{ error?: StatusError; reason?: string }> {
  const attrs = attributesOf(info, user);
  try {
    const r = await deps.authorizer.authorize(attrs);
    if (r.decision === 'Allow') return { reason: r.reason };
    return { error: forbiddenError(attrs, r.reason), reason: r.reason };
  } catch (e) {
    deps.log.error({ err: e, verb: info.verb, path: info.path }, 'authorizer error');
    return { error: newInternalError(e) };
  }
}

/** upstream's tooManyRequests writes plain text; the audit record sees this Status. */
const tooManyRequestsError = (r: GateRejection): StatusError =>
  newTooManyRequests('Too many requests, please try again later.', r.retryAfterSeconds);

/** The whole chain for one request; `gate` runs after impersonation, before authorization. */
export async function runChain(view: RequestView, deps: ChainDeps, gate?: ConcurrencyGate): Promise<ChainOutcome> {
  const info = requestInfoOf(view);
  const authenticated = await authenticate(view, deps);
  if (!('username' in authenticated)) return { ok: false, error: authenticated, info };
  // Stage 2½ (WithImpersonation): the requester must be allowed to act as whom it names.
  if (!wantsImpersonation(view.headers)) {
    const gated = gate?.(info, authenticated);
    const rejected = gated && (await gated);
    if (rejected)
      return { ok: false, error: tooManyRequestsError(rejected), info, user: authenticated, tooManyRequests: rejected };
    const { error, reason } = await authorize(info, authenticated, deps);
    if (error) return { ok: false, error, info, user: authenticated, reason };
    return { ok: true, info, user: authenticated, reason: reason ?? '' };
  }
  const user = await impersonate(view.headers, authenticated, deps.authorizer);
  if (!('username' in user)) return { ok: false, error: user, info, user: authenticated, impersonationDenied: true };
  const gated = gate?.(info, user);
  const rejected = gated && (await gated);
  if (rejected)
    return {
      ok: false,
      error: tooManyRequestsError(rejected),
      info,
      user,
      authenticatedUser: authenticated,
      tooManyRequests: rejected,
    };
  const { error, reason } = await authorize(info, user, deps);
  if (error) return { ok: false, error, info, user, authenticatedUser: authenticated, reason };
  return { ok: true, info, user, authenticatedUser: authenticated, reason: reason ?? '' };
}
