// A Webhook authorizer of an AuthorizationConfiguration (k8s.io/apiserver plugin/pkg/authorizer/webhook
// with its structured options): asked only when every matchCondition holds for the request's
// SubjectAccessReviewSpec; a failed call or condition is the failurePolicy's decision (NoOpinion, or
// Deny); answers are cached per cacheAuthorizedRequests/cacheUnauthorizedRequests for their TTLs.
import type { SubjectAccessReviewSpec } from '@mkube/shared/api';
import {
  type Attributes,
  type AuthorizationResult,
  type Authorizer,
  subjectAccessReviewAuthorizer,
  subjectAccessReviewSpec,
} from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import { celValue } from '../../authentication/jwt/cel.js';
import { remoteSubjectAccessReviewer } from '../webhook/authorizer.js';
import { WebhookClient } from '../webhook/client.js';
import type { StructuredWebhook } from './load.js';

export interface StructuredWebhookAuthorizer extends Authorizer {
  close(): void;
}

/**
 * `request` as the conditions see it: the v1 spec, every string of a set attributes object present
 * (a typed SubjectAccessReviewSpec reads "" for an unset field), unset objects absent for `has()`.
 */
function conditionInput(spec: SubjectAccessReviewSpec): Record<string, unknown> {
  const fill = (o: Record<string, unknown> | undefined, keys: readonly string[]) =>
    o ? Object.fromEntries(keys.map((k) => [k, o[k] ?? ''])) : undefined;
  const ra = fill(spec.resourceAttributes as Record<string, unknown> | undefined, [
    'namespace',
    'verb',
    'group',
    'version',
    'resource',
    'subresource',
    'name',
  ]);
  // AuthorizeWithSelectors: a selector the review carries, its strings and lists read as empty when unset.
  for (const key of ['fieldSelector', 'labelSelector'] as const) {
    const sel = spec.resourceAttributes?.[key];
    if (ra && sel) {
      ra[key] = {
        rawSelector: sel.rawSelector ?? '',
        requirements: (sel.requirements ?? []).map((r) => ({
          key: r.key,
          operator: r.operator,
          values: r.values ?? [],
        })),
      };
    }
  }
  const nra = fill(spec.nonResourceAttributes as Record<string, unknown> | undefined, ['path', 'verb']);
  return {
    request: celValue({
      user: spec.user ?? '',
      groups: spec.groups ?? [],
      uid: spec.uid ?? '',
      extra: spec.extra ?? {},
      ...(ra ? { resourceAttributes: ra } : {}),
      ...(nra ? { nonResourceAttributes: nra } : {}),
    }),
  };
}

export function structuredWebhookAuthorizer(
  name: string,
  w: StructuredWebhook,
  log: Logger,
): StructuredWebhookAuthorizer {
  const client = new WebhookClient(w.client, { timeoutMs: w.timeoutMs });
  const onFailure = (): AuthorizationResult =>
    w.failurePolicy === 'Deny'
      ? { decision: 'Deny', reason: `authorizer ${JSON.stringify(name)} failed and its failurePolicy is Deny` }
      : { decision: 'NoOpinion', reason: '' };
  const reviewer = subjectAccessReviewAuthorizer(remoteSubjectAccessReviewer(client, w.version), {
    authorizedTtlMs: w.cacheAuthorized ? w.authorizedTtlMs : 0,
    unauthorizedTtlMs: w.cacheUnauthorized ? w.unauthorizedTtlMs : 0,
    onError(err, a) {
      log.error(
        {
          authorizer: name,
          webhook: client.server,
          error: (err as Error).message,
          user: a.user.username,
          verb: a.verb,
        },
        'Failed to make webhook authorizer request',
      );
      return onFailure();
    },
  });
  return {
    async authorize(a: Attributes): Promise<AuthorizationResult> {
      if (w.matchConditions.length > 0) {
        const input = conditionInput(subjectAccessReviewSpec(a));
        for (const c of w.matchConditions) {
          let v: unknown;
          try {
            v = c.evaluate(input);
          } catch (e) {
            log.error(
              { authorizer: name, expression: c.expression, error: (e as Error).message.split('\n')[0] },
              'authorization matchCondition failed to evaluate',
            );
            return onFailure();
          }
          if (v !== true) {
            if (typeof v !== 'boolean') return onFailure();
            return { decision: 'NoOpinion', reason: '' };
          }
        }
      }
      return reviewer.authorize(a);
    },
    close: () => client.close(),
  };
}
