// spec.backoffLimitPerIndex (upstream indexed_job_utils.go, GA in 1.33): each index of an Indexed
// Job has its own failure budget. The count travels from a failed pod to its replacement in an
// annotation, so a failed pod keeps its finalizer (and so exists) until the replacement carries the
// count on; an index past its budget, or failed by a FailIndex rule, is listed in
// status.failedIndexes and never run again.
import type { Job, Pod } from '@mkube/shared/api';
import { matchPodFailurePolicy } from './failurepolicy.js';
import { completionIndex, parseIndexes } from './indexed.js';
import { finishedTime, hasTrackingFinalizer, isPodFailed } from './pods.js';

export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
export const INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';
const MAX_INT32 = 2 ** 31 - 1;

export const hasBackoffLimitPerIndex = (job: Job): boolean => job.spec?.backoffLimitPerIndex !== undefined;

/** parseInt32: anyone can edit a pod's annotations, so anything but a plain int32 reads as 0. */
function annotationCount(p: Pod, key: string): number {
  const v = p.metadata?.annotations?.[key];
  if (v === undefined || !/^[+-]?[0-9]+$/.test(v)) return 0;
  const n = Number(v);
  return n >= 0 && n <= MAX_INT32 ? n : 0;
}

const failureCount = (p: Pod) => annotationCount(p, INDEX_FAILURE_COUNT_ANNOTATION);
const ignoredFailureCount = (p: Pod) => annotationCount(p, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
/** getIndexAbsoluteFailureCount: ignored failures too, which still delay the next attempt. */
export const absoluteFailureCount = (p: Pod): number => failureCount(p) + ignoredFailureCount(p);

/** isIndexFailed: this failed pod fails its index (a FailIndex rule, or its index's budget spent). */
function isIndexFailed(job: Job, p: Pod): boolean {
  if (!isPodFailed(p, job)) return false;
  const m = matchPodFailurePolicy(job, p);
  if (m.action === 'FailIndex') return true;
  return m.countFailed && failureCount(p) >= (job.spec?.backoffLimitPerIndex ?? 0);
}

const validIndex = (job: Job, p: Pod): number => {
  const ix = completionIndex(p);
  return ix >= 0 && ix < (job.spec?.completions ?? 0) ? ix : -1;
};

/** calculateFailedIndexes: those in status.failedIndexes, plus the indexes of uncounted failed pods. */
export function failedIndexes(job: Job, pods: readonly Pod[]): Set<number> {
  const out = parseIndexes(job.status?.failedIndexes, job.spec?.completions ?? 0);
  for (const p of pods) {
    const ix = validIndex(job, p);
    if (ix >= 0 && hasTrackingFinalizer(p) && isIndexFailed(job, p)) out.add(ix);
  }
  return out;
}

export interface IndexState {
  readonly succeeded: ReadonlySet<number>;
  readonly failed: ReadonlySet<number>;
  readonly active: readonly Pod[];
  readonly expectedRmFinalizers: ReadonlySet<string>;
}

/**
 * getPodsWithDelayedDeletionPerIndex: for each index still to be retried, its latest failed pod,
 * which keeps its finalizer until a replacement exists. Indexes that succeeded, failed or have an
 * active pod (already carrying the count) need none.
 */
export function podsWithDelayedDeletion(job: Job, pods: readonly Pod[], s: IndexState): Map<number, Pod> {
  const activeIndexes = new Set(s.active.map(completionIndex));
  const out = new Map<number, Pod>();
  for (const p of pods) {
    if (!hasTrackingFinalizer(p) || s.expectedRmFinalizers.has(p.metadata?.uid ?? '')) continue;
    if (!isPodFailed(p, job)) continue;
    const ix = validIndex(job, p);
    if (ix < 0 || s.succeeded.has(ix) || s.failed.has(ix) || activeIndexes.has(ix)) continue;
    const last = out.get(ix);
    if (!last || (absoluteFailureCount(last) <= absoluteFailureCount(p) && finishedTime(p) >= finishedTime(last)))
      out.set(ix, p);
  }
  return out;
}

/** getNewIndexFailureCounts as the annotations of the pod that replaces `replaced` (none: a first attempt). */
export function indexFailureAnnotations(job: Job, replaced: Pod | undefined): Record<string, string> {
  let failures = 0;
  let ignored = 0;
  if (replaced) {
    failures = failureCount(replaced);
    ignored = ignoredFailureCount(replaced);
    if (matchPodFailurePolicy(job, replaced).countFailed) failures++;
    else ignored++;
  }
  return {
    [INDEX_FAILURE_COUNT_ANNOTATION]: `${failures}`,
    ...(ignored > 0 ? { [INDEX_IGNORED_FAILURE_COUNT_ANNOTATION]: `${ignored}` } : {}),
  };
}
