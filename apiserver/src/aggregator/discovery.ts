// Discovery for remote APIServices. The legacy documents come from the APIServices alone (/apis
// lists every group, /apis/<g> its versions, as kube-aggregator's apisHandler and apiGroupHandler);
// the aggregated document (/apis as apidiscovery.k8s.io/v2) also needs each version's resources, which
// are fetched from the server through the verified proxy transport and kept until the next fetch:
// a failed fetch marks the version Stale, one never fetched leaves it out, as upstream's discovery
// manager does.
import type {
  APIGroup,
  APIGroupDiscovery,
  APIResource,
  APIResourceDiscovery,
  APIResourceList,
  APIService,
  APIVersionDiscovery,
} from '@mkube/shared/api';

export interface FetchedResources {
  readonly list: APIResourceList;
  readonly stale: boolean;
}

const gvOf = (s: APIService) => `${s.spec.group ?? ''}/${s.spec.version ?? ''}`;

/** A version's GroupVersionForDiscovery entry. */
function groupVersion(s: APIService) {
  return { groupVersion: gvOf(s), version: s.spec.version ?? '' };
}

/** convertToDiscoveryAPIGroup: the group's versions in priority order, the first preferred. */
export function discoveryGroup(sorted: readonly APIService[]): APIGroup {
  const versions = sorted.map(groupVersion);
  return { name: sorted[0]!.spec.group ?? '', versions, preferredVersion: versions[0]! };
}

/** An APIResourceList (legacy discovery) as aggregated discovery's resources, subresources folded in. */
export function toResourceDiscovery(list: APIResourceList, group: string, version: string): APIResourceDiscovery[] {
  const main = new Map<string, APIResourceDiscovery>();
  const subs: APIResource[] = [];
  for (const r of list.resources ?? []) {
    if (typeof r?.name !== 'string') continue;
    if (r.name.includes('/')) {
      subs.push(r);
      continue;
    }
    const d: APIResourceDiscovery = {
      resource: r.name,
      responseKind: { group: r.group ?? group, version: r.version ?? version, kind: r.kind },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singularName || r.kind?.toLowerCase() || '',
      verbs: Array.isArray(r.verbs) ? r.verbs : [],
    };
    if (r.shortNames?.length) d.shortNames = r.shortNames;
    if (r.categories?.length) d.categories = r.categories;
    main.set(r.name, d);
  }
  for (const r of subs) {
    const [parent, sub] = r.name.split('/', 2) as [string, string];
    const d = main.get(parent);
    if (!d) continue;
    d.subresources ??= [];
    d.subresources.push({
      subresource: sub,
      responseKind: { group: r.group ?? group, version: r.version ?? version, kind: r.kind },
      verbs: Array.isArray(r.verbs) ? r.verbs : [],
    });
  }
  return [...main.values()];
}

/** The aggregated entry of a remote group: the versions whose resources were ever fetched. */
export function aggregatedGroup(
  sorted: readonly APIService[],
  fetched: (s: APIService) => FetchedResources | undefined,
): APIGroupDiscovery | undefined {
  const versions: APIVersionDiscovery[] = [];
  for (const s of sorted) {
    const f = fetched(s);
    if (!f) continue;
    const group = s.spec.group ?? '';
    const version = s.spec.version ?? '';
    versions.push({
      version,
      resources: toResourceDiscovery(f.list, group, version),
      freshness: f.stale ? 'Stale' : 'Current',
    });
  }
  return versions.length ? { metadata: { name: sorted[0]!.spec.group ?? '' }, versions } : undefined;
}

/** A body that is an APIResourceList, or undefined. */
export function parseResourceList(text: string): APIResourceList | undefined {
  try {
    const v = JSON.parse(text) as Partial<APIResourceList>;
    if (v && typeof v === 'object' && Array.isArray(v.resources)) return v as APIResourceList;
  } catch {
    // not JSON
  }
  return undefined;
}
