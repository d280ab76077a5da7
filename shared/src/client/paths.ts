// URL building, the same layout client-go's rest.Request produces: /api/v1 for the core group,
// /apis/<group>/<version> otherwise, then namespaces/<ns>, the resource, the name, the subresource.
import { ClientError } from './errors.js';
import type { KubeObject, Query, ResourceRef } from './types.js';

/** Rejects names that would change the URL's meaning (client-go's IsValidPathSegmentName). */
export function checkSegment(what: string, value: string): string {
  if (value === '') throw new ClientError('EINVAL', `${what} may not be empty`);
  if (value === '.' || value === '..') throw new ClientError('EINVAL', `${what} may not be '${value}'`);
  if (value.includes('/') || value.includes('%')) {
    throw new ClientError('EINVAL', `${what} may not contain '/' or '%': ${JSON.stringify(value)}`);
  }
  return encodeURIComponent(value);
}

export function groupVersionPrefix(group: string, version: string): string {
  const v = checkSegment('version', version);
  return group === '' ? `/api/${v}` : `/apis/${checkSegment('group', group)}/${v}`;
}

/** The path of a collection, an object or an object's subresource. */
export function resourcePath(ref: ResourceRef, name?: string, subresource?: string): string {
  let p = groupVersionPrefix(ref.group, ref.version);
  if (ref.namespace !== undefined && ref.namespace !== '')
    p += `/namespaces/${checkSegment('namespace', ref.namespace)}`;
  p += `/${checkSegment('resource', ref.resource)}`;
  if (name !== undefined) p += `/${checkSegment('resource name', name)}`;
  if (subresource !== undefined) {
    if (name === undefined) throw new ClientError('EINVAL', 'a subresource needs a resource name');
    p += `/${checkSegment('subresource', subresource)}`;
  }
  return p;
}

/** `?a=1&b=x` (empty string when nothing is set); booleans as true/false, arrays repeat the key. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The informer cache key: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}
