// One priority level's seats and queues (upstream's fairqueuing/queueset): the exempt level executes
// everything; a Reject level executes while a seat is free and rejects past that; a Queue level puts
// each request in the least loaded queue of its flow's shuffle-sharding hand and dispatches waiting
// requests by virtual-finish-time fair queuing, so one busy flow cannot starve the others.
//
// A request takes the seats of its work estimate: max(initial, final) from dispatch until it finishes
// and, when it has final seats, for their additional latency after that. A request wider than the
// level's limit (or any request at a limit of 0, a level that lent all its seats) executes only when
// nothing else does, as upstream's; a wide request at the head of the chosen queue holds dispatching
// up until enough seats are free.
//
// Simplifications against upstream, each deliberate:
// - A waiting request is timed out by its own timer after the wait limit (upstream: the deadline of
//   its queue-wait context); arrivals still sweep their queue of overdue ones first, as upstream does.
import type { UserInfo } from '@mkube/shared/auth';
import type { RequestInfo } from '../request/requestinfo.js';
import { Integrator } from './integrator.js';
import type {
  Admission,
  CancelSignal,
  Classification,
  FlowControlMetrics,
  RejectReason,
  WorkEstimate,
} from './types.js';

/** upstream's estimatedServiceDuration G: the work, in seat-seconds, charged to a queue per dispatch before the real duration is known. */
export const ESTIMATED_SERVICE_SECONDS = 0.003;

/** The estimate of almost every request: one seat, nothing after. */
export const ONE_SEAT: WorkEstimate = Object.freeze({ initialSeats: 1, finalSeats: 0, additionalLatencyMs: 0 });

/** Seat-seconds a request is charged in virtual time: its initial seats for G, its final seats for their latency. */
export function totalWork(w: WorkEstimate): number {
  return w.initialSeats * ESTIMATED_SERVICE_SECONDS + (w.finalSeats * w.additionalLatencyMs) / 1000;
}

export interface QueuingParams {
  readonly queues: number;
  readonly handSize: number;
  readonly queueLengthLimit: number;
}

export interface QueueSetConfig {
  /** Never limited (the `exempt` level); still counted. */
  readonly exempt: boolean;
  readonly concurrencyLimit: number;
  /** Absent: limitResponse Reject (or exempt). */
  readonly queuing?: QueuingParams;
}

export interface QueueSetEnv {
  readonly now: () => number;
  readonly requestWaitLimitMs: number;
  readonly metrics?: FlowControlMetrics | undefined;
  /** Notes a rejection of this level's and gives its Retry-After in seconds (1 when absent). */
  readonly dropped?: ((level: string) => number) | undefined;
}

const WAITING = 0;
const EXECUTING = 1;
const DONE = 2;

export class FairQueue {
  /** Waiting requests, oldest first (an intrusive list through Ticket.prev/next). */
  head: Ticket | null = null;
  tail: Ticket | null = null;
  waiting = 0;
  executing = 0;
  /** Seats held by requests dispatched from this queue (until their final seats' latency ends). */
  seatsInUse = 0;
  /** Virtual time (seat-seconds) at which this queue's next dispatch starts. */
  nextDispatchR = 0;
  /** Has waiting or executing requests. */
  active = false;

  constructor(public index: number) {}
}

/** One request in a level: waiting, executing, or done. Once executing it is the execute Admission. */
export class Ticket {
  readonly outcome = 'execute' as const;
  /** WAITING → EXECUTING → DONE, or WAITING → DONE when rejected. */
  state = WAITING;
  queue: FairQueue | null = null;
  prev: Ticket | null = null;
  next: Ticket | null = null;
  startMs = Number.NaN;
  /** Virtual time at arrival. */
  arrivalR = 0;
  resolve: ((a: Admission) => void) | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  signal: CancelSignal | undefined = undefined;
  /** max(initial, final) seats: what the request holds from dispatch. */
  seats: number;

  constructor(
    readonly set: QueueSet,
    readonly classification: Classification,
    readonly flowSchemaName: string,
    readonly info: RequestInfo,
    readonly user: UserInfo,
    readonly arrivalMs: number,
    public width: WorkEstimate = ONE_SEAT,
  ) {
    this.seats = Math.max(width.initialSeats, width.finalSeats);
  }

