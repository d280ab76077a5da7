// The Retry-After of API Priority and Fairness' 429s (upstream's dropped_requests_tracker.go): per
// priority level it starts at 1 s, doubles (up to 32 s) when at least 3 × retryAfter requests were
// dropped over the last retryAfter seconds, no sooner than retryAfter seconds after the previous rise,
// and goes down by 1 s when fewer than retryAfter were. It is worked out only when a drop falls in a
// new second, from the seconds before it, as upstream's.

const MAX_RETRY_AFTER = 32;

class DroppedRequestsStats {
  /** Drops per second before the current one, oldest first. */
  private history: { unix: number; count: number }[] = [];
  private currentUnix = 0;
  private currentCount = 0;
  retryAfter = 1;
  private retryAfterUpdateUnix = 0;

  record(unix: number): void {
    if (unix === this.currentUnix) {
      this.currentCount++;
      return;
    }
    this.updateHistory(this.currentUnix, this.currentCount);
    this.currentUnix = unix;
    this.currentCount = 1;
    this.updateRetryAfter(unix);
  }

  private updateHistory(unix: number, count: number): void {
    this.history.push({ unix, count });
    // Seconds older than 2 × retryAfter (or the maximum) are never looked at again.
    const keep = Math.min(2 * this.retryAfter, MAX_RETRY_AFTER);
    let start = 0;
    while (start < this.history.length && unix - this.history[start]!.unix > keep) start++;
    if (start > 0) this.history = this.history.slice(start);
  }

  /** Over [unix - retryAfter, unix). */
  private updateRetryAfter(unix: number): void {
    const retryAfter = this.retryAfter;
    let dropped = 0;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const h = this.history[i]!;
      if (unix - h.unix > retryAfter) break;
      if (h.unix < unix) dropped += h.count;
    }
    if (unix - this.retryAfterUpdateUnix >= retryAfter && dropped >= 3 * retryAfter) {
      this.retryAfter = Math.min(retryAfter * 2, MAX_RETRY_AFTER);
      this.retryAfterUpdateUnix = unix;
      return;
    }
    if (dropped < retryAfter && retryAfter > 1) this.retryAfter = retryAfter - 1;
  }
}

export class DroppedRequestsTracker {
  private readonly levels = new Map<string, DroppedRequestsStats>();

  /** `nowUnix`: whole seconds of wall-clock time. */
  constructor(private readonly nowUnix: () => number = () => Math.floor(Date.now() / 1000)) {}

  /** A request of this level was just dropped (rejected for any reason). */
  recordDroppedRequest(level: string): void {
    let stats = this.levels.get(level);
    if (!stats) {
      stats = new DroppedRequestsStats();
      this.levels.set(level, stats);
    }
    stats.record(this.nowUnix());
  }

  /** The Retry-After, in seconds, for this level's drops now. */
  retryAfter(level: string): number {
    return this.levels.get(level)?.retryAfter ?? 1;
  }
}
