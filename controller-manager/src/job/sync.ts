// syncJob (upstream job_controller.go): counts the Job's pods, decides whether it has failed
// (a FailJob rule, backoffLimit, activeDeadlineSeconds, failed indexes) or succeeded (all
// completions, or a success policy), otherwise keeps the right pods running, keeps the Suspended
// condition, and writes the status through /status.
import type { Job, Pod } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { isPodActive, isPodReady, isPodTerminating } from '@mkube/shared/controller';
import { ensureCondition, hasSuccessCriteriaMet, isJobFinished, newCondition } from './conditions.js';
import type { JobDeps, SyncCtx } from './context.js';
import { countedFailures, failJobMessage } from './failurepolicy.js';
import { completionIndex, isIndexedJob, succeededIndexes } from './indexed.js';
import { deleteActivePods, manageJob } from './manage.js';
import { failedIndexes, hasBackoffLimitPerIndex, podsWithDelayedDeletion } from './perindex.js';
import { hasTrackingFinalizer, isPodFailed } from './pods.js';
import { successPolicyMessage } from './successpolicy.js';
import { trackJobStatusAndRemoveFinalizers } from './tracking.js';

const suspended = (job: Job) => job.spec?.suspend === true;

/** The apiserver's default: 6, or math.MaxInt32 (in effect none) when each index has its own. */
const backoffLimit = (job: Job) => job.spec?.backoffLimit ?? (hasBackoffLimitPerIndex(job) ? 2 ** 31 - 1 : 6);

/** getNewFinishedPods: finished pods still holding the finalizer and not yet uncounted. */
function newFinishedPods(ctx: Omit<SyncCtx, 'newBackoff' | 'podsWithDelayedDeletion'>): {
  succeeded: Pod[];
  failed: Pod[];
} {
  const valid = (p: Pod, uncounted: ReadonlySet<string>) => {
    const uid = p.metadata?.uid ?? '';
    if (!hasTrackingFinalizer(p) || uncounted.has(uid) || ctx.expectedRmFinalizers.has(uid)) return false;
    if (!isIndexedJob(ctx.job)) return true;
    const ix = completionIndex(p);
    return ix >= 0 && ix < (ctx.job.spec?.completions ?? 0);
  };
  return {
    succeeded: ctx.pods.filter((p) => valid(p, ctx.uncounted.succeeded) && p.status?.phase === 'Succeeded'),
    failed: ctx.pods.filter((p) => valid(p, ctx.uncounted.failed) && isPodFailed(p, ctx.job)),
  };
}

/** pastBackoffLimitOnFailure: with restartPolicy OnFailure, container restarts count as failures. */
function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])])
      restarts += s.restartCount ?? 0;
  }
  const limit = backoffLimit(job);
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

function pastActiveDeadline(d: JobDeps, job: Job): boolean {
  const ads = job.spec?.activeDeadlineSeconds;
  if (ads === undefined || !job.status?.startTime || suspended(job)) return false;
  return d.now() - Date.parse(job.status.startTime) >= ads * 1000;
}

/** With delayed terminal conditions (1.33: JobPodReplacementPolicy on), the interim types first. */
const failure = (d: JobDeps, reason: string, message: string) =>
  newCondition('FailureTarget', 'True', reason, message, new Date(d.now()));

