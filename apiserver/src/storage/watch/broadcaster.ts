// In-process fan-out of committed writes to watchers. `publish` runs inside the write path, so it
// only appends to per-watcher queues; callbacks run later from one drain loop that works in
// bounded slices (setImmediate between them), so neither writers nor other watchers wait on a
// slow consumer. Watchers are grouped by prefix: an event costs one startsWith per distinct prefix
// plus one queue push per matching watcher; watchers of one exact key (a kubelet waiting for its
// CSR) are indexed by that key, so a thousand of them cost one map lookup per event.
import type { StoreWatch, StoreWatchEvent, WatchOptions } from '../store.js';
import { type EventLog, Watcher } from './watcher.js';

export interface BroadcasterOptions {
  readonly log: EventLog;
  /** The store's revision; every event at or below it has been published. */
  readonly currentRevision: () => number;
  /** Default bound of each watcher's queue. */
  readonly maxQueuedEvents: number;
  /** Deliveries per drain slice before yielding to the event loop. */
  readonly sliceBudget?: number;
}

interface ProgressTicker {
  readonly timer: NodeJS.Timeout;
  readonly watchers: Set<Watcher>;
}

export class Broadcaster {
  private readonly byPrefix = new Map<string, Set<Watcher>>();
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly exact = new WeakSet<Watcher>();
  private readonly tickers = new Map<number, ProgressTicker>();
  private ready: Watcher[] = [];
  private drainScheduled = false;
  private size = 0;
  private readonly sliceBudget: number;

  constructor(private readonly opts: BroadcasterOptions) {
    this.sliceBudget = opts.sliceBudget ?? 4096;
  }

  get watcherCount(): number {
    return this.size;
  }

  /** Registers a watcher; with `failWith` it is ended at once (reported through onError). */
  add(prefix: string, wopts: WatchOptions, failWith?: Error): StoreWatch {
    const since = wopts.sinceRevision;
    // From now (or the future) there is nothing to replay: go live at once, no log read.
    const live = since >= this.opts.currentRevision();
    const w = new Watcher(
      prefix,
      wopts,
      wopts.maxQueuedEvents ?? this.opts.maxQueuedEvents,
      live,
      (x) => this.schedule(x),
      (x) => this.detach(x),
    );
    const index = wopts.exactKey ? this.byKey : this.byPrefix;
    if (wopts.exactKey) this.exact.add(w);
    let set = index.get(prefix);
    if (!set) {
      set = new Set();
      index.set(prefix, set);
    }
    set.add(w);
    this.size++;
    const ms = wopts.progressNotifyMs;
    if (ms !== undefined && ms > 0) this.ticker(ms).watchers.add(w);
    if (failWith) w.fail(failWith);
    else if (!live) this.schedule(w);
    return { stop: () => w.stop() };
  }

  /** Called right after a commit with its events in revision order. */
  publish(events: readonly StoreWatchEvent[]): void {
    if (this.size === 0) return;
    for (const e of events) {
      if (e.type === 'progress') continue;
      const key = e.kv.key;
      const exact = this.byKey.get(key);
      if (exact) for (const w of exact) w.offer(e);
      for (const [prefix, set] of this.byPrefix) {
        if (!key.startsWith(prefix)) continue;
        for (const w of set) w.offer(e);
      }
    }
  }

  /** Ends every watcher with `err` (store closing). */
  failAll(err: Error): void {
    for (const index of [this.byPrefix, this.byKey]) for (const set of index.values()) for (const w of set) w.fail(err);
  }

  /** Drains synchronously what is queued (close() uses this so errors reach consumers). */
  flushNow(): void {
    for (let i = 0; i < 1000 && this.ready.length > 0; i++) this.drain();
  }

  private ticker(ms: number): ProgressTicker {
    let t = this.tickers.get(ms);
    if (!t) {
      const watchers = new Set<Watcher>();
      const timer = setInterval(() => this.tick(watchers), ms);
      timer.unref();
      t = { timer, watchers };
      this.tickers.set(ms, t);
    }
    return t;
  }

  private tick(watchers: Set<Watcher>): void {
    const revision = this.opts.currentRevision();
    for (const w of watchers) {
      // Like etcd, notify only watchers that saw no event during the interval.
      if (w.state === 'live' && !w.active && w.queued === 0) w.offer({ type: 'progress', revision });
      w.active = false;
    }
  }

  private detach(w: Watcher): void {
    const index = this.exact.has(w) ? this.byKey : this.byPrefix;
    const set = index.get(w.prefix);
    if (set?.delete(w)) {
      this.size--;
      if (set.size === 0) index.delete(w.prefix);
    }
    const ms = w.progressNotifyMs;
    if (ms !== undefined) {
      const t = this.tickers.get(ms);
      if (t) {
        t.watchers.delete(w);
        if (t.watchers.size === 0) {
          clearInterval(t.timer);
          this.tickers.delete(ms);
        }
      }
    }
  }

  private schedule(w: Watcher): void {
    if (w.scheduled || w.state === 'ended') return;
    w.scheduled = true;
    this.ready.push(w);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.drainScheduled = false;
    const batch = this.ready;
    this.ready = [];
    let budget = this.sliceBudget;
    let i = 0;
    for (; i < batch.length && budget > 0; i++) {
      const w = batch[i]!;
      w.scheduled = false;
      try {
        budget -= w.pump(this.opts.log, Math.min(budget, 256));
      } catch (err) {
        // Only onError can throw here; surface it without stopping the other watchers.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    // Whatever the slice did not reach goes first next time.
    if (i < batch.length) this.ready = batch.slice(i).concat(this.ready);
    if (this.ready.length > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }
}