  /** Gives the seat back; later calls do nothing. */
  release(): void {
    if (this.state === EXECUTING) this.set.finish(this);
  }

  /** The abort listener of a waiting request's signal. */
  handleEvent(): void {
    this.set.abandon(this, 'cancelled');
  }
}

function onWaitTimeout(t: Ticket): void {
  t.set.abandon(t, 'time-out');
}

function onFinalSeatsDone(t: Ticket): void {
  t.set.releaseSeats(t, t.set.nowMs());
}

export class QueueSet {
  private cfg: QueueSetConfig;
  queues: FairQueue[] = [];
  /** Index of the queue dispatched from last (upstream's robinIndex). */
  private robinIndex = -1;
  /** Virtual time: seat-seconds of service each active queue has been entitled to. */
  private currentR = 0;
  private lastMs: number;
  private activeQueues = 0;
  /** Seats held by requests dispatched from queues. */
  private queuedSeatsInUse = 0;
  /** Seats (max(initial, final)) of the waiting requests. */
  private waitingSeats = 0;
  /** Arrivals through shuffle sharding so far; rotates the scan of a hand to break ties. */
  private enqueues = 0;
  /** Executing requests (an intrusive list through Ticket.prev/next). */
  private execHead: Ticket | null = null;

  executing = 0;
  waiting = 0;
  /** Seats held: executing requests' and those still in their final seats' latency. */
  seatsInUse = 0;
  dispatched = 0;
  rejected = 0;
  timedOut = 0;
  cancelled = 0;
  /** The level left the configuration: it finishes what it holds and takes nothing new. */
  quiescing = false;
  /** Called when a quiescing set has become idle. */
  onIdle: (() => void) | undefined;
  /** Seats wanted (held and waiting) over time: the input to borrowing between levels. */
  readonly demand: Integrator;

  constructor(
    readonly name: string,
    cfg: QueueSetConfig,
    private readonly env: QueueSetEnv,
  ) {
    this.cfg = cfg;
    this.lastMs = env.now();
    this.demand = new Integrator(this.lastMs);
    this.configure(cfg);
  }

  get config(): QueueSetConfig {
    return this.cfg;
  }

  nowMs(): number {
    return this.env.now();
  }

  isIdle(): boolean {
    return this.executing === 0 && this.waiting === 0 && this.seatsInUse === 0;
  }

  /**
   * A new limit or queuing configuration. Queues are added at once; surplus ones go as they empty
   * (their waiting requests stay and are dispatched as before). Freed seats are used at once.
   */
  configure(cfg: QueueSetConfig): void {
    const now = this.env.now();
    this.syncTime(now);
    this.cfg = cfg;
    const desired = cfg.queuing?.queues ?? 0;
    while (this.queues.length < desired) this.queues.push(new FairQueue(this.queues.length));
    if (this.queues.length > desired) {
      const kept = this.queues.filter((q, i) => i < desired || q.waiting > 0 || q.executing > 0 || q.seatsInUse > 0);
      if (kept.length !== this.queues.length) {
        kept.forEach((q, i) => {
          q.index = i;
        });
        this.queues = kept;
        this.robinIndex = -1;
      }
    }
    this.dispatchAsMuchAsPossible(now);
  }

