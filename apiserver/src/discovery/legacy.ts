// The legacy (meta/v1) discovery documents, built from the catalog: /api, /apis, /apis/<g>, and
// the APIResourceList of /api/v1 and /apis/<g>/<v>.
import type { APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions } from '@mkube/shared/api';
import { type APICatalog, DEFAULT_CATALOG, groupVersion, type ResourceDef } from '../registry/catalog.js';

export function apiVersions(serverAddress: string): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroup(group: string, catalog: APICatalog = DEFAULT_CATALOG): APIGroup | undefined {
  const g = catalog.group(group);
  if (!g) return undefined;
  const versions = g.versions.map((version) => ({ groupVersion: `${g.group}/${version}`, version }));
  return { name: g.group, versions, preferredVersion: versions[0]! };
}

export function apiGroupList(catalog: APICatalog = DEFAULT_CATALOG): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: catalog.groups.map((g) => apiGroup(g.group, catalog)!),
  };
}

function resourceEntries(d: ResourceDef): APIResource[] {
  const main: APIResource = {
    name: d.resource,
    singularName: d.singular,
    namespaced: d.namespaced,
    kind: d.kind,
    verbs: d.verbs,
  };
  if (d.shortNames.length) main.shortNames = d.shortNames;
  if (d.categories.length) main.categories = d.categories;
  const subs = d.subresources.map((s): APIResource => {
    const r: APIResource = {
      name: `${d.resource}/${s.name}`,
      singularName: '',
      namespaced: d.namespaced,
      kind: s.kind,
      verbs: s.verbs,
    };
    if (s.group !== undefined) r.group = s.group;
    if (s.version !== undefined) r.version = s.version;
    return r;
  });
  return [main, ...subs];
}

/** Undefined when mkube does not serve the group/version. */
export function apiResourceList(
  group: string,
  version: string,
  catalog: APICatalog = DEFAULT_CATALOG,
): APIResourceList | undefined {
  const defs = catalog.resourcesOf(group, version);
  if (defs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion({ group, version }),
    resources: defs.flatMap(resourceEntries),
  };
}
