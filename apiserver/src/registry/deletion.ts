// What a DELETE does to an object that may not go at once (k8s.io/apiserver pkg/registry/rest
// delete.go BeforeDelete, and registry/generic/registry store.go's finalizer handling): a kind with
// graceful deletion (pods) is first marked with deletionTimestamp = now + grace and
// deletionGracePeriodSeconds; an object with finalizers is marked with grace 0 and stays until an
// update empties them; a second DELETE may only shorten a pending grace period. The propagation
// policy becomes a finalizer for the garbage collector (deletionFinalizersForGarbageCollection):
// Orphan adds `orphan`, Foreground `foregroundDeletion`; Background (the default) deletes now and
// leaves the dependents to the collector.
import type { DeleteOptions, KubeObject } from '@mkube/shared/api';
import { FINALIZER_DELETE_DEPENDENTS, FINALIZER_ORPHAN_DEPENDENTS, metaTime } from '@mkube/shared/api';

export type DeletionPlan =
  /** Remove it from the store now. */
  | { readonly kind: 'now' }
  /** A deletion is already under way and this request changes nothing: answer with the object. */
  | { readonly kind: 'pending' }
  /** Write the object marked for deletion (then remove it too when `thenNow`: grace 0, no finalizers). */
  | { readonly kind: 'mark'; readonly object: KubeObject; readonly thenNow: boolean };

/** RESTGracefulDeleteStrategy.CheckGracefulDelete: the grace period in seconds, or undefined when the kind has none. */
export type GracefulDelete = (obj: KubeObject, requestedSeconds: number | undefined) => number | undefined;

/** What a kind's strategy says about deleting its objects. */
export interface DeleteStrategy {
  readonly checkGracefulDelete?: GracefulDelete;
  /** What besides metadata.finalizers holds an object (a namespace's spec.finalizers). */
  readonly holdsDeletion?: (obj: KubeObject) => boolean;
  /** Applied when an object is first marked for deletion (a namespace turns Terminating). */
  readonly markedForDeletion?: (obj: KubeObject) => void;
  /**
   * DefaultGarbageCollectionPolicy when the request and the finalizers say nothing (v1
   * ReplicationControllers orphan); absent: Background.
   */
  readonly defaultGarbageCollectionPolicy?: 'Orphan';
}

/**
 * shouldOrphanDependents and shouldDeleteDependents: what the request says, else the object's
 * finalizers, else the kind's default.
 */
function propagation(
  current: KubeObject,
  options: DeleteOptions | undefined,
  byDefault: 'Orphan' | undefined,
): 'Orphan' | 'Foreground' | undefined {
  if (options?.orphanDependents !== undefined && options.orphanDependents !== null)
    return options.orphanDependents ? 'Orphan' : undefined;
  switch (options?.propagationPolicy) {
    case 'Orphan':
      return 'Orphan';
    case 'Foreground':
      return 'Foreground';
    case 'Background':
      return undefined;
  }
  for (const f of current.metadata.finalizers ?? []) {
    if (f === FINALIZER_ORPHAN_DEPENDENTS) return 'Orphan';
    if (f === FINALIZER_DELETE_DEPENDENTS) return 'Foreground';
  }
  return byDefault;
}

/** deletionFinalizersForGarbageCollection: the finalizers the object should have, or undefined when unchanged. */
export function finalizersForGarbageCollection(
  current: KubeObject,
  options: DeleteOptions | undefined,
  byDefault?: 'Orphan',
): string[] | undefined {
  const old = current.metadata.finalizers ?? [];
  const next = old.filter((f) => f !== FINALIZER_ORPHAN_DEPENDENTS && f !== FINALIZER_DELETE_DEPENDENTS);
  const p = propagation(current, options, byDefault);
  if (p === 'Orphan') next.push(FINALIZER_ORPHAN_DEPENDENTS);
  if (p === 'Foreground') next.push(FINALIZER_DELETE_DEPENDENTS);
  const same = new Set(old).size === new Set(next).size && next.every((f) => old.includes(f));
  return same ? undefined : next;
}

const heldBy = (o: KubeObject, s: DeleteStrategy | undefined) =>
  (o.metadata.finalizers?.length ?? 0) > 0 || (s?.holdsDeletion?.(o) ?? false);

function marked(
  current: KubeObject,
  deletionTimestamp: Date,
  graceSeconds: number,
  bumpGeneration: boolean,
  strategy?: DeleteStrategy,
): KubeObject {
  const metadata = {
    ...current.metadata,
    deletionTimestamp: metaTime(deletionTimestamp),
    deletionGracePeriodSeconds: graceSeconds,
  };
  // Graceful deletion is a change the object's controllers must see (BeforeDelete, markAsDeleting).
  if (bumpGeneration && (metadata.generation ?? 0) > 0) metadata.generation = (metadata.generation ?? 0) + 1;
  const object = { ...current, metadata };
  if (!current.metadata.deletionTimestamp) strategy?.markedForDeletion?.(object);
  return object;
}

export function planDeletion(
  stored: KubeObject,
  options: DeleteOptions | undefined,
  strategy: DeleteStrategy | undefined,
  now: Date,
): DeletionPlan {
  const gc = finalizersForGarbageCollection(stored, options, strategy?.defaultGarbageCollectionPolicy);
  const current = gc ? { ...stored, metadata: { ...stored.metadata, finalizers: gc } } : stored;
  const m = current.metadata;
  const held = heldBy(current, strategy);
  // Negative values are taken as 1 s on the delete path.
  let requested = options?.gracePeriodSeconds;
  if (requested !== undefined && requested !== null && requested < 0) requested = 1;
  if (requested === null) requested = undefined;

  if (m.deletionTimestamp) {
    const pending = m.deletionGracePeriodSeconds ?? 0;
    // Marked with no grace (finalizers, or an update that got through before the delete failed).
    if (pending <= 0) {
      // Another propagation policy for an object already being deleted: its finalizers change.
      if (gc) return { kind: 'mark', object: current, thenNow: !held };
      return held ? { kind: 'pending' } : { kind: 'now' };
    }
    // Only a shorter grace period may be asked for; the deadline moves back by the difference.
    if (requested === undefined || requested >= pending)
      return gc ? { kind: 'mark', object: current, thenNow: false } : { kind: 'pending' };
    const deadline = new Date(Date.parse(m.deletionTimestamp) - (pending - requested) * 1000);
    return {
      kind: 'mark',
      object: marked(current, deadline, requested, false),
      thenNow: requested === 0 && !held,
    };
  }

  const grace = strategy?.checkGracefulDelete?.(current, requested);
  if (grace !== undefined && grace > 0) {
    const deadline = new Date(now.getTime() + grace * 1000);
    return { kind: 'mark', object: marked(current, deadline, grace, true, strategy), thenNow: false };
  }
  // markAsDeleting: finalizers hold the object, marked now with no grace.
  if (held) return { kind: 'mark', object: marked(current, now, 0, true, strategy), thenNow: false };
  return { kind: 'now' };
}

/**
 * ShouldDeleteDuringUpdate: an update that leaves no finalizers on an object marked for deletion
 * with no grace period left deletes it.
 */
export function shouldDeleteDuringUpdate(
  updated: KubeObject,
  existing: KubeObject,
  strategy?: DeleteStrategy,
): boolean {
  if (heldBy(updated, strategy)) return false;
  if (!existing.metadata.deletionTimestamp) return false;
  return (existing.metadata.deletionGracePeriodSeconds ?? 0) === 0;
}
