// ControllerRefManager (k8s pkg/controller/controller_ref_manager.go): which objects a controller
// owns. It adopts orphans its selector matches and releases the ones it owns that no longer match,
// both by a strategic-merge patch of ownerReferences carrying the object's uid, so a patch that raced
// a delete and re-create of the same name fails instead of touching the newcomer.
import type { KubeObject, OwnerReference } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, PatchType, type ResourceRef } from '@mkube/shared/client';
import type { LabelsSelector } from '@mkube/shared/selectors';

export const controllerOf = (o: KubeObject): OwnerReference | undefined =>
  o.metadata.ownerReferences?.find((r) => r.controller === true);

export interface ClaimOptions {
  readonly client: KubeClient;
  /** The claimed objects' resource, in the controller's namespace. */
  readonly ref: ResourceRef;
  readonly controller: KubeObject;
  readonly ownerRef: OwnerReference;
  readonly selector: LabelsSelector;
  /**
   * RecheckDeletionTimestamp: asked once before the first adoption; adopting for a controller that
   * is being deleted (or was re-created under the same name) would orphan the objects again.
   */
  readonly canAdopt: () => Promise<void>;
}

/** ClaimObject over `objects`: the ones the controller owns after adopting and releasing. */
export async function claimObjects<T extends KubeObject>(objects: readonly T[], o: ClaimOptions): Promise<T[]> {
  const uid = o.controller.metadata.uid;
  const deleting = o.controller.metadata.deletionTimestamp !== undefined;
  const api = o.client.resource<T>(o.ref);
  let adoptable: Promise<void> | undefined;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  for (const obj of objects) {
    const owner = controllerOf(obj);
    const matches = o.selector.matches(obj.metadata.labels ?? {});
    const name = obj.metadata.name ?? '';
    try {
      if (owner) {
        if (owner.uid !== uid) continue;
        if (matches) {
          claimed.push(obj);
          continue;
        }
        if (deleting) continue;
        const release = { metadata: { ownerReferences: [{ $patch: 'delete', uid }], uid: obj.metadata.uid } };
        await api.patch(name, PatchType.StrategicMerge, release);
        continue;
      }
      if (deleting || !matches || obj.metadata.deletionTimestamp) continue;
      if (o.controller.metadata.namespace && o.controller.metadata.namespace !== obj.metadata.namespace) continue;
      adoptable ??= o.canAdopt();
      await adoptable;
      const adopt = { metadata: { ownerReferences: [o.ownerRef], uid: obj.metadata.uid } };
      claimed.push(await api.patch(name, PatchType.StrategicMerge, adopt));
    } catch (e) {
      // Gone meanwhile: neither ours nor an error.
      if (!isNotFound(e)) errors.push(e);
    }
  }
  if (errors.length > 0) throw errors[0];
  return claimed;
}

/** RecheckDeletionTimestamp with a fresh read of the controller (uncached, as upstream's quorum read). */
export function recheckDeletion(client: KubeClient, ref: ResourceRef, controller: KubeObject, kind: string) {
  return async (): Promise<void> => {
    const { namespace = '', name = '', uid } = controller.metadata;
    let fresh: KubeObject;
    try {
      fresh = await client.resource<KubeObject>({ ...ref, namespace }).get(name);
    } catch (e) {
      throw new Error(`can't recheck DeletionTimestamp: ${(e as Error).message}`);
    }
    if (fresh.metadata.uid !== uid) {
      throw new Error(
        `can't recheck DeletionTimestamp: original ${kind} ${namespace}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`,
      );
    }
    if (fresh.metadata.deletionTimestamp) {
      throw new Error(`${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }
  };
}
