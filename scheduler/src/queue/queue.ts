// The scheduling queue (backend/queue/scheduling_queue.go's PriorityQueue): activeQ holds pods to
// try now, highest priority first; backoffQ holds pods until their backoff ends; unschedulablePods
// parks pods no node fits until a cluster event one of their rejecting plugins cares about (or, after
// --pod-max-in-unschedulable-pods-duration, a timeout) sends them back. Pods whose scheduling gates
// are set wait there too, for their own update. One pod is in flight at a time.
import type { Pod } from '../api/index.js';
import type { ClusterEvent, FilterPlugin } from '../framework/interface.js';
import { KeyedHeap } from './heap.js';
import {
  activeLess,
  backoffDuration,
  isPodUpdated,
  newQueuedPodInfo,
  type QueuedPodInfo,
  schedulingGated,
} from './podinfo.js';

export interface QueueOptions {
  readonly podInitialBackoffMs: number;
  readonly podMaxBackoffMs: number;
  readonly podMaxInUnschedulablePodsDurationMs: number;
  /** Filter plugins by name: their queueing hints decide which events retry a parked pod. */
  readonly plugins: ReadonlyMap<string, FilterPlugin>;
  readonly now?: () => number;
}

export interface PendingCounts {
  readonly active: number;
  readonly backoff: number;
  readonly unschedulable: number;
  readonly gated: number;
}

/** flushBackoffQCompleted's and flushUnschedulablePodsLeftover's periods. */
export const BACKOFF_FLUSH_MS = 1000;
export const UNSCHEDULABLE_FLUSH_MS = 30_000;

export class SchedulingQueue {
  readonly #o: QueueOptions;
  readonly #now: () => number;
  readonly #active = new KeyedHeap<QueuedPodInfo>(activeLess);
  readonly #backoff: KeyedHeap<QueuedPodInfo>;
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  /** Popped and not yet done: the newest object seen for each (null once deleted). */
  readonly #inFlight = new Map<string, Pod | null>();
  #schedulingCycle = 0;
  /** The cycle during which the last move request came: pods failing in it go to backoffQ. */
  #moveRequestCycle = -1;
  #waiters: ((p: QueuedPodInfo | undefined) => void)[] = [];
  #closed = false;

  constructor(opts: QueueOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#backoff = new KeyedHeap<QueuedPodInfo>((a, b) => this.#backoffExpiry(a) < this.#backoffExpiry(b));
  }

  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  counts(): PendingCounts {
    let gated = 0;
    for (const p of this.#unschedulable.values()) if (p.gated) gated++;
    return {
      active: this.#active.size,
      backoff: this.#backoff.size,
      unschedulable: this.#unschedulable.size - gated,
      gated,
    };
  }

  #backoffExpiry(p: QueuedPodInfo): number {
    return p.timestamp + backoffDuration(p.attempts, this.#o.podInitialBackoffMs, this.#o.podMaxBackoffMs);
  }

  #isBackingOff(p: QueuedPodInfo): boolean {
    return !p.gated && this.#backoffExpiry(p) > this.#now();
  }

