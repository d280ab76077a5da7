// --authorization-mode=…,Webhook,… (k8s.io/apiserver plugin/pkg/authorizer/webhook): each request
// the modes before it had no opinion on is POSTed as a SubjectAccessReview (authorization.k8s.io/v1,
// or v1beta1 whose groups field is `group`). allowed → Allow, denied → Deny, else NoOpinion, with
// the webhook's reason. Allowed answers are cached for --authorization-webhook-cache-authorized-ttl,
// the others for --authorization-webhook-cache-unauthorized-ttl. A failed review is NoOpinion
// (upstream's failure policy), logged, so the next mode decides.
import type { SubjectAccessReviewSpec, SubjectAccessReviewStatus } from '@mkube/shared/api';
import { type Authorizer, subjectAccessReviewAuthorizer } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import type { AuthorizationWebhookConfig, WebhookVersion } from '../../config/webhook.js';
import { WebhookClient, type WebhookClientOptions } from './client.js';

export interface AuthorizationWebhook extends Authorizer {
  close(): void;
}

/** The spec as the version spells it: v1beta1 calls `groups` `group` (same place in the object). */
export function versionedSpec(spec: SubjectAccessReviewSpec, version: WebhookVersion): Record<string, unknown> {
  if (version === 'v1') return { ...spec };
  return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k === 'groups' ? 'group' : k, v]));
}

/** POSTs the request's SubjectAccessReview in `version` to the webhook and reads its answer's status. */
export function remoteSubjectAccessReviewer(
  client: WebhookClient,
  version: WebhookVersion,
): (spec: SubjectAccessReviewSpec) => Promise<SubjectAccessReviewStatus> {
  const apiVersion = `authorization.k8s.io/${version}`;
  return async (spec) => {
    const answer = await client.post({
      apiVersion,
      kind: 'SubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec: versionedSpec(spec, version),
      status: { allowed: false },
    });
    const s = (answer as { status?: Partial<SubjectAccessReviewStatus> | null }).status;
    return {
      allowed: s?.allowed === true,
      ...(s?.denied === true ? { denied: true } : {}),
      ...(typeof s?.reason === 'string' && s.reason ? { reason: s.reason } : {}),
    };
  };
}

export function authorizationWebhook(
  config: AuthorizationWebhookConfig,
  log: Logger,
  clientOptions: WebhookClientOptions = {},
): AuthorizationWebhook {
  const client = new WebhookClient(config.client, clientOptions);
  const authz = subjectAccessReviewAuthorizer(remoteSubjectAccessReviewer(client, config.version), {
    authorizedTtlMs: config.authorizedTtlMs,
    unauthorizedTtlMs: config.unauthorizedTtlMs,
    onError(err, a) {
      log.error(
        { webhook: client.server, error: (err as Error).message, user: a.user.username, verb: a.verb },
        'Failed to make webhook authorizer request',
      );
      return { decision: 'NoOpinion', reason: '' };
    },
  });
  return { authorize: (a) => authz.authorize(a), close: () => client.close() };
}
