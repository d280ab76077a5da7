// The REST + watch client every mkube daemon uses to reach the apiserver (h2 framed by ../h2, HTTP/1.1 on undici 7).
export { Backoff, type BackoffOptions, sleep } from './backoff.js';
export {
  type ClientOptions,
  type Credentials,
  createClient,
  DEFAULT_CONNECTIONS,
  DEFAULT_TIMEOUT_MS,
  FAILOVER_DOWN_MS,
  FAILOVER_MAX_DOWN_MS,
  KubeClient,
  type RotateOptions,
  type WatchRequestOptions,
} from './client.js';
export {
  CachingCredentialProvider,
  type CredentialProvider,
  type FetchedCredentials,
  type ProvidedCredentials,
} from './credentials.js';
export { ClientError, type ClientErrorCode, toClientError } from './errors.js';
export {
  type ExecApiVersion,
  ExecAuthenticator,
  type ExecAuthenticatorOptions,
  type ExecClusterInfo,
  ExecCredentialError,
  type ExecPluginConfig,
  execAuthenticatorFor,
} from './exec.js';
export { execPluginMetricsText } from './execmetrics.js';
export {
  type ListerWatcher,
  ListWatcher,
  type ListWatcherOptions,
  type ListWatcherStats,
  type ResourceEventHandlers,
  type WatchStream,
} from './listwatcher.js';
export { checkSegment, encodeQuery, groupVersionPrefix, objectKey, resourcePath } from './paths.js';
export { ResourceClient, type SignalOption } from './resource.js';
export { errorFromBody, reasonForHttpCode, statusErrorFrom } from './response.js';
export { type ReadonlyStore, type ReplaceResult, Store } from './store.js';
export { MAX_STREAMS, type Protocol, type TlsCredentials, type TransportStats } from './transport.js';
export * from './types.js';
export { type DecodedLine, decodeWatchLine, LineDecoder, MAX_EVENT_BYTES, Watch, type WatchBody } from './watch.js';
