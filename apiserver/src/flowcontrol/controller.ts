// API Priority and Fairness' dispatcher (upstream's util/flowcontrol apf_controller.go and
// apf_filter.go): digests the whole FlowSchema / PriorityLevelConfiguration configuration into a
// sorted list of compiled schemas and one QueueSet per priority level, then classifies each request
// and lets its level execute, queue or reject it.
//
// Digesting a configuration, as upstream:
// - A PriorityLevelConfiguration whose spec is broken (type not matching the exempt/limited union,
//   `exempt` not of type Exempt or another name of type Exempt, or an impossible queuing) is ignored.
// - The mandatory exempt and catch-all levels and schemas come from `fallback` when the configuration
//   lacks them (the exempt schema first, the catch-all last).
// - A FlowSchema whose level does not exist is dangling and skipped; the rest match in ascending
//   matchingPrecedence, ties by name; a request nothing matches goes to the catch-all schema.
// - NominalCL(level) = ceil(serverConcurrencyLimit × shares / Σ shares), the exempt level's shares
//   (0 by default) and those of levels still draining included.
// - Levels borrow, as upstream's: a level's current limit lies between its nominal limit less what it
//   may lend (lendablePercent) and its nominal limit plus what it may borrow (borrowingLimitPercent;
//   the server's whole limit when unset). At every configuration and every 10 s the Σ nominal seats
//   are shared out again by each level's seat demand over the period (executing and waiting requests,
//   exempt ones too), smoothed with a 5-minute half-life, never below min(nominal, the period's peak).
// - A level that leaves the configuration keeps executing and dispatching what it holds, takes
//   nothing new, and is dropped once idle; one whose spec changes keeps its requests and queues.
// A request takes the seats of its work estimate (workestimator.ts: lists by the objects they go
// through, writes by the watchers they notify). Long-running requests are the caller's business: it
// does not bring them here, but registers the watches it admits (registerWatch).
// A rejection's Retry-After grows while its level keeps dropping requests (droppedrequests.ts).
import type { FlowSchema, PriorityLevelConfiguration } from '@mkube/shared/api';
import { computeConcurrencyAllocation } from './allocation.js';
import { formatRFC3339Nano, formatSeatSeconds, tabulate, ZERO_TIME } from './debug.js';
import { DroppedRequestsTracker } from './droppedrequests.js';
import { compareFlowSchemas, compileFlowSchema, flowDistinguisher, type RequestMatcher } from './match.js';
import { QueueSet, type QueueSetConfig, type QueuingParams, Ticket, totalWork } from './queueset.js';
import { Dealer, dealerProblem, hashFlowID } from './shufflesharding.js';
import type {
  Admission,
  APFControllerOptions,
  CancelSignal,
  Classification,
  FlowControlMetrics,
  LevelSource,
  LevelStats,
  RequestDigest,
} from './types.js';
import { WatchTracker } from './watchtracker.js';
import { maxSeatsForLevel, WorkEstimator } from './workestimator.js';

export type {
  Admission,
  APFControllerOptions,
  Classification,
  FlowControlMetrics,
  LevelStats,
  RejectReason,
  RequestDigest,
} from './types.js';

export const EXEMPT = 'exempt';
export const CATCH_ALL = 'catch-all';

/** API defaults of flowcontrol/v1. */
const DEFAULT_NOMINAL_SHARES = 30;
const DEFAULT_QUEUES = 64;
const DEFAULT_HAND_SIZE = 8;
const DEFAULT_QUEUE_LENGTH_LIMIT = 50;

/** Flows remembered per schema (their classification and hand) before the memory starts over. */
const FLOW_CACHE_LIMIT = 4096;

/** upstream's borrowingAdjustmentPeriod. */
export const BORROWING_ADJUSTMENT_PERIOD_MS = 10_000;
/** Weight of the old smoothed demand at each adjustment: a half-life of 5 minutes at one per 10 s. */
const SEAT_DEMAND_SMOOTHING = 0.977;

/** A priority level's spec as the dispatcher uses it. */
interface LevelSpec {
  readonly exempt: boolean;
  readonly shares: number;
  readonly lendablePercent: number;
  /** Undefined: may borrow up to the server's whole limit. */
  readonly borrowingLimitPercent: number | undefined;
  readonly queuing?: QueuingParams;
}

