// Discovery: /version, health endpoints and the API discovery documents, all built from the catalog.
export {
  type AggregatedDiscoveryList,
  type AggregatedVersion,
  aggregatedContentType,
  aggregatedDiscovery,
} from './aggregated.js';
export { delayedHealthCheck, evaluateHealth, type HealthCheck, type HealthResult } from './health.js';
export { registerHealthRoutes } from './healthroutes.js';
export { apiGroup, apiGroupList, apiResourceList, apiVersions } from './legacy.js';
export { type DiscoveryFormat, negotiateDiscovery, parseAccept } from './negotiate.js';
export { registerDiscoveryRoutes } from './routes.js';
export { KUBERNETES_VERSION, versionInfo } from './version.js';