  /**
   * Admits or rejects a request, or queues it: `hand` is its flow's shuffle-sharding hand (indices
   * below `queuing.queues`), needed only when the set queues. Synchronous unless the request waits.
   */
  start(ticket: Ticket, hand: readonly number[] | undefined, signal?: CancelSignal): Admission | Promise<Admission> {
    const cfg = this.cfg;
    if (cfg.exempt) {
      this.beginExecution(ticket, null, ticket.arrivalMs);
      this.noteDemand(ticket.arrivalMs);
      return ticket;
    }
    const now = ticket.arrivalMs;
    this.syncTime(now);
    const queuing = cfg.queuing;
    if (!queuing || !hand || hand.length === 0) {
      if (!this.canAccommodate(ticket.seats)) return this.rejectNow(ticket, 'concurrency-limit', now);
      this.beginExecution(ticket, null, now);
      this.noteDemand(now);
      return ticket;
    }
    const queue = this.shuffleShard(hand);
    this.timeOutOverdue(queue, now);
    const seatFree = this.canAccommodate(ticket.seats);
    if (!seatFree && queue.waiting >= queuing.queueLengthLimit) return this.rejectNow(ticket, 'queue-full', now);
    if (seatFree && this.waiting === 0) {
      // Enqueue-then-dispatch in one step: nothing else is waiting, so this is the request fair
      // queuing would pick.
      this.env.metrics?.queueLength?.(this.name, ticket.flowSchemaName, queue.waiting + 1);
      this.activate(queue);
      ticket.arrivalR = this.currentR;
      this.beginExecution(ticket, queue, now);
      this.noteDemand(now);
      return ticket;
    }
    if (signal?.aborted) {
      this.cancelled++;
      return this.rejectNow(ticket, 'cancelled', now);
    }
    this.enqueue(ticket, queue);
    this.env.metrics?.queueLength?.(this.name, ticket.flowSchemaName, queue.waiting);
    this.noteDemand(now);
    this.dispatchAsMuchAsPossible(now);
    if (ticket.state === EXECUTING) return ticket;
    ticket.timer = setTimeout(onWaitTimeout, this.env.requestWaitLimitMs, ticket);
    if (signal) {
      ticket.signal = signal;
      signal.addEventListener('abort', ticket);
    }
    return new Promise<Admission>((resolve) => {
      ticket.resolve = resolve;
    });
  }

  /**
   * A request finished executing (Ticket.release). Its seats are given back now, or, when it has
   * final seats, once their additional latency has passed.
   */
  finish(t: Ticket): void {
    if (t.state !== EXECUTING) return;
    const now = this.env.now();
    this.syncTime(now);
    t.state = DONE;
    this.unlinkExecuting(t);
    this.executing--;
    const q = t.queue;
    if (q) {
      q.executing--;
      // Charge the queue the real service time instead of the estimate it was charged at dispatch.
      q.nextDispatchR -= t.width.initialSeats * (ESTIMATED_SERVICE_SECONDS - Math.max(0, now - t.startMs) / 1000);
      this.boundNextDispatch(q);
    }
    if (t.width.additionalLatencyMs > 0 && t.width.finalSeats > 0) {
      t.timer = setTimeout(onFinalSeatsDone, t.width.additionalLatencyMs, t);
      if (q) this.updateActive(q);
      return;
    }
    this.releaseSeats(t, now);
  }

  /** The request's seats go back (at its end, or after its final seats' latency). */
  releaseSeats(t: Ticket, now: number): void {
    if (t.timer !== undefined) {
      this.syncTime(now);
      clearTimeout(t.timer);
      t.timer = undefined;
    }
    this.seatsInUse -= t.seats;
    this.noteDemand(now);
    const q = t.queue;
    if (q) {
      q.seatsInUse -= t.seats;
      this.queuedSeatsInUse -= t.seats;
      this.updateActive(q);
      this.removeIfSurplus(q);
    }
    this.dispatchAsMuchAsPossible(now);
    this.checkIdle();
  }

  /** A waiting request timed out or its client went away: it leaves its queue, rejected. */
  abandon(t: Ticket, reason: 'time-out' | 'cancelled'): void {
    if (t.state !== WAITING || !t.queue) return;
    const now = this.env.now();
    this.syncTime(now);
    const q = t.queue;
    this.unlinkWaiting(t);
    this.noteDemand(now);
    this.updateActive(q);
    if (reason === 'time-out') this.timedOut++;
    else this.cancelled++;
    const resolve = t.resolve;
    const rejection = this.rejectNow(t, reason, now);
    this.boundNextDispatch(q);
    this.removeIfSurplus(q);
    resolve?.(rejection);
    this.checkIdle();
  }

  /** Executing requests, in no particular order. */
  executingTickets(): Ticket[] {
    const out: Ticket[] = [];
    for (let t = this.execHead; t; t = t.next) out.push(t);
    return out;
  }

  /** A queue's waiting requests, oldest first. */
  static waitingTickets(q: FairQueue): Ticket[] {
    const out: Ticket[] = [];
    for (let t = q.head; t; t = t.next) out.push(t);
    return out;
  }

