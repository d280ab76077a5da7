// The legacy (meta/v1) discovery documents, built from the catalog: /api, /apis, /apis/<g>, and
// the APIResourceList of /api/v1 and /apis/<g>/<v>.
import type { APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions } from '@mkube/shared/api';
import { apiGroups, groupVersion, RESOURCES, type ResourceDef } from '../registry/catalog.js';

export function apiVersions(serverAddress: string): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroup(group: string): APIGroup | undefined {
  const g = apiGroups().find((x) => x.group === group);
  if (!g) return undefined;
  const v = { groupVersion: `${g.group}/${g.version}`, version: g.version };
  return { name: g.group, versions: [v], preferredVersion: v };
}

export function apiGroupList(): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups().map((g) => apiGroup(g.group)!),
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
export function apiResourceList(group: string, version: string): APIResourceList | undefined {
  const defs = RESOURCES.filter((d) => d.group === group && d.version === version);
  if (defs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion({ group, version }),
    resources: defs.flatMap(resourceEntries),
  };
}
