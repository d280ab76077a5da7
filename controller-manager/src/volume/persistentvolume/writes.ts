// The binder's writes (pv_controller.go bind, unbindVolume, updateClaimStatus, updateVolumePhase):
// each saves only what changed and records the result in the binder's cache, so that the next sync
// does not act on the informer's older copy. A bind saves the volume first (its claimRef, then its
// phase), then the claim (volumeName and annotations, then its status): a crash between the steps
// leaves a state the next sync of either object completes.
import type {
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimPhase,
  PersistentVolumePhase,
} from '@mkube/shared/api';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER } from '@mkube/shared/api';
import { isVolumeBoundToClaim, storageOf, volumeCapacity } from '@mkube/shared/volume';
import { claimReference, hasAnnotation } from '../helpers.js';
import { PVCS, PVS } from '../resources.js';
import type { BinderContext } from './context.js';

const pvApi = (ctx: BinderContext) => ctx.client.resource<PersistentVolume>(PVS);
const pvcApi = (ctx: BinderContext, ns: string) =>
  ctx.client.resource<PersistentVolumeClaim>({ ...PVCS, namespace: ns });

const sameModes = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** updateClaimStatus: the phase, and the volume's access modes and (when becoming Bound) capacity. */
export async function updateClaimStatus(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  phase: PersistentVolumeClaimPhase,
  volume: PersistentVolume | undefined,
): Promise<PersistentVolumeClaim> {
  const clone = structuredClone(claim);
  clone.status ??= {};
  let dirty = false;
  if (claim.status?.phase !== phase) {
    clone.status.phase = phase;
    dirty = true;
  }
  if (!volume) {
    if (claim.status?.accessModes !== undefined) {
      delete clone.status.accessModes;
      dirty = true;
    }
    if (claim.status?.capacity !== undefined) {
      delete clone.status.capacity;
      dirty = true;
    }
  } else {
    if (!sameModes(claim.status?.accessModes, volume.spec?.accessModes)) {
      if (volume.spec?.accessModes) clone.status.accessModes = [...volume.spec.accessModes];
      else delete clone.status.accessModes;
      dirty = true;
    }
    // Only when becoming Bound: a differing size later may be a resize in progress, not ours to undo.
    if (claim.status?.phase !== phase) {
      if (volume.spec?.capacity?.storage === undefined)
        throw new Error(`PersistentVolume "${volume.metadata?.name}" is without a storage capacity`);
      const had = claim.status?.capacity?.storage;
      if (had === undefined || volumeCapacity(volume).compare(storageOf(claim.status?.capacity)) !== 0) {
        clone.status.capacity = { ...volume.spec.capacity };
        dirty = true;
      }
    }
  }
  if (!dirty) return claim;
  const saved = await pvcApi(ctx, claim.metadata?.namespace ?? '').updateSubresource(
    claim.metadata?.name ?? '',
    'status',
    clone,
  );
  ctx.claims.update(saved);
  ctx.log.info({ pvc: `${claim.metadata?.namespace}/${claim.metadata?.name}`, phase }, 'Claim entered phase');
  return saved;
}

