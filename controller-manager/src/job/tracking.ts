// trackJobStatusAndRemoveFinalizers (upstream job_controller.go): finished pods go into
// status.uncountedTerminatedPods first, then lose their tracking finalizer, then move into the
// succeeded/failed counters — so a pod is counted exactly once even if this process dies between
// steps. The terminal condition is written only once nothing is uncounted or still terminating.
import type { Job, JobCondition, Pod } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { newCondition } from './conditions.js';
import type { JobDeps, SyncCtx } from './context.js';
import { matchPodFailurePolicy } from './failurepolicy.js';
import { completionIndex, formatIndexes, isIndexedJob } from './indexed.js';
import { hasTrackingFinalizer, isPodFailed } from './pods.js';

/** MaxUncountedPods: keeps the uid lists (and one sync's finalizer removals) bounded. */
const MAX_UNCOUNTED_PODS = 500;

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;

/** The counters are `omitempty` int32s upstream: a zero is not written. */
function wire(job: Job): Job {
  const status = { ...job.status };
  for (const k of ['active', 'succeeded', 'failed'] as const) if (status[k] === 0) delete status[k];
  return { ...job, status };
}

async function updateStatus(d: JobDeps, job: Job): Promise<Job> {
  return d.client
    .resource<Job>({ ...JOBS, namespace: job.metadata?.namespace ?? '' })
    .updateSubresource(job.metadata?.name ?? '', 'status', wire(job));
}

/** cleanUncountedPodsWithoutFinalizers: uids whose pod lost its finalizer move into the counters. */
function cleanUncounted(job: Job, withFinalizer: ReadonlySet<string>): boolean {
  const u = job.status?.uncountedTerminatedPods ?? {};
  job.status ??= {};
  const status = job.status;
  let changed = false;
  const keepS = (u.succeeded ?? []).filter((x) => withFinalizer.has(x));
  if (keepS.length !== (u.succeeded ?? []).length) {
    changed = true;
    status.succeeded = (status.succeeded ?? 0) + (u.succeeded ?? []).length - keepS.length;
  }
  const keepF = (u.failed ?? []).filter((x) => withFinalizer.has(x));
  if (keepF.length !== (u.failed ?? []).length) {
    changed = true;
    status.failed = (status.failed ?? 0) + (u.failed ?? []).length - keepF.length;
  }
  status.uncountedTerminatedPods = {
    ...(keepS.length ? { succeeded: keepS } : {}),
    ...(keepF.length ? { failed: keepF } : {}),
  };
  return changed;
}

/**
 * canRemoveFinalizer: once the Job is going or finishing, the pod succeeded, or it failed — unless
 * it is the failed pod whose index-failure count its replacement has yet to take over.
 */
function canRemoveFinalizer(ctx: SyncCtx, p: Pod, failed: boolean): boolean {
  if (ctx.job.metadata?.deletionTimestamp || ctx.finishedCondition !== undefined || p.status?.phase === 'Succeeded')
    return true;
  if (!failed) return false;
  const waiting = ctx.podsWithDelayedDeletion.get(completionIndex(p));
  return waiting === undefined || waiting.metadata?.uid !== p.metadata?.uid;
}

/** Removes the finalizers; returns the uids whose removal succeeded (or whose pod is gone). */
async function removeFinalizers(
  d: JobDeps,
  key: string,
  pods: readonly Pod[],
): Promise<{ done: string[]; err?: unknown }> {
  const uids = pods.map((p) => p.metadata?.uid ?? '');
  d.finalizerExpectations.expectRemoved(key, uids);
  const done: string[] = [];
  let err: unknown;
  await Promise.all(
    pods.map(async (p) => {
      const uid = p.metadata?.uid ?? '';
      try {
        await d.pods.removeTrackingFinalizer(p);
        done.push(uid);
      } catch (e) {
        // No pod update will come for this one.
        d.finalizerExpectations.removalObserved(key, uid);
        if (isNotFound(e)) done.push(uid);
        else err ??= e;
      }
    }),
  );
  return { done, ...(err !== undefined ? { err } : {}) };
}

/** enactJobFinished: the terminal condition, once every pod is counted and none is terminating. */
function enactJobFinished(d: JobDeps, ctx: SyncCtx): boolean {
  const cond = ctx.finishedCondition;
  if (!cond) return false;
  const u = ctx.job.status?.uncountedTerminatedPods;
  if ((u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0) > 0) return false;
  if (ctx.terminating > 0) return false;
  ctx.job.status ??= {};
  const status = ctx.job.status;
  const conditions = (status.conditions ?? []).filter((c) => c.type !== cond.type);
  const fresh = newCondition(
    cond.type as 'Complete',
    cond.status,
    cond.reason ?? '',
    cond.message ?? '',
    new Date(d.now()),
  );
  status.conditions = [...conditions, fresh];
  if (cond.type === 'Complete') status.completionTime = fresh.lastTransitionTime;
  return true;
}

function recordJobFinished(d: JobDeps, job: Job, cond: JobCondition): void {
  if (cond.type === 'Complete') {
    const completions = job.spec?.completions;
    if (completions !== undefined && (job.status?.succeeded ?? 0) > completions)
      d.recorder.event(
        job,
        'Warning',
        'TooManySucceededPods',
        'Too many succeeded pods running after completion count reached',
      );
    d.recorder.event(job, 'Normal', 'Completed', 'Job completed');
  } else {
    d.recorder.event(job, 'Warning', cond.reason ?? '', cond.message ?? '');
  }
}

