// ServerPreferredResources, as the namespace controller and the garbage collector read it: the core
// group's v1 and every other group's preferred version, each with its resource list.
import type { APIGroupList, APIResourceList } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';

export interface GroupResources {
  readonly group: string;
  readonly version: string;
  readonly list: APIResourceList;
}

/**
 * Every group's preferred version's resources. A group that does not answer (an aggregated API
 * down) goes to `onGroupError`, which either throws (the whole discovery fails) or returns (the group
 * is left out).
 */
export async function preferredResources(
  client: KubeClient,
  onGroupError: (groupVersion: string, err: Error) => void,
): Promise<GroupResources[]> {
  const out: GroupResources[] = [
    { group: '', version: 'v1', list: await client.request<APIResourceList>('GET', '/api/v1') },
  ];
  for (const g of (await client.request<APIGroupList>('GET', '/apis')).groups ?? []) {
    const v = g.preferredVersion ?? g.versions[0];
    if (!v) continue;
    try {
      out.push({
        group: g.name,
        version: v.version,
        list: await client.request<APIResourceList>('GET', `/apis/${v.groupVersion}`),
      });
    } catch (e) {
      onGroupError(v.groupVersion, e as Error);
    }
  }
  return out;
}