export async function syncJob(d: JobDeps, key: string, shared: Job, pods: Pod[]): Promise<void> {
  if (isJobFinished(shared)) {
    d.backoff.remove(key);
    return;
  }
  const job: Job = structuredClone(shared);
  const mode = job.spec?.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
    d.recorder.event(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
    return;
  }
  job.status ??= {};
  const status = job.status;
  status.uncountedTerminatedPods ??= {};
  const uncountedStatus = status.uncountedTerminatedPods;
  // Checked before the pods are read: a pod created after this check waits for the next sync.
  const satisfied = d.expectations.satisfied(key);
  const activePods = pods.filter(isPodActive);
  const base = {
    key,
    job,
    pods,
    activePods,
    succeeded: 0,
    failed: 0,
    prevSucceededIndexes: new Set<number>(),
    succeededIndexes: new Set<number>(),
    expectedRmFinalizers: d.finalizerExpectations.expected(key),
    uncounted: { succeeded: new Set(uncountedStatus.succeeded), failed: new Set(uncountedStatus.failed) },
    terminating: pods.filter(isPodTerminating).length,
    ready: activePods.filter(isPodReady).length,
  };
  let active = activePods.length;
  const fresh = newFinishedPods(base);
  const ctx: SyncCtx = {
    ...base,
    newBackoff: d.backoff.next(key, fresh.succeeded, fresh.failed),
    podsWithDelayedDeletion: new Map(),
  };
  ctx.succeeded = (status.succeeded ?? 0) + fresh.succeeded.length + ctx.uncounted.succeeded.size;
  // Failures an Ignore rule matched count toward no limit.
  ctx.failed = (status.failed ?? 0) + countedFailures(job, fresh.failed) + ctx.uncounted.failed.size;

  if (!status.startTime && !suspended(job)) status.startTime = metaTime(new Date(d.now()));

  // A Job already past SuccessCriteriaMet is not failed by its pod failure policy any more.
  ctx.finishedCondition = hasSuccessCriteriaMet(job);
  if (!ctx.finishedCondition) {
    const target = job.status.conditions?.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    const failJob = target ? undefined : failJobMessage(job, pods);
    if (target)
      ctx.finishedCondition = newCondition(
        'Failed',
        'True',
        target.reason ?? '',
        target.message ?? '',
        new Date(d.now()),
      );
    else if (failJob !== undefined) ctx.finishedCondition = failure(d, 'PodFailurePolicy', failJob);
  }
  if (!ctx.finishedCondition) {
    if (ctx.failed > backoffLimit(job) || pastBackoffLimitOnFailure(job, pods)) {
      ctx.finishedCondition = failure(d, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    } else if (pastActiveDeadline(d, job)) {
      ctx.finishedCondition = failure(d, 'DeadlineExceeded', 'Job was active longer than specified deadline');
    } else if (job.spec?.activeDeadlineSeconds !== undefined && !suspended(job)) {
      const left = job.spec.activeDeadlineSeconds * 1000 - (d.now() - Date.parse(status.startTime ?? ''));
      d.enqueueAfter(key, left);
    }
  }
  if (isIndexedJob(job)) {
    const s = succeededIndexes(job, pods);
    ctx.prevSucceededIndexes = s.prev;
    ctx.succeededIndexes = s.all;
    ctx.succeeded = s.all.size;
    if (hasBackoffLimitPerIndex(job)) {
      const failed = failedIndexes(job, pods);
      ctx.failedIndexes = failed;
      const completions = job.spec?.completions ?? 0;
      const max = job.spec?.maxFailedIndexes;
      if (!ctx.finishedCondition && max !== undefined && failed.size > max) {
        ctx.finishedCondition = failure(
          d,
          'MaxFailedIndexesExceeded',
          'Job has exceeded the specified maximal number of failed indexes',
        );
      } else if (!ctx.finishedCondition && failed.size > 0 && failed.size + s.all.size >= completions) {
        // Every index has run its course and some failed.
        ctx.finishedCondition = failure(d, 'FailedIndexes', 'Job has failed indexes');
      }
      ctx.podsWithDelayedDeletion = podsWithDelayedDeletion(job, pods, {
        succeeded: s.all,
        failed,
        active: activePods,
        expectedRmFinalizers: ctx.expectedRmFinalizers,
      });
    }
    const met = ctx.finishedCondition ? undefined : successPolicyMessage(job, s.all);
    if (met !== undefined)
      ctx.finishedCondition = newCondition('SuccessCriteriaMet', 'True', 'SuccessPolicy', met, new Date(d.now()));
  }

  let manageErr: unknown;
  let suspendChanged = false;
  if (ctx.finishedCondition) {
    const r = await deleteActivePods(d, job, activePods);
    // Pods not yet in the cache, or not yet deleted, keep the Job from being declared finished.
    if (r.deleted !== active || !satisfied) ctx.finishedCondition = undefined;
    active -= r.deleted;
    ctx.terminating += r.deleted;
    ctx.ready -= r.ready;
    manageErr = r.err;
  } else {
    let managed = false;
    if (satisfied && !job.metadata?.deletionTimestamp) {
      const r = await manageJob(d, ctx);
      active = r.active;
      manageErr = r.err;
      managed = true;
    }
    const completions = job.spec?.completions;
    const complete =
      completions === undefined ? ctx.succeeded > 0 && active === 0 : ctx.succeeded >= completions && active === 0;
    if (complete) {
      // JobSuccessPolicy (GA in 1.33) names the reason; Complete copies it once pods are counted.
      ctx.finishedCondition = newCondition(
        'SuccessCriteriaMet',
        'True',
        'CompletionsReached',
        'Reached expected number of succeeded pods',
        new Date(d.now()),
      );
    } else if (managed) {
      // Conditions and events only from the sync that acted on the pods.
      const now = new Date(d.now());
      const [st, reason, message, event] = suspended(job)
        ? (['True', 'JobSuspended', 'Job suspended', 'Suspended'] as const)
        : (['False', 'JobResumed', 'Job resumed', 'Resumed'] as const);
      const r = ensureCondition(status.conditions ?? [], 'Suspended', st, reason, message, now);
      if (r.changed) {
        status.conditions = r.conditions;
        suspendChanged = true;
        d.recorder.event(job, 'Normal', event, message);
        // activeDeadlineSeconds counts continuous activity: a resumed Job starts its clock again.
        if (!suspended(job)) status.startTime = metaTime(now);
      }
    }
  }

  const needsUpdate =
    suspendChanged ||
    active !== (status.active ?? 0) ||
    ctx.ready !== (status.ready ?? undefined) ||
    ctx.terminating !== (status.terminating ?? undefined);
  status.active = active;
  status.ready = ctx.ready;
  status.terminating = ctx.terminating;
  await trackJobStatusAndRemoveFinalizers(d, ctx, needsUpdate);
  if (manageErr !== undefined) throw manageErr;
}