/** Why the level's spec is unusable (upstream ignores such an object), or its digest. */
export function digestPriorityLevel(pl: PriorityLevelConfiguration): LevelSpec | string {
  const name = pl.metadata.name ?? '';
  const spec = pl.spec;
  if (!spec) return 'no spec';
  if ((spec.type === 'Exempt') !== (name === EXEMPT)) return "type must be 'Exempt' if and only if name is 'exempt'";
  if (spec.type === 'Exempt') {
    if (spec.limited) return 'broken union structure at the top, for Exempt';
    return {
      exempt: true,
      shares: nonNegative(spec.exempt?.nominalConcurrencyShares, 0),
      lendablePercent: nonNegative(spec.exempt?.lendablePercent, 0),
      borrowingLimitPercent: undefined,
    };
  }
  if (spec.type !== 'Limited' || !spec.limited || spec.exempt) return 'broken union structure at the top, for Limited';
  const limited = spec.limited;
  const shares = nonNegative(limited.nominalConcurrencyShares, DEFAULT_NOMINAL_SHARES);
  const lendablePercent = nonNegative(limited.lendablePercent, 0);
  const borrowingLimitPercent =
    limited.borrowingLimitPercent == null ? undefined : nonNegative(limited.borrowingLimitPercent, 0);
  const response = limited.limitResponse;
  if (!response) return 'no limitResponse';
  if (response.type === 'Reject') return { exempt: false, shares, lendablePercent, borrowingLimitPercent };
  if (response.type !== 'Queue') return `unknown limitResponse type ${String(response.type)}`;
  const queuing: QueuingParams = {
    queues: response.queuing?.queues ?? DEFAULT_QUEUES,
    handSize: response.queuing?.handSize ?? DEFAULT_HAND_SIZE,
    queueLengthLimit: response.queuing?.queueLengthLimit ?? DEFAULT_QUEUE_LENGTH_LIMIT,
  };
  const problem = dealerProblem(queuing.queues, queuing.handSize);
  if (problem) return `invalid queuing: ${problem}`;
  if (!Number.isInteger(queuing.queueLengthLimit) || queuing.queueLengthLimit < 1) {
    return `invalid queuing: queueLengthLimit ${queuing.queueLengthLimit}`;
  }
  return { exempt: false, shares, lendablePercent, borrowingLimitPercent, queuing };
}

function nonNegative(v: number | undefined, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : dflt;
}

/** A level's seat demand over the adjustment periods (upstream's seatDemandStats). */
interface SeatDemandStats {
  average: number;
  stdDev: number;
  highWatermark: number;
  /** max(avg + stdDev, a decaying memory of earlier periods' avg + stdDev). */
  smoothed: number;
}

class Level {
  quiescing = false;
  nominalLimit = 0;
  /** nominal − lendable. */
  minLimit = 0;
  /** nominal + borrowable. */
  maxLimit = 0;
  /** The limit in force; undefined until the level's first allocation. */
  currentLimit: number | undefined;
  /** The last allocation's target. */
  target = 0;
  demand: SeatDemandStats = { average: 0, stdDev: 0, highWatermark: 0, smoothed: 0 };
  /** The most seats one request may take here (upstream's MaxSeatsTracker; 0: the estimator's own limit). */
  maxSeats = 0;
  dealer: Dealer | undefined;

  constructor(
    readonly name: string,
    public pl: PriorityLevelConfiguration,
    public spec: LevelSpec,
    readonly set: QueueSet,
  ) {}
}

/** A flow of a schema: what its requests are classified as and the queues they may use. */
interface Flow {
  readonly classification: Classification;
  readonly hand: readonly number[] | undefined;
}

class CompiledSchema {
  readonly name: string;
  readonly match: RequestMatcher;
  /** Whether flows are told apart: a distinguisher method and a level with more than one queue. */
  readonly distinguishes: boolean;
  /** The flow of requests with distinguisher "". */
  readonly defaultFlow: Flow;
  private readonly flows = new Map<string, Flow>();

  constructor(
    readonly fs: FlowSchema,
    readonly level: Level,
  ) {
    this.name = fs.metadata.name ?? '';
    this.match = compileFlowSchema(fs);
    const queues = level.spec.queuing?.queues ?? 0;
    this.distinguishes = queues > 1 && fs.spec?.distinguisherMethod !== undefined;
    this.defaultFlow = this.makeFlow('');
  }

  flow(distinguisher: string): Flow {
    if (distinguisher === '') return this.defaultFlow;
    let f = this.flows.get(distinguisher);
    if (!f) {
      if (this.flows.size >= FLOW_CACHE_LIMIT) this.flows.clear();
      f = this.makeFlow(distinguisher);
      this.flows.set(distinguisher, f);
    }
    return f;
  }

