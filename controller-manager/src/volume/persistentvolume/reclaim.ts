// reclaimVolume (pv_controller.go): what a released volume's persistentVolumeReclaimPolicy asks.
// Retain keeps it Released for an administrator; Delete removes its storage through the plugin that
// made it (here only host-path: an external provisioner's volume is left to it) and then the object;
// Recycle is upstream's scrub-by-pod, which mkube cannot run, so such a volume fails.
import type { PersistentVolume, PersistentVolumeClaim } from '@mkube/shared/api';
import {
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_MIGRATED_TO,
  PV_DELETION_IN_TREE_PROTECTION_FINALIZER,
} from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { claimRefKey, hasAnnotation } from '../helpers.js';
import { PVS } from '../resources.js';
import type { BinderContext } from './context.js';
import { updateVolumePhaseWithEvent } from './writes.js';

const pvApi = (ctx: BinderContext) => ctx.client.resource<PersistentVolume>(PVS);

export async function reclaimVolume(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  if (volume.metadata?.annotations?.[ANN_MIGRATED_TO]) return;
  const name = volume.metadata?.name ?? '';
  switch (volume.spec?.persistentVolumeReclaimPolicy) {
    case 'Retain':
      return;
    case 'Recycle':
      ctx.ops.run(`recycle-${name}[${volume.metadata?.uid ?? ''}]`, () => recycleVolumeOperation(ctx, volume));
      return;
    case 'Delete':
      ctx.ops.run(`delete-${name}[${volume.metadata?.uid ?? ''}]`, () => deleteVolumeOperation(ctx, volume));
      return;
    default:
      await updateVolumePhaseWithEvent(
        ctx,
        volume,
        'Failed',
        'Warning',
        'VolumeUnknownReclaimPolicy',
        'Volume has unrecognized PersistentVolumeReclaimPolicy',
      );
  }
}

/**
 * isVolumeReleased: bound (with a UID) to a claim that is gone, or that now names another volume.
 * Read fresh before reclaiming, as the operation may have waited.
 */
function isVolumeReleased(ctx: BinderContext, volume: PersistentVolume): boolean {
  const ref = volume.spec?.claimRef;
  if (!ref?.uid) return false;
  const claim: PersistentVolumeClaim | undefined = ctx.claims.get(claimRefKey(ref));
  if (claim && claim.metadata?.uid === ref.uid) {
    const bound = claim.spec?.volumeName ?? '';
    return bound !== '' && bound !== volume.metadata?.name;
  }
  return true;
}

/**
 * recycleVolumeOperation: upstream scrubs the volume with a recycler pod (host-path and NFS). mkube
 * has no recycler pod template or image, so recycling is not supported: the volume is marked Failed
 * and stays so until an administrator reclaims it.
 */
async function recycleVolumeOperation(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  let fresh: PersistentVolume;
  try {
    fresh = await pvApi(ctx).get(volume.metadata?.name ?? '');
  } catch {
    return;
  }
  if (!isVolumeReleased(ctx, fresh)) return;
  await updateVolumePhaseWithEvent(
    ctx,
    fresh,
    'Failed',
    'Warning',
    'VolumeFailedRecycle',
    'Recycle failed: recycling is not supported by mkube (it runs no recycler pod); delete or reuse the volume manually',
  );
}

/** findDeletablePlugin: 'external' when another component deletes it, else the plugin or why none does. */
function findDeleter(ctx: BinderContext, volume: PersistentVolume): 'external' | 'hostPath' | { error: string } {
  const by = volume.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED];
  if (by) {
    if (by === ctx.hostPath.name) return 'hostPath';
    if (!by.startsWith('kubernetes.io/')) return 'external';
    return { error: `no deletable volume plugin matched name: ${by}` };
  }
  if (hasAnnotation(volume, ANN_MIGRATED_TO) || volume.spec?.csi) return 'external';
  if (ctx.hostPath.canDelete(volume)) return 'hostPath';
  return {
    error: `error getting deleter volume plugin for volume "${volume.metadata?.name}": no deletable volume plugin matched`,
  };
}

/** removeDeletionProtectionFinalizer: the storage is gone, the object may go too. */
async function removeDeletionProtectionFinalizer(ctx: BinderContext, name: string): Promise<void> {
  const fresh = await pvApi(ctx).get(name);
  const finalizers = fresh.metadata.finalizers ?? [];
  if (!finalizers.includes(PV_DELETION_IN_TREE_PROTECTION_FINALIZER)) return;
  fresh.metadata.finalizers = finalizers.filter((f) => f !== PV_DELETION_IN_TREE_PROTECTION_FINALIZER);
  ctx.volumes.update(await pvApi(ctx).update(fresh));
}

async function deleteVolumeOperation(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  const name = volume.metadata?.name ?? '';
  let fresh: PersistentVolume;
  try {
    fresh = await pvApi(ctx).get(name);
  } catch {
    return;
  }
  if (!isVolumeReleased(ctx, fresh)) return;
  const deleter = findDeleter(ctx, fresh);
  if (deleter === 'external') return;
  try {
    if (deleter !== 'hostPath') throw new Error(deleter.error);
    await ctx.hostPath.delete(fresh);
    ctx.log.info({ pv: name }, 'Volume deleted');
    await removeDeletionProtectionFinalizer(ctx, name);
  } catch (e) {
    // Failed, and retried on every sync of the volume.
    await updateVolumePhaseWithEvent(ctx, fresh, 'Failed', 'Warning', 'VolumeFailedDelete', (e as Error).message);
    throw e;
  }
  try {
    await pvApi(ctx).delete(name);
  } catch (e) {
    if (!isNotFound(e)) ctx.log.info({ pv: name, err: (e as Error).message }, 'Failed to delete volume from database');
  }
}
