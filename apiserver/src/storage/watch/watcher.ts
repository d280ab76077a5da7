// One watch: a cursor, a bounded queue and a pump. A watcher starts in `replay` (catching up from
// the event log page by page, pulling the next page only when its queue is empty, so replay never
// overflows) and switches to `live` in the same synchronous step that finds the log exhausted.
// Live events are pushed by the broadcaster right after each commit; events at or below the cursor
// are dropped, so the hand-over has neither gap nor duplicate. Kept small: 10,000 idle watchers
// are a few megabytes.
import { StoreWatcherTooSlowError } from '../errors.js';
import type { StoreWatchEvent, WatchOptions } from '../store.js';

/** A synchronous read of the log (it must see every commit published so far, and no other). */
export interface EventLog {
  /**
   * Events on `prefix` with revision > `after`, a bounded window of them. `through` is the highest
   * revision the window covered; `caughtUp` that it reached the current revision. Throws
   * StoreCompactedError when `after` is older than the compacted revision.
   */
  readSince(prefix: string, after: number): { events: StoreWatchEvent[]; through: number; caughtUp: boolean };
}

export type WatcherState = 'replay' | 'live' | 'ended';

export class Watcher {
  state: WatcherState;
  /** Every matching event with revision ≤ cursor has been queued or delivered. */
  cursor: number;
  /** In the broadcaster's ready list. */
  scheduled = false;
  /** Enqueued an event since the last progress tick. */
  active = false;
  private queue: StoreWatchEvent[] | null = null;
  private head = 0;
  /** onEvent's promise has not settled yet. */
  private busy = false;
  private failure: Error | null = null;

  constructor(
    readonly prefix: string,
    private readonly opts: WatchOptions,
    readonly maxQueued: number,
    live: boolean,
    private readonly schedule: (w: Watcher) => void,
    private readonly remove: (w: Watcher) => void,
  ) {
    this.state = live ? 'live' : 'replay';
    this.cursor = opts.sinceRevision;
  }

  get progressNotifyMs(): number | undefined {
    return this.opts.progressNotifyMs;
  }

  get queued(): number {
    return this.queue ? this.queue.length - this.head : 0;
  }

  /** Live delivery from the broadcaster (inside a write's commit step: only queue, never call out). */
  offer(e: StoreWatchEvent): void {
    if (this.state !== 'live' || this.failure) return;
    if (e.type !== 'progress') {
      if (e.revision <= this.cursor) return;
      this.cursor = e.revision;
      this.active = true;
    }
    // Only a consumer that is holding an event back can be too slow: one that is merely waiting
    // for the next drain slice empties its queue there, however large a commit was.
    if (this.busy && this.queued >= this.maxQueued) {
      this.fail(new StoreWatcherTooSlowError(this.prefix, this.maxQueued));
      return;
    }
    this.push(e);
    if (!this.busy) this.schedule(this);
  }

  /** Ends the watch with `err` (delivered asynchronously through the pump). */
  fail(err: Error): void {
    if (this.state === 'ended' || this.failure) return;
    this.failure = err;
    this.queue = null;
    this.head = 0;
    this.schedule(this);
  }

  stop(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.queue = null;
    this.remove(this);
  }

  /**
   * Delivers queued events (and replay pages) until the queue is empty, onEvent asks to wait, or
   * `budget` deliveries are spent. Returns the deliveries made; re-schedules itself if work remains.
   */
  pump(log: EventLog, budget: number): number {
    let spent = 0;
    while (this.state !== 'ended') {
      // A failure is reported even while onEvent is pending: a stalled consumer must still learn
      // that its watch is over.
      if (this.failure) {
        const err = this.failure;
        this.stop();
        this.opts.onError(err);
        return spent + 1;
      }
      if (this.busy) return spent;
      if (spent >= budget) {
        this.schedule(this);
        return spent;
      }
      const e = this.shift();
      if (e === undefined) {
        if (this.state !== 'replay') return spent;
        // A log window costs more than one delivery: it scans up to a window of revisions.
        spent += 16;
        this.readPage(log);
        continue;
      }
      spent++;
      this.deliver(e);
    }
    return spent;
  }

  private readPage(log: EventLog): void {
    try {
      const page = log.readSince(this.prefix, this.cursor);
      for (const e of page.events) this.push(e);
      this.cursor = page.through;
      if (page.caughtUp) this.state = 'live';
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private deliver(e: StoreWatchEvent): void {
    let r: void | PromiseLike<void>;
    try {
      r = this.opts.onEvent(e);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (r && typeof r.then === 'function') {
      this.busy = true;
      r.then(
        () => {
          this.busy = false;
          if (this.state !== 'ended' && (this.queued > 0 || this.state === 'replay' || this.failure)) {
            this.schedule(this);
          }
        },
        (err: unknown) => {
          this.busy = false;
          this.fail(err instanceof Error ? err : new Error(String(err)));
        },
      );
    }
  }

  private push(e: StoreWatchEvent): void {
    if (this.queue === null) this.queue = [];
    this.queue.push(e);
  }

  private shift(): StoreWatchEvent | undefined {
    const q = this.queue;
    if (q === null || this.head >= q.length) return undefined;
    const e = q[this.head++];
    if (this.head >= q.length) {
      // Drained: drop the array so an idle watcher holds nothing.
      this.queue = null;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    return e;
  }
}