  private makeFlow(distinguisher: string): Flow {
    const classification: Classification = {
      flowSchema: this.fs,
      priorityLevel: this.level.pl,
      flowDistinguisher: distinguisher,
    };
    const dealer = this.level.dealer;
    if (!dealer) return { classification, hand: undefined };
    // As upstream, a level of one queue does not hash at all.
    const hash = dealer.deckSize > 1 ? hashFlowID(this.name, distinguisher) : 0n;
    return { classification, hand: dealer.deal(hash) };
  }
}

export class APFController implements LevelSource {
  private readonly serverConcurrencyLimit: number;
  private readonly requestWaitLimitMs: number;
  private readonly fallbackSchemas: readonly FlowSchema[];
  private readonly fallbackLevels: readonly PriorityLevelConfiguration[];
  private readonly metrics: FlowControlMetrics | undefined;
  private readonly now: () => number;
  /** Wall-clock milliseconds minus `now()`, for the times in dumps. */
  private readonly epochOffset: number;

  private readonly dropped: DroppedRequestsTracker;
  private readonly watches = new WatchTracker();
  private readonly estimator: WorkEstimator;
  private borrowingTimer: ReturnType<typeof setInterval> | undefined;
  private fairFrac = 0;

  private levels = new Map<string, Level>();
  private schemas: CompiledSchema[] = [];
  private catchAll!: CompiledSchema;
  private lastInput: { fss: readonly FlowSchema[]; pls: readonly PriorityLevelConfiguration[] } | undefined;

  constructor(opts: APFControllerOptions) {
    this.serverConcurrencyLimit = opts.serverConcurrencyLimit;
    this.requestWaitLimitMs = opts.requestWaitLimitMs;
    this.fallbackSchemas = opts.fallback.flowSchemas;
    this.fallbackLevels = opts.fallback.priorityLevels;
    this.metrics = opts.metrics;
    this.now = opts.now ?? (() => performance.now());
    this.epochOffset = Date.now() - this.now();
    this.dropped = new DroppedRequestsTracker(opts.nowUnix);
    const objectCount = opts.objectCount ?? (() => undefined);
    this.estimator = new WorkEstimator({
      objectCount,
      watchCount: (info) => this.watches.interestedCount(info),
      maxSeats: (level) => this.levels.get(level)?.maxSeats ?? 0,
      ...(opts.metrics?.watchCount ? { observeWatchCount: opts.metrics.watchCount } : {}),
    });
    if (!this.fallbackSchemas.some((fs) => fs.metadata.name === CATCH_ALL)) {
      throw new Error('APFController: the fallback configuration has no catch-all FlowSchema');
    }
    const catchAllLevel = this.fallbackLevels.find((pl) => pl.metadata.name === CATCH_ALL);
    if (!catchAllLevel || typeof digestPriorityLevel(catchAllLevel) === 'string') {
      throw new Error('APFController: the fallback configuration has no usable catch-all PriorityLevelConfiguration');
    }
    this.digest([], []);
  }

  /** The whole current configuration (from informers); cheap to call again with the same objects. */
  update(flowSchemas: readonly FlowSchema[], priorityLevels: readonly PriorityLevelConfiguration[]): void {
    const last = this.lastInput;
    if (last && sameItems(last.fss, flowSchemas) && sameItems(last.pls, priorityLevels)) return;
    this.digest(flowSchemas, priorityLevels);
    this.lastInput = { fss: [...flowSchemas], pls: [...priorityLevels] };
  }

  /**
   * Classifies the request and lets its priority level decide. Resolves at once (no timer) when the
   * request executes or is rejected immediately; a waiting request resolves when it is dispatched,
   * times out after requestWaitLimitMs, or `signal` aborts.
   */
  admit(req: RequestDigest, signal?: CancelSignal): Promise<Admission> {
    const { info, user } = req;
    const schemas = this.schemas;
    let schema = this.catchAll;
    for (let i = 0; i < schemas.length; i++) {
      const s = schemas[i]!;
      if (s.match(info, user)) {
        schema = s;
        break;
      }
    }
    const flow = schema.distinguishes
      ? schema.flow(flowDistinguisher(schema.fs.spec?.distinguisherMethod, info, user))
      : schema.defaultFlow;
    const level = schema.level;
    const width = this.estimator.estimate(info, req.query, level.name, schema.name);
    this.metrics?.workEstimatedSeats?.(level.name, schema.name, Math.max(width.initialSeats, width.finalSeats));
    const ticket = new Ticket(level.set, flow.classification, schema.name, info, user, this.now(), width);
    const set = level.set;
    const result = set.start(ticket, flow.hand, signal);
    return result instanceof Promise ? result : Promise.resolve(result);
  }

