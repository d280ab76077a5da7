// syncNodes (daemon_controller.go): creates the missing daemon pods in slow-start batches (1, 2, 4 …
// so a template the apiserver refuses fails once, not for every node) and deletes the unwanted ones,
// recording both as expectations first; the shared PodControl records the Events.
import type { DaemonSet, Pod } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import {
  type ControllerExpectations,
  isNamespaceTerminating,
  newControllerRef,
  type PodControl,
  slowStartBatch,
} from '@mkube/shared/controller';
import type { Logger } from '@mkube/shared/log';
import { createPodTemplate, DAEMONSET_KIND, replaceNodeNameAffinity, templateGeneration } from './util.js';

/** BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 250;
/** controller.SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface PodControlContext {
  readonly log: Logger;
  readonly podControl: PodControl;
  readonly expectations: ControllerExpectations;
}

export async function syncNodes(
  ctx: PodControlContext,
  ds: DaemonSet,
  key: string,
  podsToDelete: readonly string[],
  nodesNeedingPods: readonly string[],
  hash: string,
): Promise<void> {
  const createDiff = Math.min(nodesNeedingPods.length, BURST_REPLICAS);
  const deleteDiff = Math.min(podsToDelete.length, BURST_REPLICAS);
  ctx.expectations.setExpectations(key, createDiff, deleteDiff);
  const errors: unknown[] = [];
  const template = createPodTemplate(ds.spec?.template ?? {}, templateGeneration(ds), hash);
  const ns = ds.metadata.namespace ?? '';
  const ref = newControllerRef(ds, DAEMONSET_KIND);

  const { successes } = await slowStartBatch(createDiff, SLOW_START_INITIAL_BATCH_SIZE, async (i) => {
    const nodeName = nodesNeedingPods[i] ?? '';
    const t = { ...template, spec: { ...(template.spec ?? { containers: [] }) } };
    t.spec.affinity = replaceNodeNameAffinity(t.spec.affinity, nodeName);
    let created: Pod;
    try {
      created = await ctx.podControl.createPod(ns, t, ds, ref);
    } catch (e) {
      // A terminating namespace refuses every pod: expected, and not worth a retry.
      if (isNamespaceTerminating(e)) return;
      ctx.expectations.creationObserved(key);
      errors.push(e);
      throw e;
    }
    ctx.log.debug({ daemonSet: key, pod: created.metadata.name }, 'Controller created pod');
  });
  // The rest waits for a later sync; it must not be waited for meanwhile.
  const skipped = createDiff - successes - errors.length;
  if (skipped > 0) {
    ctx.log.info({ daemonSet: key, skipped }, 'Slow-start failure. Skipping creation pods, decrementing expectations');
    ctx.expectations.lower(key, skipped, 0);
  }

  await Promise.all(
    podsToDelete.slice(0, deleteDiff).map(async (name) => {
      try {
        await ctx.podControl.deletePod(ns, name, ds);
      } catch (e) {
        ctx.expectations.deletionObserved(key);
        if (isNotFound(e)) return;
        errors.push(e);
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}
