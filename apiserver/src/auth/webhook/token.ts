// --authentication-token-webhook-config-file (k8s.io/apiserver plugin/pkg/authenticator/token/webhook,
// wrapped in the token cache as pkg/kubeapiserver/authenticator does): each bearer token no other
// authenticator took is POSTed as a TokenReview (authentication.k8s.io/v1 or v1beta1) to the
// remote service. Authenticated → its user; not authenticated → not this token's authenticator
// (401 in the end); no usable answer → the token fails (401), logged without the token. Answers
// are cached by a hash of the token and audiences for --authentication-token-webhook-cache-ttl.
import type { TokenReviewStatus } from '@mkube/shared/api';
import { AuthenticationError, type TokenAuthenticator, tokenReviewAuthenticator } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import type { TokenWebhookConfig } from '../../config/webhook.js';
import { WebhookClient, type WebhookClientOptions } from './client.js';

export interface TokenWebhook extends TokenAuthenticator {
  close(): void;
}

export function tokenWebhookAuthenticator(
  config: TokenWebhookConfig,
  log: Logger,
  clientOptions: WebhookClientOptions = {},
): TokenWebhook {
  const client = new WebhookClient(config.client, clientOptions);
  const apiVersion = `authentication.k8s.io/${config.version}`;
  const authn = tokenReviewAuthenticator(
    async (spec) => {
      let answer: unknown;
      try {
        // The shape kube-apiserver sends (Go's zero values included).
        answer = await client.post({
          apiVersion,
          kind: 'TokenReview',
          metadata: { creationTimestamp: null },
          spec,
          status: { user: {} },
        });
      } catch (e) {
        const why = (e as Error).message;
        log.error({ webhook: client.server, error: why }, 'Failed to make webhook authenticator request');
        throw new AuthenticationError('TOKEN_INVALID', `token webhook: ${why}`);
      }
      const status = (answer as { status?: unknown }).status;
      return status !== null && typeof status === 'object' ? (status as TokenReviewStatus) : {};
    },
    { successTtlMs: config.cacheTtlMs, failureTtlMs: config.cacheTtlMs, audiences: config.audiences },
  );
  return { authenticateToken: (token) => authn.authenticateToken(token), close: () => client.close() };
}