  /** An admitted watch, until the returned function is called: writes it will hear of cost more. */
  registerWatch(info: RequestDigest['info']): () => void {
    return this.watches.register(info);
  }

  /** Shares the seats out again every BORROWING_ADJUSTMENT_PERIOD_MS, until stop(). */
  run(): void {
    if (this.borrowingTimer) return;
    this.borrowingTimer = setInterval(() => this.adjustBorrowing(), BORROWING_ADJUSTMENT_PERIOD_MS);
    this.borrowingTimer.unref();
  }

  stop(): void {
    if (this.borrowingTimer) clearInterval(this.borrowingTimer);
    this.borrowingTimer = undefined;
  }

  /**
   * One borrowing adjustment (upstream's updateBorrowing): closes each level's seat-demand period and
   * shares the Σ nominal seats out by the smoothed demands, each level between min(nominal, the
   * period's peak demand) — never below nominal − lendable — and nominal + borrowable.
   */
  adjustBorrowing(): void {
    const now = this.now();
    const levels = [...this.levels.values()];
    let nominalSum = 0;
    const items = levels.map((l) => {
      nominalSum += l.nominalLimit;
      const obs = l.set.demand.reset(now);
      const d = l.demand;
      d.highWatermark = obs.max;
      if (obs.duration > 0) {
        const dev = Number.isNaN(obs.deviation) ? 0 : obs.deviation;
        d.average = obs.average;
        d.stdDev = dev;
        const envelope = obs.average + dev;
        d.smoothed = Math.max(envelope, SEAT_DEMAND_SMOOTHING * d.smoothed + (1 - SEAT_DEMAND_SMOOTHING) * envelope);
      }
      const lowerBound = Math.max(l.minLimit, Math.min(l.nominalLimit, d.highWatermark));
      return { lowerBound, upperBound: l.maxLimit, target: Math.max(lowerBound, d.smoothed) };
    });
    const allocation = computeConcurrencyAllocation(nominalSum, items);
    // Should the problem have no solution (upstream logs it), the limits stay as they are.
    const allocs =
      allocation instanceof Error ? levels.map((l) => l.currentLimit ?? l.nominalLimit) : allocation.allocs;
    if (!(allocation instanceof Error)) this.fairFrac = allocation.fairFrac;
    for (const [i, l] of levels.entries()) {
      l.target = items[i]!.target;
      l.currentLimit = Math.round(allocs[i]!);
      l.set.configure(toQueueSetConfig(l.spec, l.currentLimit));
    }
  }

  /** The last adjustment's fair fraction (apiserver_flowcontrol_seat_fair_frac). */
  seatFairFrac(): number {
    return this.fairFrac;
  }

  levelStats(): LevelStats[] {
    return this.sortedLevels().map((l) => ({
      name: l.name,
      nominalLimit: l.nominalLimit,
      lowerLimit: l.minLimit,
      upperLimit: l.maxLimit,
      currentLimit: l.currentLimit ?? l.nominalLimit,
      demandHighWatermark: l.demand.highWatermark,
      demandAverage: l.demand.average,
      demandStdDev: l.demand.stdDev,
      demandSmoothed: l.demand.smoothed,
      target: l.target,
      executing: l.set.executing,
      waiting: l.set.waiting,
      dispatched: l.set.dispatched,
      rejected: l.set.rejected,
      timedOut: l.set.timedOut,
      cancelled: l.set.cancelled,
      activeQueues: l.set.queuesWithWaiting(),
    }));
  }

