// Aggregated discovery (apidiscovery.k8s.io/v2, and v2beta1 which has the same shape): one document
// for /api (the core group) and one for /apis (every named group), built from the catalog.
import type { APIGroupDiscovery, APIResourceDiscovery } from '@mkube/shared/api';
import { type APICatalog, DEFAULT_CATALOG, type ResourceDef } from '../registry/catalog.js';

export type AggregatedVersion = 'v2' | 'v2beta1';

export interface AggregatedDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: `apidiscovery.k8s.io/${AggregatedVersion}`;
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

export function aggregatedContentType(v: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

function resource(d: ResourceDef): APIResourceDiscovery {
  const r: APIResourceDiscovery = {
    resource: d.resource,
    responseKind: { group: d.group, version: d.version, kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: d.verbs,
  };
  if (d.shortNames.length) r.shortNames = d.shortNames;
  if (d.categories.length) r.categories = d.categories;
  if (d.subresources.length) {
    r.subresources = d.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? d.group, version: s.version ?? d.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return r;
}

function group(catalog: APICatalog, name: string, versions: readonly string[]): APIGroupDiscovery {
  return {
    metadata: { name },
    // Preferred first, as the aggregated document orders them.
    versions: versions.map((version) => ({
      version,
      resources: catalog.resourcesOf(name, version).map(resource),
      freshness: 'Current' as const,
    })),
  };
}

/** `core`: the document of /api; `groups`: the document of /apis. */
export function aggregatedDiscovery(
  which: 'core' | 'groups',
  v: AggregatedVersion,
  catalog: APICatalog = DEFAULT_CATALOG,
): AggregatedDiscoveryList {
  const items =
    which === 'core' ? [group(catalog, '', ['v1'])] : catalog.groups.map((g) => group(catalog, g.group, g.versions));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
}
