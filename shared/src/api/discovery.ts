// Discovery documents: the legacy meta/v1 shapes (APIVersions, APIGroupList, APIResourceList) and the
// aggregated apidiscovery.k8s.io/v2 shape kubectl asks for first.

export interface ServerAddressByClientCIDR {
  clientCIDR: string;
  serverAddress: string;
}

/** `GET /api` (legacy form). */
export interface APIVersions {
  kind: 'APIVersions';
  apiVersion?: 'v1';
  versions: string[];
  serverAddressByClientCIDRs: ServerAddressByClientCIDR[];
}

export interface GroupVersionForDiscovery {
  /** `<group>/<version>`. */
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion?: GroupVersionForDiscovery;
  serverAddressByClientCIDRs?: ServerAddressByClientCIDR[];
}

/** `GET /apis` (legacy form). */
export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIResource {
  /** Plural resource name; subresources as `pods/log`. */
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

/** `GET /api/v1`, `GET /apis/<group>/<version>`. */
export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

/** The `/version` document (apimachinery version.Info). */
export interface VersionInfo {
  major: string;
  minor: string;
  emulationMajor?: string;
  emulationMinor?: string;
  minCompatibilityMajor?: string;
  minCompatibilityMinor?: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

// apidiscovery.k8s.io/v2 (k8s.io/api/apidiscovery/v2/types.go)

export const AGGREGATED_DISCOVERY_V2_CONTENT_TYPE =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export type ResourceScope = 'Cluster' | 'Namespaced';

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind?: GroupVersionKind;
  acceptedTypes?: GroupVersionKind[];
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind?: GroupVersionKind;
  scope: ResourceScope;
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export type DiscoveryFreshness = 'Current' | 'Stale';

export interface APIVersionDiscovery {
  version: string;
  resources?: APIResourceDiscovery[];
  freshness?: DiscoveryFreshness;
}

export interface APIGroupDiscovery {
  metadata: { name: string };
  /** Ordered by preference, the preferred version first. */
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: 'apidiscovery.k8s.io/v2';
  metadata: Record<string, never> | { resourceVersion?: string };
  items: APIGroupDiscovery[];
}
