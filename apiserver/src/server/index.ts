// The apiserver's server shell: HTTPS (HTTP/2 + HTTP/1.1), the handler chain and the catch-all
// resource route.

// kube-apiserver's Forbidden wording, shared with the servers that delegate to it.
export { forbiddenError } from '@mkube/shared/auth';
export { type App, type AppDeps, buildApp } from './app.js';
export {
  attributesOf,
  authenticate,
  authorize,
  type ChainDeps,
  type ChainOutcome,
  type RequestView,
  requestInfoOf,
  runChain,
} from './chain.js';
export type { ResourceHandler, ResourceRequestContext } from './context.js';
export { fromFastifyError, MAX_REQUEST_BODY_BYTES, notFoundStatus, sendStatus } from './errors.js';
export { peerCertificates } from './peer.js';
export { registerResourceRoutes, resolveResource } from './resources.js';
export { type RunningApiServer, type StartOptions, startApiServer } from './server.js';
