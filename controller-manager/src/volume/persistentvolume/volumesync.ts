// syncVolume (pv_controller.go): an unclaimed or merely reserved volume is Available; one whose
// claim is gone (or was replaced under the same name) is Released and reclaimed; one whose claim
// has not finished binding hands the work to the claim's sync; a binding the claim went elsewhere
// from is undone, or, for a volume provisioned for that claim with Delete, reclaimed.
import type { PersistentVolume, PersistentVolumeClaim } from '@mkube/shared/api';
import {
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  PV_DELETION_IN_TREE_PROTECTION_FINALIZER,
} from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { volumeModeMismatch } from '@mkube/shared/volume';
import { claimRefKey, hasAnnotation } from '../helpers.js';
import { PVCS, PVS } from '../resources.js';
import type { BinderContext } from './context.js';
import { reclaimVolume } from './reclaim.js';
import { unbindVolume, updateVolumePhase } from './writes.js';

/** external-provisioner's finalizer, which an in-tree volume must not carry. */
const EXTERNAL_DELETION_PROTECTION_FINALIZER = 'external-provisioner.volume.kubernetes.io/finalizer';
const MIGRATED_IN_TREE =
  /^kubernetes\.io\/(aws-ebs|gce-pd|azure-disk|azure-file|cinder|vsphere-volume|portworx-volume)$/;

/**
 * modifyDeletionFinalizers (HonorPVReclaimPolicy): an in-tree provisioned volume carries
 * kubernetes.io/pv-controller exactly while its policy is Delete.
 */
function wantedFinalizers(volume: PersistentVolume): string[] | undefined {
  const provisioner = volume.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED];
  if (!provisioner) return undefined;
  const have = volume.metadata?.finalizers ?? [];
  let out = [...have];
  if (MIGRATED_IN_TREE.test(provisioner)) {
    out = out.filter((f) => f !== PV_DELETION_IN_TREE_PROTECTION_FINALIZER);
  } else {
    if (!provisioner.startsWith('kubernetes.io/')) return undefined;
    const policy = volume.spec?.persistentVolumeReclaimPolicy;
    if (policy === 'Delete' && !out.includes(PV_DELETION_IN_TREE_PROTECTION_FINALIZER)) {
      // No finalizer may be added once deletion started.
      if (!volume.metadata?.deletionTimestamp) out.push(PV_DELETION_IN_TREE_PROTECTION_FINALIZER);
    } else if (policy === 'Retain' || policy === 'Recycle') {
      out = out.filter((f) => f !== PV_DELETION_IN_TREE_PROTECTION_FINALIZER);
    }
    out = out.filter((f) => f !== EXTERNAL_DELETION_PROTECTION_FINALIZER);
  }
  return out.length === have.length && out.every((f, i) => f === have[i]) ? undefined : out;
}

async function fixFinalizers(ctx: BinderContext, volume: PersistentVolume): Promise<PersistentVolume> {
  const finalizers = wantedFinalizers(volume);
  if (!finalizers) return volume;
  const clone = structuredClone(volume);
  clone.metadata.finalizers = finalizers;
  const saved = await ctx.client.resource<PersistentVolume>(PVS).update(clone);
  ctx.volumes.update(saved);
  return saved;
}

/**
 * The volume's claim as the binder may trust it: a claim missing from the caches is looked up in
 * the apiserver before the volume is released (it may be one a provisioner or the scheduler just
 * wrote), and one with another UID is re-read, as the cache may be the stale one.
 */
async function claimOf(ctx: BinderContext, volume: PersistentVolume): Promise<PersistentVolumeClaim | undefined> {
  const ref = volume.spec?.claimRef;
  if (!ref) return undefined;
  const api = ctx.client.resource<PersistentVolumeClaim>({ ...PVCS, namespace: ref.namespace ?? '' });
  const live = async () => {
    try {
      return await api.get(ref.name ?? '');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  let claim = ctx.claims.get(claimRefKey(ref));
  if (!claim && volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') claim = await live();
  if (claim && claim.metadata?.uid !== ref.uid) {
    claim = await live();
    if (claim && claim.metadata?.uid !== ref.uid) claim = undefined;
  }
  return claim;
}

export async function syncVolume(ctx: BinderContext, original: PersistentVolume): Promise<void> {
  let volume = await fixFinalizers(ctx, original);
  const ref = volume.spec?.claimRef;
  // Unused, or reserved for a claim that has not been bound to it yet (the claim's sync binds it).
  if (!ref?.uid) {
    await updateVolumePhase(ctx, volume, 'Available', '');
    return;
  }
  const claim = await claimOf(ctx, volume);
  if (!claim) {
    // Released stays Released, and Failed stays Failed for the user to see, while reclaiming is retried.
    if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') {
      ctx.log.info(
        { pv: volume.metadata?.name, reclaimPolicy: volume.spec?.persistentVolumeReclaimPolicy },
        'Volume is released and reclaim policy will be executed',
      );
      volume = await updateVolumePhase(ctx, volume, 'Released', '');
    }
    await reclaimVolume(ctx, volume);
    return;
  }
  const bound = claim.spec?.volumeName ?? '';
  if (bound === '') {
    if (volumeModeMismatch(claim, volume)) {
      ctx.recorder.event(
        volume,
        'Warning',
        'VolumeMismatch',
        `Cannot bind PersistentVolume to requested PersistentVolumeClaim "${claim.metadata?.name}" due to incompatible volumeMode.`,
      );
      ctx.recorder.event(
        claim,
        'Warning',
        'VolumeMismatch',
        `Cannot bind PersistentVolume "${volume.metadata?.name}" to requested PersistentVolumeClaim due to incompatible volumeMode.`,
      );
      return;
    }
    // Bound (by the binder, the scheduler or a provisioner) but the claim not yet: the claim's sync finishes it.
    ctx.claimQueue.add(claimRefKey(ref));
    return;
  }
  if (bound === volume.metadata?.name) {
    await updateVolumePhase(ctx, volume, 'Bound', '');
    return;
  }
  // The claim went to another volume.
  if (hasAnnotation(volume, ANN_DYNAMICALLY_PROVISIONED) && volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
    // Provisioned for it and not needed any more.
    if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed')
      volume = await updateVolumePhase(ctx, volume, 'Released', '');
    await reclaimVolume(ctx, volume);
    return;
  }
  // Ours: undo it whole. A user's: keep the reservation, drop the UID (unbindVolume tells them apart).
  ctx.log.debug(
    { pv: volume.metadata?.name, byController: hasAnnotation(volume, ANN_BOUND_BY_CONTROLLER) },
    'volume is bound to a claim that is bound to another volume, unbinding',
  );
  await unbindVolume(ctx, volume);
}