  /** Waiting requests counted by FlowSchema name (walked at scrape time, not kept per request). */
  waitingByFlowSchema(): Map<string, number> {
    const out = new Map<string, number>();
    for (const q of this.queues) {
      for (let t = q.head; t; t = t.next) out.set(t.flowSchemaName, (out.get(t.flowSchemaName) ?? 0) + 1);
    }
    return out;
  }

  /** Queues with at least one waiting request (dump_priority_levels' ActiveQueues). */
  queuesWithWaiting(): number {
    let n = 0;
    for (const q of this.queues) if (q.waiting > 0) n++;
    return n;
  }

  /** Seats held and waiting, into the demand integrator (call after either changes). */
  private noteDemand(now: number): void {
    this.demand.set(this.seatsInUse + this.waitingSeats, now);
  }

  /** upstream's canAccommodateSeatsLocked. */
  private canAccommodate(seats: number): boolean {
    if (this.cfg.exempt) return true;
    const limit = this.cfg.concurrencyLimit;
    // Wider than the whole limit: only alone.
    if (seats > limit) return this.executing === 0;
    return this.seatsInUse + seats <= limit;
  }

  /**
   * Advances virtual time: while queues are active it runs at min(seats wanted, limit) / active
   * queues seat-seconds per second, the share each active queue is entitled to.
   */
  private syncTime(now: number): void {
    const elapsed = now - this.lastMs;
    this.lastMs = now;
    if (this.activeQueues === 0) {
      // Nothing refers to virtual time while every queue is idle: start again from zero.
      this.currentR = 0;
      return;
    }
    if (elapsed <= 0) return;
    const wanted = this.queuedSeatsInUse + this.waitingSeats;
    const rate = Math.min(wanted, Math.max(1, this.cfg.concurrencyLimit)) / this.activeQueues;
    this.currentR += (rate * elapsed) / 1000;
  }

  /** The least loaded (fewest waiting) queue of the hand, scanning from a rotating offset. */
  private shuffleShard(hand: readonly number[]): FairQueue {
    const n = hand.length;
    const offset = this.enqueues % n;
    this.enqueues++;
    let best: FairQueue | undefined;
    for (let i = 0; i < n; i++) {
      const q = this.queues[hand[(offset + i) % n]!];
      if (q && (!best || q.waiting < best.waiting)) best = q;
    }
    return best ?? this.queues[0]!;
  }

  private timeOutOverdue(q: FairQueue, now: number): void {
    const limit = now - this.env.requestWaitLimitMs;
    while (q.head && q.head.arrivalMs < limit) this.abandon(q.head, 'time-out');
  }

  private activate(q: FairQueue): void {
    if (!q.active) q.nextDispatchR = this.currentR;
  }

  private updateActive(q: FairQueue): void {
    const active = q.waiting > 0 || q.executing > 0 || q.seatsInUse > 0;
    if (active !== q.active) {
      q.active = active;
      this.activeQueues += active ? 1 : -1;
    }
  }

  private enqueue(t: Ticket, q: FairQueue): void {
    this.activate(q);
    t.queue = q;
    t.arrivalR = this.currentR;
    t.prev = q.tail;
    t.next = null;
    if (q.tail) q.tail.next = t;
    else q.head = t;
    q.tail = t;
    q.waiting++;
    this.waiting++;
    this.waitingSeats += t.seats;
    this.updateActive(q);
  }

  private unlinkWaiting(t: Ticket): void {
    const q = t.queue!;
    if (t.prev) t.prev.next = t.next;
    else q.head = t.next;
    if (t.next) t.next.prev = t.prev;
    else q.tail = t.prev;
    t.prev = null;
    t.next = null;
    q.waiting--;
    this.waiting--;
    this.waitingSeats -= t.seats;
    if (t.timer !== undefined) {
      clearTimeout(t.timer);
      t.timer = undefined;
    }
    if (t.signal) {
      t.signal.removeEventListener('abort', t);
      t.signal = undefined;
    }
  }

  private unlinkExecuting(t: Ticket): void {
    if (t.prev) t.prev.next = t.next;
    else this.execHead = t.next;
    if (t.next) t.next.prev = t.prev;
    t.prev = null;
    t.next = null;
  }

