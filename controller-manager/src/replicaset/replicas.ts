// manageReplicas (k8s pkg/controller/replicaset): brings a ReplicaSet's (or ReplicationController's)
// active pods to its replica count — creating the missing ones in slow-start batches, deleting the
// surplus in upstream's order — at most BurstReplicas per sync, and records what it expects the
// informer to report back.
import type { Pod } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import {
  isNamespaceTerminating,
  isPodActive,
  newControllerRef,
  type PodControl,
  slowStartBatch,
  sortForDeletion,
  type UIDTrackingControllerExpectations,
} from '@mkube/shared/controller';
import type { Logger } from '@mkube/shared/log';
import type { Replicated } from './kind.js';

/** BurstReplicas: the most pods one sync creates or deletes. */
export const BURST_REPLICAS = 500;
/** SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export const podKey = (p: Pod) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

export interface ManageContext {
  /** The controller ownerReference's apiVersion and kind. */
  readonly ownerKind: { readonly apiVersion: string; readonly kind: string };
  readonly podControl: PodControl;
  readonly expectations: UIDTrackingControllerExpectations;
  readonly log: Logger;
  /** Pods of the ReplicaSets sharing this one's controller (its Deployment's other revisions). */
  relatedPods(rs: Replicated): Pod[];
}

export async function manageReplicas(c: ManageContext, key: string, active: Pod[], rs: Replicated): Promise<void> {
  const want = rs.spec?.replicas ?? 1;
  const ns = rs.metadata?.namespace ?? '';
  let diff = active.length - want;
  if (diff < 0) {
    diff = Math.min(-diff, BURST_REPLICAS);
    c.expectations.expectCreations(key, diff);
    c.log.debug({ replicaSet: key, need: want, creating: diff }, 'Too few replicas');
    const template = rs.spec?.template ?? {};
    const ref = newControllerRef(rs, c.ownerKind);
    const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      try {
        await c.podControl.createPod(ns, template, rs, ref);
      } catch (e) {
        // Every creation fails in a terminating namespace: nothing to retry.
        if (!isNamespaceTerminating(e)) throw e;
      }
    });
    // The pods never attempted will not be observed: stop expecting them.
    const skipped = diff - successes;
    if (skipped > 0) {
      c.log.debug(
        { replicaSet: key, skipped },
        'Slow-start failure. Skipping creation of pods, decrementing expectations',
      );
      c.expectations.lower(key, skipped, 0);
    }
    if (error !== undefined) throw error;
    return;
  }
  if (diff === 0) return;
  diff = Math.min(diff, BURST_REPLICAS);
  c.log.debug({ replicaSet: key, need: want, deleting: diff }, 'Too many replicas');
  const doomed = podsToDelete(active, c.relatedPods(rs), diff);
  c.expectations.expectDeletions(key, doomed.map(podKey));
  const results = await Promise.allSettled(
    doomed.map(async (p) => {
      try {
        await c.podControl.deletePod(ns, p.metadata?.name ?? '', rs);
      } catch (e) {
        // The informer will not see this deletion (or already has): stop expecting it.
        c.expectations.deletionObserved(key, podKey(p));
        if (!isNotFound(e)) throw e;
      }
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** getPodsToDelete: the first `diff` in upstream's order, ranking by related pods on the same node. */
export function podsToDelete(active: readonly Pod[], related: readonly Pod[], diff: number): Pod[] {
  if (diff >= active.length) return active.slice(0, diff);
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked = active.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  return sortForDeletion(ranked).slice(0, diff);
}
