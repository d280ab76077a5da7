// syncClaim (pv_controller.go): an unbound claim (no bind-completed annotation) is bound to the
// volume it names or the best match, provisioned for, or left Pending with an event saying why; a
// bound one is kept bound, or marked Lost when its volume is gone or taken by another claim.
import type { PersistentVolume, PersistentVolumeClaim } from '@mkube/shared/api';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER } from '@mkube/shared/api';
import { isInvalid } from '@mkube/shared/apierrors';
import {
  claimClass,
  claimHasClass,
  defaultStorageClass,
  isDelayBindingMode,
  isDelayBindingProvisioning,
  isVolumeBoundToClaim,
} from '@mkube/shared/volume';
import { checkVolumeSatisfyClaim, claimKey, hasAnnotation } from '../helpers.js';
import { isPodTerminated, podReferencesClaim } from '../podvolumes.js';
import { PVCS } from '../resources.js';
import type { BinderContext } from './context.js';
import { findBestMatchForClaim } from './match.js';
import { provisionClaim } from './provision.js';
import { bind, updateClaimStatus, updateClaimStatusWithEvent } from './writes.js';

export async function syncClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  if (!hasAnnotation(claim, ANN_BIND_COMPLETED)) await syncUnboundClaim(ctx, claim);
  else await syncBoundClaim(ctx, claim);
}

/** emitEventForUnboundDelayBindingClaim: who the claim waits for. */
function emitWaitingEvent(ctx: BinderContext, claim: PersistentVolumeClaim): void {
  const ns = claim.metadata?.namespace ?? '';
  const name = claim.metadata?.name ?? '';
  const unscheduled = ctx.pods
    .list()
    .filter((p) => podReferencesClaim(p, ns, name) && !isPodTerminated(p) && !p.spec?.nodeName)
    .map((p) => p.metadata?.name ?? '');
  if (unscheduled.length === 0) {
    ctx.recorder.event(
      claim,
      'Normal',
      'WaitForFirstConsumer',
      'waiting for first consumer to be created before binding',
    );
  } else {
    const message =
      unscheduled.length > 1
        ? `waiting for pods ${unscheduled.join(',')} to be scheduled`
        : `waiting for pod ${unscheduled[0]} to be scheduled`;
    ctx.recorder.event(claim, 'Normal', 'WaitForPodScheduled', message);
  }
}

/**
 * assignDefaultStorageClass (RetroactiveDefaultStorageClass, GA): a claim that names no class at
 * all gets the default one once it exists; true if the claim was updated (its update event brings
 * it back).
 */
async function assignDefaultStorageClass(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<boolean> {
  if (claimHasClass(claim)) return false;
  const cls = defaultStorageClass(ctx.classes.list());
  if (!cls) return false;
  const clone = structuredClone(claim);
  clone.spec = { ...clone.spec, storageClassName: cls.metadata?.name ?? '' };
  try {
    const saved = await ctx.client
      .resource<PersistentVolumeClaim>({ ...PVCS, namespace: claim.metadata?.namespace ?? '' })
      .update(clone);
    ctx.claims.update(saved);
  } catch (e) {
    // An apiserver whose validation does not allow setting the class later keeps the claim classless.
    if (isInvalid(e)) {
      ctx.log.debug({ pvc: claimKey(claim), err: (e as Error).message }, 'cannot assign the default StorageClass');
      return false;
    }
    throw new Error(`can't update PersistentVolumeClaim["${claimKey(claim)}"]: ${(e as Error).message}`);
  }
  ctx.log.info({ pvc: claimKey(claim), storageClassName: cls.metadata?.name }, 'Assigned default StorageClass');
  return true;
}

async function syncUnboundClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  const wanted = claim.spec?.volumeName ?? '';
  if (wanted === '') {
    const delayBinding = isDelayBindingMode(claim, (name) => ctx.classes.get(name));
    const volume = findBestMatchForClaim(claim, ctx.volumes.list(), delayBinding);
    if (volume) {
      await bind(ctx, volume, claim);
      return;
    }
    if (await assignDefaultStorageClass(ctx, claim)) return;
    if (delayBinding && !isDelayBindingProvisioning(claim)) {
      emitWaitingEvent(ctx, claim);
    } else if (claimClass(claim) !== '') {
      // Provisioning runs beside the queue; the volume it makes brings the claim back to bind.
      await provisionClaim(ctx, claim);
      return;
    } else {
      ctx.recorder.event(
        claim,
        'Normal',
        'FailedBinding',
        'no persistent volumes available for this claim and no storage class is set',
      );
    }
    await updateClaimStatus(ctx, claim, 'Pending', undefined);
    return;
  }
  // The user asked for a specific volume.
  const volume = ctx.volumes.get(wanted);
  if (!volume) {
    await updateClaimStatus(ctx, claim, 'Pending', undefined);
    return;
  }
  if (!volume.spec?.claimRef) {
    const why = checkVolumeSatisfyClaim(volume, claim);
    if (why) {
      ctx.recorder.event(claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${wanted}": ${why}`);
      await updateClaimStatus(ctx, claim, 'Pending', undefined);
    } else {
      await bind(ctx, volume, claim);
    }
    return;
  }
  if (isVolumeBoundToClaim(volume, claim)) {
    await bind(ctx, volume, claim);
    return;
  }
  ctx.recorder.event(claim, 'Warning', 'FailedBinding', `volume "${wanted}" already bound to a different claim.`);
  if (!hasAnnotation(claim, ANN_BOUND_BY_CONTROLLER)) {
    await updateClaimStatus(ctx, claim, 'Pending', undefined);
    return;
  }
  // Only if someone removed the bind-completed annotation from a claim the controller bound.
  const ref = volume.spec.claimRef;
  throw new Error(
    `invalid binding of claim "${claimKey(claim)}" to volume "${wanted}": volume already claimed by "${ref.namespace}/${ref.name}"`,
  );
}

async function syncBoundClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  const name = claim.spec?.volumeName ?? '';
  if (name === '') {
    await updateClaimStatusWithEvent(
      ctx,
      claim,
      'Lost',
      undefined,
      'Warning',
      'ClaimLost',
      'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!',
    );
    return;
  }
  const volume: PersistentVolume | undefined = ctx.volumes.get(name);
  if (!volume) {
    await updateClaimStatusWithEvent(
      ctx,
      claim,
      'Lost',
      undefined,
      'Warning',
      'ClaimLost',
      'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
    );
    return;
  }
  const ref = volume.spec?.claimRef;
  // Unbound (or our write of it not seen yet), or bound to this claim: bind again, a no-op when all is set.
  if (!ref || ref.uid === claim.metadata?.uid) {
    await bind(ctx, volume, claim);
    return;
  }
  await updateClaimStatusWithEvent(
    ctx,
    claim,
    'Lost',
    undefined,
    'Warning',
    'ClaimMisbound',
    'Two claims are bound to the same volume, this one is bound incorrectly',
  );
}
