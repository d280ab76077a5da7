// metav1.GetControllerOf / NewControllerRef / IsControlledBy: the one ownerReference with
// controller=true says which workload manages an object; everything else about ownership is the
// garbage collector's business.
import type { KubeObject, OwnerReference } from '../api/index.js';

/** The kind a controller writes into its dependents' controller reference (GroupVersionKind). */
export interface ControllerKind {
  readonly apiVersion: string;
  readonly kind: string;
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef: controller and blockOwnerDeletion both true, as upstream's controllers set them. */
export function newControllerRef(owner: KubeObject, kind: ControllerKind): OwnerReference {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

/**
 * resolveControllerRef: the object of `kind` a controller reference names, from a cache keyed
 * `namespace/name`, if it is the same incarnation (uid) — a deleted and recreated owner is not it.
 */
export function resolveControllerRef<T extends KubeObject>(
  namespace: string,
  ref: OwnerReference,
  kind: string,
  get: (key: string) => T | undefined,
): T | undefined {
  if (ref.kind !== kind) return undefined;
  const owner = get(`${namespace}/${ref.name}`);
  return owner?.metadata?.uid === ref.uid ? owner : undefined;
}
