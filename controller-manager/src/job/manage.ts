// manageJob (upstream job_controller.go): keeps min(parallelism, remaining completions) pods
// active — deleting the surplus or, once the failure back-off allows, creating the shortfall in
// slow-start batches — and deletes every active pod of a suspended Job.
import type { Job, Pod } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { isNamespaceTerminating, isPodReady, newControllerRef, slowStartBatch } from '@mkube/shared/controller';
import { remainingBackoff, remainingBackoffPerIndex } from './backoff.js';
import { JOB_KIND, type JobDeps, type SyncCtx } from './context.js';
import {
  duplicatedIndexPods,
  firstPendingIndexes,
  generateNameWithIndex,
  indexedTemplate,
  isIndexedJob,
  withCompletionIndexEnv,
} from './indexed.js';
import { hasBackoffLimitPerIndex, indexFailureAnnotations } from './perindex.js';
import { compareForDeletion, JOB_TRACKING_FINALIZER, onlyReplaceFailedPods } from './pods.js';

/** MaxPodCreateDeletePerSync. */
const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
/** controller.SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH_SIZE = 1;

/** activePodsForRemoval: duplicated or invalid indexes first, then the least advanced pods. */
function activePodsForRemoval(job: Job, pods: readonly Pod[], rmAtLeast: number): Pod[] {
  let rm: Pod[] = [];
  let left: Pod[] = [...pods];
  if (isIndexedJob(job)) ({ rm, left } = duplicatedIndexPods(pods, job.spec?.completions ?? 0));
  if (rm.length < rmAtLeast) {
    left.sort(compareForDeletion);
    rm = [...rm, ...left.slice(0, rmAtLeast - rm.length)];
  }
  return rm;
}

interface Deleted {
  ready: number;
  deleted: number;
  err?: unknown;
}

/**
 * Deletes `pods` at once, a NotFound counting as deleted; `onFailure` runs for each pod whose
 * deletion the informer will not report. Returns how many ready and how many in all went.
 */
async function deletePods(
  pods: readonly Pod[],
  deleteOne: (p: Pod) => Promise<void>,
  onFailure: () => void = () => {},
): Promise<Deleted> {
  let deleted = 0;
  let ready = 0;
  let err: unknown;
  await Promise.all(
    pods.map(async (p) => {
      try {
        await deleteOne(p);
        deleted++;
      } catch (e) {
        onFailure();
        if (isNotFound(e)) deleted++;
        else err ??= e;
      }
      if (isPodReady(p)) ready++;
    }),
  );
  return { ready, deleted, ...(err !== undefined ? { err } : {}) };
}

const deletePod = (d: JobDeps, job: Job, p: Pod) =>
  d.pods.deletePod(p.metadata?.namespace ?? '', p.metadata?.name ?? '', job);

/** deleteActivePods: DELETE keeping the finalizers (the status tracking removes them once the pods are counted). */
export function deleteActivePods(d: JobDeps, job: Job, pods: readonly Pod[]): Promise<Deleted> {
  return deletePods(pods, (p) => deletePod(d, job, p));
}

/** deleteJobPods: the finalizer first (these pods are not to be counted), then the pod. */
function deleteJobPods(d: JobDeps, ctx: SyncCtx, pods: readonly Pod[]): Promise<Deleted> {
  return deletePods(
    pods,
    async (p) => {
      await d.pods.removeTrackingFinalizer(p);
      await deletePod(d, ctx.job, p);
    },
    () => d.expectations.deletionObserved(ctx.key),
  );
}

/**
 * getPodCreationInfoForIndependentIndexes: the indexes whose own back-off has passed; when none
 * has, how long until the first does.
 */
function readyIndexes(d: JobDeps, ctx: SyncCtx, indexes: readonly number[]): { ready: number[]; wait: number } {
  const ready: number[] = [];
  let wait: number | undefined;
  for (const ix of indexes) {
    const left = remainingBackoffPerIndex(
      ctx.podsWithDelayedDeletion.get(ix),
      d.now(),
      d.podFailureBackoffMs,
      d.maxPodFailureBackoffMs,
    );
    if (left === 0) ready.push(ix);
    else wait = Math.min(wait ?? left, left);
  }
  return { ready, wait: ready.length > 0 ? 0 : (wait ?? 0) };
}

