// What a DELETE does to an object that may not go at once (k8s.io/apiserver pkg/registry/rest
// delete.go BeforeDelete, and registry/generic/registry store.go's finalizer handling): a kind with
// graceful deletion (pods) is first marked with deletionTimestamp = now + grace and
// deletionGracePeriodSeconds; an object with finalizers is marked with grace 0 and stays until an
// update empties them; a second DELETE may only shorten a pending grace period.
import type { DeleteOptions, KubeObject } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';

export type DeletionPlan =
  /** Remove it from the store now. */
  | { readonly kind: 'now' }
  /** A deletion is already under way and this request changes nothing: answer with the object. */
  | { readonly kind: 'pending' }
  /** Write the object marked for deletion (then remove it too when `thenNow`: grace 0, no finalizers). */
  | { readonly kind: 'mark'; readonly object: KubeObject; readonly thenNow: boolean };

/** RESTGracefulDeleteStrategy.CheckGracefulDelete: the grace period in seconds, or undefined when the kind has none. */
export type GracefulDelete = (obj: KubeObject, requestedSeconds: number | undefined) => number | undefined;

const hasFinalizers = (o: KubeObject) => (o.metadata.finalizers?.length ?? 0) > 0;

function marked(
  current: KubeObject,
  deletionTimestamp: Date,
  graceSeconds: number,
  bumpGeneration: boolean,
): KubeObject {
  const metadata = {
    ...current.metadata,
    deletionTimestamp: metaTime(deletionTimestamp),
    deletionGracePeriodSeconds: graceSeconds,
  };
  // Graceful deletion is a change the object's controllers must see (BeforeDelete, markAsDeleting).
  if (bumpGeneration && (metadata.generation ?? 0) > 0) metadata.generation = (metadata.generation ?? 0) + 1;
  return { ...current, metadata };
}

export function planDeletion(
  current: KubeObject,
  options: DeleteOptions | undefined,
  graceful: GracefulDelete | undefined,
  now: Date,
): DeletionPlan {
  const m = current.metadata;
  // Negative values are taken as 1 s on the delete path.
  let requested = options?.gracePeriodSeconds;
  if (requested !== undefined && requested !== null && requested < 0) requested = 1;
  if (requested === null) requested = undefined;

  if (m.deletionTimestamp) {
    const pending = m.deletionGracePeriodSeconds ?? 0;
    // Marked with no grace (finalizers, or an update that got through before the delete failed).
    if (pending <= 0) return hasFinalizers(current) ? { kind: 'pending' } : { kind: 'now' };
    // Only a shorter grace period may be asked for; the deadline moves back by the difference.
    if (requested === undefined || requested >= pending) return { kind: 'pending' };
    const deadline = new Date(Date.parse(m.deletionTimestamp) - (pending - requested) * 1000);
    return {
      kind: 'mark',
      object: marked(current, deadline, requested, false),
      thenNow: requested === 0 && !hasFinalizers(current),
    };
  }

  const grace = graceful?.(current, requested);
  if (grace !== undefined && grace > 0) {
    return {
      kind: 'mark',
      object: marked(current, new Date(now.getTime() + grace * 1000), grace, true),
      thenNow: false,
    };
  }
  // markAsDeleting: finalizers hold the object, marked now with no grace.
  if (hasFinalizers(current)) return { kind: 'mark', object: marked(current, now, 0, true), thenNow: false };
  return { kind: 'now' };
}

/**
 * ShouldDeleteDuringUpdate: an update that leaves no finalizers on an object marked for deletion
 * with no grace period left deletes it.
 */
export function shouldDeleteDuringUpdate(updated: KubeObject, existing: KubeObject): boolean {
  if (hasFinalizers(updated)) return false;
  if (!existing.metadata.deletionTimestamp) return false;
  return (existing.metadata.deletionGracePeriodSeconds ?? 0) === 0;
}
