// --max-requests-inflight and --max-mutating-requests-inflight, as genericfilters.WithMaxInFlightLimit
// (what kube-apiserver runs with --enable-priority-and-fairness=false): at most that many read-only
// (get, list, watch) and mutating requests at once, long-running ones (watches, exec, proxy, logs)
// not counted; past the limit a request is answered 429 with Retry-After: 1 at once, never queued —
// except for system:masters, "so powerful that they should always get an answer". A limit of 0 is
// no limit for that kind.
import type { UserInfo } from '@mkube/shared/auth';
import { isLongRunning } from '../audit/index.js';
import type { RequestInfo } from '../request/requestinfo.js';

export type RequestKind = 'readOnly' | 'mutating';

const NON_MUTATING_VERBS = new Set(['get', 'list', 'watch']);

/** upstream's tooManyRequests: plain text, not a Status. */
export const TOO_MANY_REQUESTS_TEXT = 'Too many requests, please try again later.\n';

export class MaxInFlightLimiter {
  readonly #limits: Record<RequestKind, number>;
  readonly #inflight: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };

  constructor(readOnly: number, mutating: number) {
    this.#limits = { readOnly, mutating };
  }

  get inflight(): Readonly<Record<RequestKind, number>> {
    return this.#inflight;
  }

  /**
   * A release function when the request may run (call it once it is answered), undefined when it
   * is not counted, 'reject' when its kind is full.
   */
  admit(info: RequestInfo, user: UserInfo): (() => void) | undefined | 'reject' {
    if (isLongRunning(info)) return undefined;
    const kind: RequestKind = NON_MUTATING_VERBS.has(info.verb) ? 'readOnly' : 'mutating';
    const limit = this.#limits[kind];
    if (!(limit > 0)) return undefined;
    if (this.#inflight[kind] >= limit) {
      if (user.groups.includes('system:masters')) return undefined;
      return 'reject';
    }
    this.#inflight[kind]++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inflight[kind]--;
    };
  }
}