/** Returns the number of active pods after it acted; throws the first API error after counting. */
export async function manageJob(d: JobDeps, ctx: SyncCtx): Promise<{ active: number; err?: unknown }> {
  const job = ctx.job;
  let active = ctx.activePods.length;
  const parallelism = job.spec?.parallelism ?? 1;

  const removeSome = async (pods: Pod[]) => {
    d.expectations.expectDeletions(ctx.key, pods.length);
    const r = await deleteJobPods(d, ctx, pods);
    active -= r.deleted;
    ctx.terminating += r.deleted;
    ctx.ready -= r.ready;
    return { active, ...(r.err !== undefined ? { err: r.err } : {}) };
  };

  if (job.spec?.suspend === true) return removeSome(activePodsForRemoval(job, ctx.activePods, active));

  const completions = job.spec?.completions;
  let wantActive: number;
  if (completions === undefined) wantActive = ctx.succeeded > 0 ? active : parallelism;
  else wantActive = Math.max(0, Math.min(parallelism, completions - ctx.succeeded));

  const toDelete = activePodsForRemoval(job, ctx.activePods, Math.max(0, active - wantActive)).slice(
    0,
    MAX_POD_CREATE_DELETE_PER_SYNC,
  );
  // One sync either deletes or creates, never both; deleting comes first.
  if (toDelete.length > 0) return removeSome(toDelete);

  const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
  let diff = wantActive - terminating - active;
  if (diff <= 0) return { active };

  const perIndex = hasBackoffLimitPerIndex(job);
  // With backoffLimitPerIndex each index waits on its own failures, below.
  const wait = perIndex
    ? 0
    : remainingBackoff(ctx.newBackoff, d.now(), d.podFailureBackoffMs, d.maxPodFailureBackoffMs);
  if (wait > 0) {
    d.enqueueAfter(ctx.key, wait, true);
    return { active: 0 };
  }
  diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
  let indexes: number[] = [];
  if (isIndexedJob(job)) {
    indexes = firstPendingIndexes(
      job,
      ctx.activePods,
      ctx.pods,
      { succeeded: ctx.succeededIndexes, failed: ctx.failedIndexes ?? new Set() },
      diff,
    );
    if (perIndex) {
      const r = readyIndexes(d, ctx, indexes);
      if (r.wait > 0) {
        d.enqueueAfter(ctx.key, r.wait, true);
        return { active: 0 };
      }
      indexes = r.ready;
    }
    diff = indexes.length;
  }
  d.expectations.expectCreations(ctx.key, diff);
  active += diff;

  let template = structuredClone(job.spec?.template ?? {});
  if (isIndexedJob(job)) template = withCompletionIndexEnv(template);
  template.metadata ??= {};
  const meta = template.metadata;
  if (!meta.finalizers?.includes(JOB_TRACKING_FINALIZER))
    meta.finalizers = [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER];
  const name = job.metadata?.name ?? '';
  const ns = job.metadata?.namespace ?? '';
  const ref = newControllerRef(job, JOB_KIND);

  let err: unknown;
  let failures = 0;
  // Slow start: a failing batch (a quota, a webhook) stops the rest instead of sending every
  // create only to have each fail the same way.
  const { successes } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, async (i) => {
    const ix = indexes[i];
    try {
      if (ix === undefined) await d.pods.createPod(ns, template, job, ref);
      else {
        // The index's failure count so far travels on to its next pod.
        const counts = perIndex ? indexFailureAnnotations(job, ctx.podsWithDelayedDeletion.get(ix)) : {};
        const t = indexedTemplate(template, name, ix, counts);
        await d.pods.createPod(ns, t, job, ref, generateNameWithIndex(name, ix));
      }
    } catch (e) {
      d.expectations.creationObserved(ctx.key);
      active--;
      failures++;
      // A namespace being torn down fails every create: nothing to retry.
      if (!isNamespaceTerminating(e)) err ??= e;
      throw e;
    }
  });
  // The pods never attempted will not be observed.
  const skipped = diff - successes - failures;
  if (skipped > 0) {
    d.expectations.lower(ctx.key, skipped, 0);
    active -= skipped;
  }
  return { active, ...(err !== undefined ? { err } : {}) };
}
