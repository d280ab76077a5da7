// kube-apiserver's remote webhooks: token authentication and authorization.
export { type AuthorizationWebhook, authorizationWebhook, versionedSpec } from './authorizer.js';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_BACKOFF,
  type RetryBackoff,
  WebhookClient,
  type WebhookClientOptions,
  WebhookError,
} from './client.js';
export { type TokenWebhook, tokenWebhookAuthenticator } from './token.js';
