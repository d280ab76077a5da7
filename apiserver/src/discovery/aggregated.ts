// Aggregated discovery (apidiscovery.k8s.io/v2, and v2beta1 which has the same shape): one document
// for /api (the core group) and one for /apis (every named group), built from the catalog.
import type { APIGroupDiscovery, APIResourceDiscovery } from '@mkube/shared/api';
import { apiGroups, RESOURCES, type ResourceDef } from '../registry/catalog.js';

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

function group(name: string, version: string): APIGroupDiscovery {
  const defs = RESOURCES.filter((d) => d.group === name && d.version === version);
  return { metadata: { name }, versions: [{ version, resources: defs.map(resource), freshness: 'Current' }] };
}

/** `core`: the document of /api; `groups`: the document of /apis. */
export function aggregatedDiscovery(which: 'core' | 'groups', v: AggregatedVersion): AggregatedDiscoveryList {
  const items = which === 'core' ? [group('', 'v1')] : apiGroups().map((g) => group(g.group, g.version));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
}