  private beginExecution(t: Ticket, q: FairQueue | null, now: number): void {
    t.state = EXECUTING;
    t.startMs = now;
    t.queue = q;
    t.prev = null;
    t.next = this.execHead;
    if (this.execHead) this.execHead.prev = t;
    this.execHead = t;
    this.executing++;
    this.seatsInUse += t.seats;
    if (q) {
      q.executing++;
      q.seatsInUse += t.seats;
      this.queuedSeatsInUse += t.seats;
      q.nextDispatchR += totalWork(t.width);
      this.updateActive(q);
    }
    this.dispatched++;
    const m = this.env.metrics;
    if (m) {
      m.dispatched(t.flowSchemaName, this.name);
      if (!this.cfg.exempt) m.waited(t.flowSchemaName, this.name, true, Math.max(0, now - t.arrivalMs) / 1000);
    }
  }

  private rejectNow(t: Ticket, reason: RejectReason, now: number): Admission {
    t.state = DONE;
    t.resolve = undefined;
    this.rejected++;
    const m = this.env.metrics;
    if (m) {
      m.rejected(t.flowSchemaName, this.name, reason);
      m.waited(t.flowSchemaName, this.name, false, Math.max(0, now - t.arrivalMs) / 1000);
    }
    const retryAfterSeconds = this.env.dropped?.(this.name) ?? 1;
    return { outcome: 'reject', classification: t.classification, reason, retryAfterSeconds };
  }

  private dispatchAsMuchAsPossible(now: number): void {
    while (this.waiting > 0) {
      const q = this.findDispatchQueue();
      if (!q) return;
      const t = q.head!;
      // The fair choice waits for its seats; nothing overtakes it meanwhile.
      if (!this.canAccommodate(t.seats)) return;
      this.robinIndex = q.index;
      // Final seats wider than the level are narrowed to it, for proportionally longer.
      const limit = this.cfg.concurrencyLimit;
      if (t.width.finalSeats > limit && limit > 0) {
        const finalWorkMs = t.width.finalSeats * t.width.additionalLatencyMs;
        t.width = { ...t.width, finalSeats: limit, additionalLatencyMs: finalWorkMs / limit };
        const seats = Math.max(t.width.initialSeats, limit);
        this.waitingSeats -= t.seats - seats;
        t.seats = seats;
      }
      const resolve = t.resolve;
      t.resolve = undefined;
      this.unlinkWaiting(t);
      this.beginExecution(t, q, now);
      this.boundNextDispatch(q);
      resolve?.(t);
    }
  }

  /**
   * The queue whose oldest waiting request has the least virtual finish time, the scan starting after
   * the queue dispatched from last so that equal ones take turns.
   */
  private findDispatchQueue(): FairQueue | undefined {
    const n = this.queues.length;
    let best: FairQueue | undefined;
    let bestFinish = Number.POSITIVE_INFINITY;
    let r = this.robinIndex;
    for (let i = 0; i < n; i++) {
      r = (r + 1) % n;
      const q = this.queues[r]!;
      if (q.waiting === 0) continue;
      const finish = q.nextDispatchR + totalWork(q.head!.width);
      if (finish < bestFinish) {
        bestFinish = finish;
        best = q;
      }
    }
    return best;
  }

  /** Anti-windup: a queue's next dispatch is never earlier, in virtual time, than its oldest request's arrival. */
  private boundNextDispatch(q: FairQueue): void {
    const oldest = q.head;
    if (oldest && q.nextDispatchR < oldest.arrivalR) q.nextDispatchR = oldest.arrivalR;
  }

  private removeIfSurplus(q: FairQueue): void {
    if (this.queues.length <= (this.cfg.queuing?.queues ?? 0) || q.waiting > 0 || q.executing > 0 || q.seatsInUse > 0)
      return;
    const i = q.index;
    if (this.queues[i] !== q) return;
    this.queues.splice(i, 1);
    for (let k = i; k < this.queues.length; k++) this.queues[k]!.index = k;
    if (this.robinIndex >= i) this.robinIndex--;
  }

  private checkIdle(): void {
    if (this.quiescing && this.isIdle()) this.onIdle?.();
  }
}
