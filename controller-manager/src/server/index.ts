// The secure port's parts other components reuse (kube-scheduler serves the same port on 10259).
export { type ApiHandler, type HealthCheck, healthResponse, type SecureServer, startSecureServer } from './app.js';
export { delegatingAuthenticator, delegatingAuthorizer } from './auth.js';
export { type DelegatedServingOptions, serveDelegated } from './delegated.js';
export { LEADER_HEALTH_TIMEOUT_MS } from './serve.js';