/** updateClaimStatusWithEvent: the event only when the phase actually changes. */
export async function updateClaimStatusWithEvent(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  phase: PersistentVolumeClaimPhase,
  volume: PersistentVolume | undefined,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<PersistentVolumeClaim> {
  if (claim.status?.phase === phase) return claim;
  const saved = await updateClaimStatus(ctx, claim, phase, volume);
  ctx.recorder.event(saved, type, reason, message);
  return saved;
}

export async function updateVolumePhase(
  ctx: BinderContext,
  volume: PersistentVolume,
  phase: PersistentVolumePhase,
  message: string,
): Promise<PersistentVolume> {
  if (volume.status?.phase === phase) return volume;
  const clone = structuredClone(volume);
  clone.status = { ...clone.status, phase, message };
  if (!message) delete clone.status.message;
  const saved = await pvApi(ctx).updateSubresource(volume.metadata?.name ?? '', 'status', clone);
  ctx.volumes.update(saved);
  ctx.log.info({ pv: volume.metadata?.name, phase }, 'Volume entered phase');
  return saved;
}

export async function updateVolumePhaseWithEvent(
  ctx: BinderContext,
  volume: PersistentVolume,
  phase: PersistentVolumePhase,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<PersistentVolume> {
  if (volume.status?.phase === phase) return volume;
  const saved = await updateVolumePhase(ctx, volume, phase, message);
  ctx.recorder.event(saved, type, reason, message);
  return saved;
}

/** GetBindVolumeToClaim: claimRef to the claim, marked bound-by-controller unless it was pre-bound. */
export function volumeBoundTo(volume: PersistentVolume, claim: PersistentVolumeClaim): PersistentVolume | undefined {
  const clone = structuredClone(volume);
  clone.spec ??= {};
  let dirty = false;
  const ref = volume.spec?.claimRef;
  if (
    !ref ||
    ref.name !== claim.metadata?.name ||
    ref.namespace !== claim.metadata?.namespace ||
    ref.uid !== claim.metadata?.uid
  ) {
    clone.spec.claimRef = claimReference(claim);
    dirty = true;
  }
  if (!isVolumeBoundToClaim(volume, claim) && !hasAnnotation(clone, ANN_BOUND_BY_CONTROLLER)) {
    clone.metadata.annotations = { ...clone.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' };
    dirty = true;
  }
  return dirty ? clone : undefined;
}

async function bindVolumeToClaim(
  ctx: BinderContext,
  volume: PersistentVolume,
  claim: PersistentVolumeClaim,
): Promise<PersistentVolume> {
  const clone = volumeBoundTo(volume, claim);
  if (!clone) return volume;
  const saved = await pvApi(ctx).update(clone);
  ctx.volumes.update(saved);
  ctx.log.info(
    { pvc: `${claim.metadata?.namespace}/${claim.metadata?.name}`, pv: volume.metadata?.name },
    'Claim bound to volume',
  );
  return saved;
}

async function bindClaimToVolume(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  volume: PersistentVolume,
): Promise<PersistentVolumeClaim> {
  const clone = structuredClone(claim);
  clone.spec ??= {};
  const annotations = { ...clone.metadata.annotations };
  let dirty = false;
  if (claim.spec?.volumeName !== volume.metadata?.name) {
    clone.spec.volumeName = volume.metadata?.name;
    annotations[ANN_BOUND_BY_CONTROLLER] ??= 'yes';
    dirty = true;
  }
  if (annotations[ANN_BIND_COMPLETED] === undefined) {
    annotations[ANN_BIND_COMPLETED] = 'yes';
    dirty = true;
  }
  if (!dirty) return claim;
  clone.metadata.annotations = annotations;
  const saved = await pvcApi(ctx, claim.metadata?.namespace ?? '').update(clone);
  ctx.claims.update(saved);
  return saved;
}

/** bind: both objects pointing at each other and both Bound; stops at the first failed write. */
export async function bind(ctx: BinderContext, volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
  let v = await bindVolumeToClaim(ctx, volume, claim);
  v = await updateVolumePhase(ctx, v, 'Bound', '');
  const c = await bindClaimToVolume(ctx, claim, v);
  await updateClaimStatus(ctx, c, 'Bound', v);
}

/**
 * unbindVolume: a binding the controller made is undone whole; one a user pre-bound keeps its
 * claimRef without the UID, reserved for that claim again. Then the volume is Available.
 */
export async function unbindVolume(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  const clone = structuredClone(volume);
  clone.spec ??= {};
  if (hasAnnotation(volume, ANN_BOUND_BY_CONTROLLER)) {
    delete clone.spec.claimRef;
    const { [ANN_BOUND_BY_CONTROLLER]: _, ...rest } = clone.metadata.annotations ?? {};
    if (Object.keys(rest).length === 0) delete clone.metadata.annotations;
    else clone.metadata.annotations = rest;
  } else if (clone.spec.claimRef) {
    delete clone.spec.claimRef.uid;
  }
  const saved = await pvApi(ctx).update(clone);
  ctx.volumes.update(saved);
  await updateVolumePhase(ctx, saved, 'Available', '');
}