  /** moveToActiveQ: through PreEnqueue (scheduling gates) into activeQ, or parked as gated. */
  #toActive(p: QueuedPodInfo): void {
    this.#backoff.delete(p.key);
    this.#unschedulable.delete(p.key);
    p.gated = schedulingGated(p.pod);
    if (p.gated) {
      this.#unschedulable.set(p.key, p);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(this.#take(p));
      return;
    }
    this.#active.set(p.key, p);
  }

  /** A pod enters a scheduling cycle. */
  #take(p: QueuedPodInfo): QueuedPodInfo {
    p.attempts++;
    p.initialAttemptTimestamp ??= this.#now();
    this.#schedulingCycle++;
    this.#inFlight.set(p.key, p.pod);
    return p;
  }

  /** Add: a new pod waiting for a node. */
  add(pod: Pod): void {
    if (this.#closed) return;
    const p = newQueuedPodInfo(pod, this.#now());
    if (this.#inFlight.has(p.key)) {
      this.#inFlight.set(p.key, pod);
      return;
    }
    this.#toActive(p);
  }

  update(old: Pod, pod: Pod): void {
    if (this.#closed) return;
    const key = newQueuedPodInfo(pod, 0).key;
    const queued = this.#active.get(key) ?? this.#backoff.get(key);
    if (queued) {
      queued.pod = pod;
      if (this.#active.has(key)) this.#active.set(key, queued);
      else this.#backoff.set(key, queued);
      return;
    }
    const parked = this.#unschedulable.get(key);
    if (parked) {
      parked.pod = pod;
      if (parked.gated) {
        if (!schedulingGated(pod)) this.#toActive(parked);
      } else if (isPodUpdated(old, pod)) {
        // The pod itself changed (tolerations, affinity, requests…): try it again.
        this.#unschedulable.delete(key);
        if (this.#isBackingOff(parked)) this.#backoff.set(key, parked);
        else this.#toActive(parked);
      }
      return;
    }
    if (this.#inFlight.has(key)) {
      this.#inFlight.set(key, pod);
      return;
    }
    this.add(pod);
  }

  delete(pod: Pod): void {
    const key = newQueuedPodInfo(pod, 0).key;
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    if (this.#inFlight.has(key)) this.#inFlight.set(key, null);
  }

  /** The next pod to try, waiting for one; undefined once closed or `signal` aborts. */
  pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    if (this.#closed || signal?.aborted) return Promise.resolve(undefined);
    const p = this.#active.pop();
    if (p) return Promise.resolve(this.#take(p));
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(undefined);
      };
      const waiter = (p: QueuedPodInfo | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(p);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * Done: the cycle of `p` ended. Its newest object, or undefined if it was deleted meanwhile (the
   * pod then is not requeued).
   */
  done(p: QueuedPodInfo): Pod | undefined {
    const latest = this.#inFlight.get(p.key);
    this.#inFlight.delete(p.key);
    return latest ?? undefined;
  }

  /**
   * AddUnschedulableIfNotPresent: a pod that failed its cycle (started at `podSchedulingCycle`)
   * comes back. Rejected by plugins: parked, unless an event came during its cycle; after an error
   * (no rejecting plugin): backoffQ.
   */
  addUnschedulable(p: QueuedPodInfo, podSchedulingCycle: number): void {
    if (this.#closed || this.#active.has(p.key) || this.#backoff.has(p.key) || this.#unschedulable.has(p.key)) return;
    p.timestamp = this.#now();
    if (this.#moveRequestCycle >= podSchedulingCycle || p.unschedulablePlugins.size === 0) {
      this.#backoff.set(p.key, p);
    } else {
      this.#unschedulable.set(p.key, p);
    }
  }

  /** isPodWorthRequeuing: a timeout always; else any rejecting plugin whose hint says Queue. */
  #worthRequeuing(p: QueuedPodInfo, e: ClusterEvent): boolean {
    if (e.kind === 'UnschedulableTimeout' || p.unschedulablePlugins.size === 0) return true;
    for (const name of p.unschedulablePlugins) {
      const pl = this.#o.plugins.get(name);
      if (!pl || pl.queueingHint(p.pod, e) === 'Queue') return true;
    }
    return false;
  }

  /** MoveAllToActiveOrBackoffQueue for the parked pods `which` selects. */
  moveAllToActiveOrBackoff(e: ClusterEvent, which: (p: QueuedPodInfo) => boolean = () => true): number {
    let moved = 0;
    for (const p of [...this.#unschedulable.values()]) {
      if (p.gated || !which(p) || !this.#worthRequeuing(p, e)) continue;
      this.#unschedulable.delete(p.key);
      if (this.#isBackingOff(p)) this.#backoff.set(p.key, p);
      else this.#toActive(p);
      moved++;
    }
    this.#moveRequestCycle = this.#schedulingCycle;
    return moved;
  }

  /** flushBackoffQCompleted: pods whose backoff ended go to activeQ. */
  flushBackoffCompleted(): void {
    for (;;) {
      const p = this.#backoff.peek();
      if (!p || this.#backoffExpiry(p) > this.#now()) return;
      this.#backoff.pop();
      this.#toActive(p);
    }
  }

  /** flushUnschedulablePodsLeftover: pods parked too long are tried again. */
  flushUnschedulableLeftover(): void {
    const now = this.#now();
    const max = this.#o.podMaxInUnschedulablePodsDurationMs;
    this.moveAllToActiveOrBackoff({ kind: 'UnschedulableTimeout' }, (p) => now - p.timestamp > max);
  }

  /** Runs both flushes on their periods until `signal` aborts, then closes the queue. */
  run(signal: AbortSignal): void {
    const backoff = setInterval(() => this.flushBackoffCompleted(), BACKOFF_FLUSH_MS);
    const leftover = setInterval(() => this.flushUnschedulableLeftover(), UNSCHEDULABLE_FLUSH_MS);
    const stop = () => {
      clearInterval(backoff);
      clearInterval(leftover);
      this.close();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  }

  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(undefined);
  }
}