export async function trackJobStatusAndRemoveFinalizers(d: JobDeps, ctx: SyncCtx, needsFlush: boolean): Promise<void> {
  const job = ctx.job;
  const indexed = isIndexedJob(job);
  job.status ??= {};
  const status = job.status;
  const pods = indexed ? [...ctx.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : ctx.pods;
  const withFinalizer = new Set<string>();
  for (const p of pods) {
    const uid = p.metadata?.uid ?? '';
    if (hasTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(uid)) withFinalizer.add(uid);
  }
  if (cleanUncounted(job, withFinalizer)) needsFlush = true;
  const u = job.status.uncountedTerminatedPods ?? {};
  const succeededUids = [...(u.succeeded ?? [])];
  const failedUids = [...(u.failed ?? [])];

  const toRemove: Pod[] = [];
  const newSucceededIndexes: number[] = [];
  const completions = job.spec?.completions ?? 0;
  let reachedMax = false;
  for (const p of pods) {
    const uid = p.metadata?.uid ?? '';
    if (!hasTrackingFinalizer(p) || ctx.expectedRmFinalizers.has(uid)) continue;
    const failed = isPodFailed(p, job);
    if (!canRemoveFinalizer(ctx, p, failed)) continue;
    toRemove.push(p);
    if (p.status?.phase === 'Succeeded' && !ctx.uncounted.failed.has(uid)) {
      if (indexed) {
        const ix = completionIndex(p);
        if (ix >= 0 && ix < completions && !ctx.prevSucceededIndexes.has(ix)) {
          newSucceededIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!ctx.uncounted.succeeded.has(uid)) {
        needsFlush = true;
        succeededUids.push(uid);
      }
    } else if (failed || (ctx.finishedCondition && ctx.finishedCondition.type !== 'SuccessCriteriaMet')) {
      // A Job that is finishing counts every pod it stops as failed.
      const ix = completionIndex(p);
      // A failure an Ignore rule matched loses its finalizer without being counted.
      if (
        !ctx.uncounted.failed.has(uid) &&
        (!indexed || (ix >= 0 && ix < completions)) &&
        matchPodFailurePolicy(job, p).countFailed
      ) {
        needsFlush = true;
        failedUids.push(uid);
      }
    }
    if (newSucceededIndexes.length + succeededUids.length + failedUids.length >= MAX_UNCOUNTED_PODS) {
      // The status and pod updates this makes bring the Job back for the rest.
      reachedMax = true;
      break;
    }
  }
  status.uncountedTerminatedPods = {
    ...(succeededUids.length ? { succeeded: succeededUids } : {}),
    ...(failedUids.length ? { failed: failedUids } : {}),
  };
  if (indexed) {
    for (const ix of newSucceededIndexes) ctx.succeededIndexes.add(ix);
    const s = formatIndexes(ctx.succeededIndexes);
    if (s !== (status.completedIndexes ?? '')) needsFlush = true;
    status.succeeded = ctx.succeededIndexes.size;
    if (s) status.completedIndexes = s;
    else delete status.completedIndexes;
    // failedIndexes is set (if empty) exactly when backoffLimitPerIndex is: the apiserver rejects it otherwise.
    const f = ctx.failedIndexes && formatIndexes(ctx.failedIndexes);
    if (f !== status.failedIndexes) {
      needsFlush = true;
      if (f === undefined) delete status.failedIndexes;
      else status.failedIndexes = f;
    }
  }
  const now = new Date(d.now());
  const fc = ctx.finishedCondition;
  if (fc?.type === 'FailureTarget') {
    // The interim condition is written before any finalizer goes; Failed follows once all are gone.
    status.conditions = [...(status.conditions ?? []), fc];
    needsFlush = true;
    ctx.finishedCondition = newCondition('Failed', 'True', fc.reason ?? '', fc.message ?? '', now);
  } else if (fc?.type === 'SuccessCriteriaMet') {
    if (!status.conditions?.some((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True')) {
      status.conditions = [...(status.conditions ?? []), fc];
      needsFlush = true;
    }
    ctx.finishedCondition = newCondition('Complete', 'True', fc.reason ?? '', fc.message ?? '', now);
  }

  // flushUncountedAndRemoveFinalizers.
  if (needsFlush) {
    ctx.job = await updateStatus(d, ctx.job);
    d.backoff.update(ctx.newBackoff);
    needsFlush = false;
  }
  let rmErr: unknown;
  if (toRemove.length > 0) {
    const r = await removeFinalizers(d, ctx.key, toRemove);
    for (const uid of r.done) withFinalizer.delete(uid);
    rmErr = r.err;
  }
  if (cleanUncounted(ctx.job, withFinalizer)) needsFlush = true;
  if (rmErr !== undefined) {
    // Keep what was counted, then retry the rest.
    if (needsFlush) ctx.job = await updateStatus(d, ctx.job);
    throw rmErr;
  }
  const finished = !reachedMax && enactJobFinished(d, ctx);
  if (finished) needsFlush = true;
  if (needsFlush) {
    ctx.job = await updateStatus(d, ctx.job);
    if (finished && ctx.finishedCondition) recordJobFinished(d, ctx.job, ctx.finishedCondition);
  }
}
