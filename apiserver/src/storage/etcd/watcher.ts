// One Store watch on an etcd watch stream of its own. Events arrive in revision order; the
// watcher queues them and hands them to onEvent one at a time (a returned promise holds the next
// back), ending the watch as too slow when its queue overflows while the consumer is stuck. If the
// stream breaks (a member died, a connection reset) it re-watches from the last revision it
// delivered, through whichever member the client reaches, so the consumer sees neither a gap nor a
// duplicate; etcd answers a start revision older than its compaction with the compact revision,
// which ends the watch with StoreCompactedError (→ 410 Gone).
//
// The watch starts AT sinceRevision (not after it) and drops that revision's own events: etcd
// accepts a start revision equal to its compact revision, while the Store contract refuses any
// sinceRevision below the compacted one, and this makes etcd refuse exactly those.
import { StoreClosedError, StoreCompactedError, StoreWatcherTooSlowError } from '../errors.js';
import type { StoreWatch, StoreWatchEvent, WatchOptions } from '../store.js';
import type { EventPb, GrpcError, WatchCall, WatchResponsePb } from './client.js';
import type { EtcdStore } from './store.js';

const EMPTY = Buffer.alloc(0);
/** Re-watch backoff after a broken stream, and how long to keep trying before giving up. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;
const RETRY_GIVE_UP_MS = 60_000;

export class EtcdWatcher implements StoreWatch {
  /** Every matching event with revision ≤ cursor has been queued or delivered. */
  private cursor: number;
  private queue: StoreWatchEvent[] = [];
  private busy = false;
  private ended = false;
  private stream: WatchCall | null = null;
  private progressTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_MIN_MS;
  private failingSince = 0;

  constructor(
    private readonly store: EtcdStore,
    private readonly prefix: string,
    private readonly opts: WatchOptions,
    private readonly maxQueued: number,
    private readonly remove: (w: EtcdWatcher) => void,
  ) {
    this.cursor = opts.sinceRevision;
  }

  start(): void {
    this.open();
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.teardown();
  }

  /** Ends the watch with `err`, even while onEvent is pending: a stalled consumer must learn it. */
  fail(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.teardown();
    this.opts.onError(err);
  }

  private teardown(): void {
    this.queue = [];
    if (this.progressTimer) clearTimeout(this.progressTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.progressTimer = this.retryTimer = null;
    const s = this.stream;
    this.stream = null;
    try {
      // Half-close, then reset the stream: etcd drops the watcher at once.
      s?.end();
      s?.cancel();
    } catch {
      // Already gone.
    }
    this.remove(this);
  }

  private open(): void {
    if (this.ended) return;
    const stream = this.store.client.watch();
    this.stream = stream;
    stream.on('data', (r: WatchResponsePb) => {
      if (this.stream === stream) this.response(r);
    });
    // Events of a stream this watcher has replaced or torn down are ignored.
    stream.on('error', (e: GrpcError) => {
      if (this.stream !== stream) return;
      this.store.client.streamFailed(e);
      this.broken(e);
    });
    stream.on('end', () => {
      if (this.stream === stream) this.broken(new Error('etcd closed the watch stream'));
    });
    const { key, rangeEnd } = this.store.keys.range(this.prefix);
    const exact = this.opts.exactKey === true;
    stream.write({
      create_request: {
        key: exact ? this.store.keys.toEtcd(this.prefix) : key,
        ...(exact ? {} : { range_end: rangeEnd }),
        start_revision: Math.max(this.cursor, 1),
        prev_kv: true,
        progress_notify: this.opts.progressNotifyMs !== undefined,
      },
    });
    this.armProgress();
  }

  private broken(err: Error): void {
    if (this.ended) return;
    this.stream = null;
    if (this.store.isClosed) {
      this.fail(new StoreClosedError());
      return;
    }
    const now = Date.now();
    if (this.failingSince === 0) this.failingSince = now;
    if (now - this.failingSince > RETRY_GIVE_UP_MS) {
      this.fail(err);
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private response(r: WatchResponsePb): void {
    if (this.ended) return;
    if (r.canceled) {
      const compacted = Number(r.compact_revision);
      this.fail(
        compacted > 0
          ? new StoreCompactedError(this.opts.sinceRevision, compacted)
          : new Error(`etcd cancelled the watch on ${this.prefix}: ${r.cancel_reason}`),
      );
      return;
    }
    // A live answer: the stream works again.
    this.failingSince = 0;
    this.retryMs = RETRY_MIN_MS;
    if (r.created) return;
    if (r.events.length === 0) {
      // A progress notification (ours or etcd's periodic one): every event ≤ revision was sent.
      const revision = Number(r.header.revision);
      if (revision > this.cursor) this.cursor = revision;
      if (this.opts.progressNotifyMs !== undefined && this.queue.length === 0 && !this.busy) {
        this.offer({ type: 'progress', revision });
      }
      return;
    }
    for (const ev of r.events) {
      const e = this.event(ev);
      if (e.revision <= this.cursor) continue;
      this.cursor = e.revision;
      this.offer(e);
      if (this.ended) return;
    }
    this.armProgress();
  }

  private event(ev: EventPb): StoreWatchEvent {
    const kv = this.store.kv(ev.kv);
    const prevKv = ev.prev_kv ? this.store.kv(ev.prev_kv) : undefined;
    if (ev.type === 'DELETE') {
      return {
        type: 'delete',
        kv: { key: kv.key, value: EMPTY, createRevision: 0, modRevision: kv.modRevision },
        ...(prevKv ? { prevKv } : {}),
        revision: kv.modRevision,
        isCreate: false,
      };
    }
    return {
      type: 'put',
      kv,
      ...(prevKv ? { prevKv } : {}),
      revision: kv.modRevision,
      isCreate: kv.createRevision === kv.modRevision,
    };
  }

  private offer(e: StoreWatchEvent): void {
    if (this.busy && this.queue.length >= this.maxQueued) {
      this.fail(new StoreWatcherTooSlowError(this.prefix, this.maxQueued));
      return;
    }
    this.queue.push(e);
    if (!this.busy) this.drain();
  }

  private drain(): void {
    while (!this.ended && !this.busy) {
      const e = this.queue.shift();
      if (e === undefined) return;
      let r: void | PromiseLike<void>;
      try {
        r = this.opts.onEvent(e);
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (r && typeof (r as PromiseLike<void>).then === 'function') {
        this.busy = true;
        (r as PromiseLike<void>).then(
          () => {
            this.busy = false;
            this.drain();
          },
          (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))),
        );
      }
    }
  }

  /** After progressNotifyMs without an event, ask etcd for this stream's progress. */
  private armProgress(): void {
    const ms = this.opts.progressNotifyMs;
    if (ms === undefined || this.ended) return;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = setTimeout(() => {
      this.progressTimer = null;
      if (this.ended) return;
      if (this.stream && this.queue.length === 0 && !this.busy) {
        try {
          this.stream.write({ progress_request: {} });
        } catch {
          // The stream broke; the error handler re-watches.
        }
      }
      this.armProgress();
    }, ms);
    this.progressTimer.unref?.();
  }
}
