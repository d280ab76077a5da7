// The scale target: scaleTargetRef's apiVersion and kind mapped to a resource through discovery (a
// RESTMapper's RESTMappings), then read and written through its /scale subresource (an
// autoscaling/v1 Scale), whatever the resource: Deployments, ReplicaSets, StatefulSets, or any
// extension resource that serves /scale.
import type { APIGroupList, APIResourceList, Scale } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { resourcePath } from '@mkube/shared/client';

export interface ScaleMapping {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** Upstream's deferred discovery RESTMapper forgets what it learnt every 30 seconds. */
export const MAPPER_RESET_MS = 30_000;

/** schema.ParseGroupVersion: "", "v1" (core) or "group/version". */
export function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  throw new Error(`unexpected GroupVersion string: ${apiVersion}`);
}

/** How a group's versions are found, preferred first (the RESTMapper's priority). */
async function groupVersions(client: KubeClient, group: string): Promise<string[]> {
  if (group === '') return ['v1'];
  const list = await client.request<APIGroupList>('GET', '/apis');
  const g = list.groups?.find((x) => x.name === group);
  if (!g) return [];
  const preferred = g.preferredVersion?.version;
  const all = g.versions.map((v) => v.version);
  return preferred ? [preferred, ...all.filter((v) => v !== preferred)] : all;
}

export class ScaleTargets {
  readonly #cache = new Map<string, { at: number; mappings: ScaleMapping[] }>();

  constructor(
    readonly client: KubeClient,
    readonly now: () => number = Date.now,
  ) {}

  /** RESTMappings(group, kind): every served version's resource of that kind; throws NoKindMatchError's message. */
  async mappings(group: string, kind: string): Promise<ScaleMapping[]> {
    const key = `${group}/${kind}`;
    const hit = this.#cache.get(key);
    if (hit && this.now() - hit.at < MAPPER_RESET_MS) return hit.mappings;
    const out: ScaleMapping[] = [];
    for (const version of await groupVersions(this.client, group)) {
      let list: APIResourceList;
      try {
        list = await this.client.request<APIResourceList>('GET', group ? `/apis/${group}/${version}` : '/api/v1');
      } catch {
        // An aggregated version that does not answer is skipped, as discovery leaves it out.
        continue;
      }
      const r = list.resources.find((x) => x.kind === kind && !x.name.includes('/'));
      if (r) out.push({ group, version, resource: r.name });
    }
    if (out.length === 0) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
    this.#cache.set(key, { at: this.now(), mappings: out });
    return out;
  }

  /** The plural resource of a kind (for the custom metrics API's object paths). */
  async resourceFor(group: string, kind: string): Promise<string> {
    return (await this.mappings(group, kind))[0]!.resource;
  }

  #path(m: ScaleMapping, namespace: string, name: string): string {
    return resourcePath({ group: m.group, version: m.version, resource: m.resource, namespace }, name, 'scale');
  }

  /** scaleForResourceMappings: the first mapping that answers; else the first mapping's error. */
  async get(
    namespace: string,
    name: string,
    mappings: readonly ScaleMapping[],
  ): Promise<{ scale: Scale; mapping: ScaleMapping }> {
    let first: unknown;
    for (const [i, m] of mappings.entries()) {
      try {
        return { scale: await this.client.request<Scale>('GET', this.#path(m, namespace, name)), mapping: m };
      } catch (e) {
        if (i === 0) first = e;
      }
    }
    throw first ?? new Error('unrecognized resource');
  }

  update(namespace: string, mapping: ScaleMapping, scale: Scale): Promise<Scale> {
    return this.client.request<Scale>('PUT', this.#path(mapping, namespace, scale.metadata?.name ?? ''), {
      body: scale,
    });
  }
}
