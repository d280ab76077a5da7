// flowcontrol.Backoff as the DaemonSet controller uses it for failed pods: the kubelet may keep
// rejecting a daemon pod (a port taken, say), and deleting and re-creating it at once would fight it
// in a hot loop. Per node and DaemonSet the wait doubles from 1 s to 15 min, and starts over once
// nothing failed there for twice the maximum.

export const FAILED_PODS_BACKOFF_INITIAL_MS = 1000;
export const FAILED_PODS_BACKOFF_MAX_MS = 15 * 60_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly initialMs = FAILED_PODS_BACKOFF_INITIAL_MS,
    readonly maxMs = FAILED_PODS_BACKOFF_MAX_MS,
    readonly now: () => number = Date.now,
  ) {}

  /** The current wait for `key` (0 if none). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** IsInBackOffSinceUpdate: still inside the wait started at the last Next. */
  isInBackOffSinceUpdate(key: string, now = this.now()): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(e, now)) return false;
    return now - e.lastUpdate < e.backoffMs;
  }

  /** Next: starts or doubles the wait. */
  next(key: string, now = this.now()): void {
    const e = this.#entries.get(key);
    if (!e || this.#expired(e, now)) {
      this.#entries.set(key, { backoffMs: this.initialMs, lastUpdate: now });
      return;
    }
    e.lastUpdate = now;
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
  }

  /** GC: forgets entries idle for twice the maximum. */
  gc(now = this.now()): void {
    for (const [k, e] of this.#entries) if (this.#expired(e, now)) this.#entries.delete(k);
  }

  #expired(e: Entry, now: number): boolean {
    return now - e.lastUpdate > 2 * this.maxMs;
  }
}
