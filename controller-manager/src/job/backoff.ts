// The delay before a failed pod is replaced (upstream backoff_utils.go): 10 s after one failure
// since the last success, doubling per further failure up to 10 minutes, counted from the last
// failure's finish. Kept per Job in memory, as upstream does.
import type { Pod } from '@mkube/shared/api';
import { absoluteFailureCount } from './perindex.js';
import { finishedTime } from './pods.js';

export interface BackoffRecord {
  readonly key: string;
  readonly failuresAfterLastSuccess: number;
  readonly lastFailureTime?: number;
}

export class BackoffStore {
  readonly #records = new Map<string, BackoffRecord>();

  update(r: BackoffRecord): void {
    this.#records.set(r.key, r);
  }

  remove(key: string): void {
    this.#records.delete(key);
  }

  /** newBackoffRecord: the record as it will be once these newly finished pods are counted. */
  next(key: string, newSucceeded: readonly Pod[], newFailed: readonly Pod[]): BackoffRecord {
    const old = this.#records.get(key) ?? { key, failuresAfterLastSuccess: 0 };
    const failed = newFailed.map(finishedTime).sort((a, b) => a - b);
    if (newSucceeded.length === 0) {
      if (failed.length === 0) return old;
      return {
        key,
        failuresAfterLastSuccess: old.failuresAfterLastSuccess + failed.length,
        lastFailureTime: failed.at(-1)!,
      };
    }
    const lastSuccess = Math.max(...newSucceeded.map(finishedTime));
    const after = failed.filter((t) => t > lastSuccess);
    return after.length === 0
      ? { key, failuresAfterLastSuccess: 0 }
      : { key, failuresAfterLastSuccess: after.length, lastFailureTime: after.at(-1)! };
  }
}

/** getRemainingTime: the Job-wide delay, from the failures since the last success. */
export const remainingBackoff = (r: BackoffRecord, now: number, baseMs: number, maxMs: number): number =>
  remainingForFailures(r.failuresAfterLastSuccess, r.lastFailureTime, now, baseMs, maxMs);

/**
 * getRemainingTimePerIndex: with backoffLimitPerIndex each index waits on its own, by the failures
 * its last failed pod's annotations count (ignored ones included) plus that pod's own.
 */
export const remainingBackoffPerIndex = (
  lastFailed: Pod | undefined,
  now: number,
  baseMs: number,
  maxMs: number,
): number =>
  lastFailed
    ? remainingForFailures(absoluteFailureCount(lastFailed) + 1, finishedTime(lastFailed), now, baseMs, maxMs)
    : 0;

/** getRemainingTimeForFailuresCount. */
function remainingForFailures(
  failures: number,
  lastFailureTime: number | undefined,
  now: number,
  baseMs: number,
  maxMs: number,
): number {
  if (failures === 0 || lastFailureTime === undefined) return 0;
  let d = baseMs;
  for (let i = 1; i < failures; i++) {
    d *= 2;
    if (d >= maxMs) {
      d = maxMs;
      break;
    }
  }
  const elapsed = now - lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}