  waitingByFlowSchema(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const l of this.levels.values()) if (l.set.waiting > 0) out.set(l.name, l.set.waitingByFlowSchema());
    return out;
  }

  /** /debug/api_priority_and_fairness/dump_priority_levels: one row per level, by name. */
  dumpPriorityLevels(): string {
    const rows: string[][] = [
      [
        'PriorityLevelName',
        'ActiveQueues',
        'IsIdle',
        'IsQuiescing',
        'WaitingRequests',
        'ExecutingRequests',
        'DispatchedRequests',
        'RejectedRequests',
        'TimedoutRequests',
        'CancelledRequests',
      ],
    ];
    for (const l of this.sortedLevels()) {
      const s = l.set;
      rows.push([
        l.name,
        String(s.queuesWithWaiting()),
        String(s.isIdle()),
        String(l.quiescing),
        String(s.waiting),
        String(s.executing),
        String(s.dispatched),
        String(s.rejected),
        String(s.timedOut),
        String(s.cancelled),
      ]);
    }
    return tabulate(rows);
  }

  /** dump_queues: one row per queue of each queuing level (exempt and Reject levels have none). */
  dumpQueues(): string {
    const rows: string[][] = [
      [
        'PriorityLevelName',
        'Index',
        'PendingRequests',
        'ExecutingRequests',
        'SeatsInUse',
        'NextDispatchR',
        'InitialSeatsSum',
        'MaxSeatsSum',
        'TotalWorkSum',
      ],
    ];
    for (const l of this.sortedLevels()) {
      for (const q of l.set.queues) {
        let initial = 0;
        let max = 0;
        let work = 0;
        for (const t of QueueSet.waitingTickets(q)) {
          initial += t.width.initialSeats;
          max += t.seats;
          work += totalWork(t.width);
        }
        rows.push([
          l.name,
          String(q.index),
          String(q.waiting),
          String(q.executing),
          String(q.seatsInUse),
          formatSeatSeconds(q.nextDispatchR),
          String(initial),
          String(max),
          formatSeatSeconds(work),
        ]);
      }
    }
    return tabulate(rows);
  }

  /**
   * dump_requests: waiting requests (queue index, position), then those executing from each queue
   * (position -1), then those executing outside queues (-1, -1); with details, who and what.
   */
  dumpRequests(includeRequestDetails: boolean): string {
    const header = [
      'PriorityLevelName',
      'FlowSchemaName',
      'QueueIndex',
      'RequestIndexInQueue',
      'FlowDistingsher',
      'ArriveTime',
      'InitialSeats',
      'FinalSeats',
      'AdditionalLatency',
      'StartTime',
    ];
    if (includeRequestDetails) {
      header.push('UserName', 'Verb', 'APIPath', 'Namespace', 'Name', 'APIVersion', 'Resource', 'SubResource');
    }
    const rows: string[][] = [header];
    const row = (level: string, t: Ticket, queueIndex: number, position: number) => {
      const r = [
        level,
        t.flowSchemaName,
        String(queueIndex),
        String(position),
        t.classification.flowDistinguisher,
        formatRFC3339Nano(this.epochOffset + t.arrivalMs),
        String(t.width.initialSeats),
        String(t.width.finalSeats),
        formatGoDuration(t.width.additionalLatencyMs),
        Number.isNaN(t.startMs) ? ZERO_TIME : formatRFC3339Nano(this.epochOffset + t.startMs),
      ];
      if (includeRequestDetails) {
        const i = t.info;
        r.push(
          t.user.username,
          i.verb,
          i.path,
          i.namespace,
          i.name,
          i.apiGroup ? `${i.apiGroup}/${i.apiVersion}` : i.apiVersion,
          i.resource,
          i.subresource,
        );
      }
      rows.push(r);
    };
    for (const l of this.sortedLevels()) {
      const executing = l.set.executingTickets();
      for (const q of l.set.queues) {
        let position = 0;
        for (const t of QueueSet.waitingTickets(q)) row(l.name, t, q.index, position++);
        for (const t of executing) if (t.queue === q) row(l.name, t, q.index, -1);
      }
      for (const t of executing) if (!t.queue) row(l.name, t, -1, -1);
    }
    return tabulate(rows);
  }

  private sortedLevels(): Level[] {
    return [...this.levels.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private digest(flowSchemas: readonly FlowSchema[], priorityLevels: readonly PriorityLevelConfiguration[]): void {
    const old = this.levels;
    const next = new Map<string, Level>();
    const admitLevel = (pl: PriorityLevelConfiguration) => {
      const name = pl.metadata.name;
      if (!name || next.has(name)) return;
      const spec = digestPriorityLevel(pl);
      if (typeof spec === 'string') return;
      next.set(name, this.levelFor(old.get(name), name, pl, spec));
    };
    for (const pl of priorityLevels) admitLevel(pl);
    // The mandatory levels, where the configuration lacks (usable) ones.
    for (const pl of this.fallbackLevels) admitLevel(pl);
    // Levels that left the configuration drain what they hold; their shares still count meanwhile.
    for (const [name, level] of old) {
      if (next.has(name) || level.set.isIdle()) continue;
      level.quiescing = true;
      level.set.quiescing = true;
      next.set(name, level);
    }
    this.levels = next;
    this.applyLimits();

    // Schemas: the non-dangling ones sorted for matching, the missing mandatory ones around them.
    const live = (fs: FlowSchema) => {
      const plName = fs.spec?.priorityLevelConfiguration?.name;
      const level = plName === undefined ? undefined : next.get(plName);
      return level && !level.quiescing ? level : undefined;
    };
    const seen = new Set<string>();
    const usable: FlowSchema[] = [];
    for (const fs of flowSchemas) {
      const name = fs.metadata.name;
      if (!name || seen.has(name) || !live(fs)) continue;
      seen.add(name);
      usable.push(fs);
    }
    usable.sort(compareFlowSchemas);
    const head: FlowSchema[] = [];
    const tail: FlowSchema[] = [];
    for (const fs of this.fallbackSchemas) {
      const name = fs.metadata.name;
      if (!name || seen.has(name) || !live(fs)) continue;
      seen.add(name);
      (name === EXEMPT ? head : tail).push(fs);
    }
    this.schemas = [...head, ...usable, ...tail].map((fs) => new CompiledSchema(fs, live(fs)!));
    this.catchAll = this.schemas.find((s) => s.name === CATCH_ALL) ?? this.schemas[this.schemas.length - 1]!;
  }

  private levelFor(existing: Level | undefined, name: string, pl: PriorityLevelConfiguration, spec: LevelSpec): Level {
    if (existing && existing.spec.exempt === spec.exempt) {
      existing.pl = pl;
      existing.spec = spec;
      existing.quiescing = false;
      existing.set.quiescing = false;
      return existing;
    }
    const set = new QueueSet(name, toQueueSetConfig(spec, 0), {
      now: this.now,
      requestWaitLimitMs: this.requestWaitLimitMs,
      metrics: this.metrics,
      dropped: this.onDropped,
    });
    const level = new Level(name, pl, spec, set);
    set.onIdle = () => this.reap(level);
    return level;
  }

  private readonly onDropped = (level: string): number => {
    this.dropped.recordDroppedRequest(level);
    return this.dropped.retryAfter(level);
  };

  /**
   * Nominal, lower and upper limits from the shares of every level held (draining ones too), then the
   * seats shared out at once, as upstream does at every new configuration.
   */
  private applyLimits(): void {
    let shareSum = 0;
    for (const l of this.levels.values()) shareSum += l.spec.shares;
    const server = this.serverConcurrencyLimit;
    for (const l of this.levels.values()) {
      const nominal = shareSum > 0 ? Math.ceil((server * l.spec.shares) / shareSum) : 0;
      const lendable = Math.round((nominal * l.spec.lendablePercent) / 100);
      const borrowable =
        l.spec.borrowingLimitPercent === undefined
          ? server
          : Math.round((nominal * l.spec.borrowingLimitPercent) / 100);
      l.nominalLimit = nominal;
      l.minLimit = nominal - lendable;
      l.maxLimit = nominal + borrowable;
      // A new level starts halfway into what it may lend (and a fresh demand history).
      if (l.currentLimit === undefined) l.currentLimit = nominal - Math.trunc(lendable / 2);
      const q = l.spec.queuing;
      if (!q) l.dealer = undefined;
      else if (!l.dealer || l.dealer.deckSize !== q.queues || l.dealer.handSize !== q.handSize) {
        l.dealer = new Dealer(q.queues, q.handSize);
      }
      l.maxSeats = q ? maxSeatsForLevel(nominal, q.handSize) : 0;
    }
    this.adjustBorrowing();
  }

  /** A draining level went idle: it goes, and the others' limits are worked out again. */
  private reap(level: Level): void {
    if (!level.quiescing || this.levels.get(level.name) !== level) return;
    this.levels.delete(level.name);
    this.applyLimits();
  }
}

/** Go's time.Duration String() for the whole and fractional milliseconds the estimates use. */
function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1) return `${+(ms * 1000).toFixed(3)}µs`;
  if (ms < 1000) return `${+ms.toFixed(6)}ms`;
  return `${+(ms / 1000).toFixed(9)}s`;
}

function toQueueSetConfig(spec: LevelSpec, concurrencyLimit: number): QueueSetConfig {
  return spec.queuing
    ? { exempt: spec.exempt, concurrencyLimit, queuing: spec.queuing }
    : { exempt: spec.exempt, concurrencyLimit };
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
