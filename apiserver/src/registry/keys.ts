// Where each object lives in the store: /registry/<group>/<resource>/<namespace>/<name>, with the
// group omitted for the core group (as kube-apiserver's etcd layout, e.g. /registry/secrets/ns/name).
import type { ResourceDef } from './catalog.js';

export function resourcePrefix(def: Pick<ResourceDef, 'group' | 'resource'>): string {
  return def.group ? `/registry/${def.group}/${def.resource}/` : `/registry/${def.resource}/`;
}

/** Prefix of a list: all namespaces when `namespace` is empty. */
export function listPrefix(def: Pick<ResourceDef, 'group' | 'resource' | 'namespaced'>, namespace: string): string {
  const base = resourcePrefix(def);
  return def.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectKey(
  def: Pick<ResourceDef, 'group' | 'resource' | 'namespaced'>,
  namespace: string,
  name: string,
): string {
  return def.namespaced ? `${resourcePrefix(def)}${namespace}/${name}` : `${resourcePrefix(def)}${name}`;
}
