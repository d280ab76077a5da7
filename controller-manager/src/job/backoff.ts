// The delay before a failed pod is replaced (upstream backoff_utils.go): 10 s after one failure
// since the last success, doubling per further failure up to 10 minutes, counted from the last
// failure's finish. Kept per Job in memory, as upstream does.
import type { Pod } from '@mkube/shared/api';
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

/** getRemainingTimeForFailuresCount. */
export function remainingBackoff(r: BackoffRecord, now: number, baseMs: number, maxMs: number): number {
  if (r.failuresAfterLastSuccess === 0 || r.lastFailureTime === undefined) return 0;
  let d = baseMs;
  for (let i = 1; i < r.failuresAfterLastSuccess; i++) {
    d *= 2;
    if (d >= maxMs) {
      d = maxMs;
      break;
    }
  }
  const elapsed = now - r.lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}
