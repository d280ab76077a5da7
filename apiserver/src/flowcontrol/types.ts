// The contract of API Priority and Fairness' request-dispatch core (k8s.io/apiserver
// pkg/util/flowcontrol): what a classified request is, what the dispatcher answers, and the hooks it
// reports through. The HTTP filter, the registry and the metrics code against these names.
import type { FlowSchema, PriorityLevelConfiguration } from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import type { RequestInfo } from '../request/requestinfo.js';

/** What upstream calls a RequestDigest: the parsed request and who sent it (after impersonation). */
export interface RequestDigest {
  readonly info: RequestInfo;
  readonly user: UserInfo;
  /** The request's query string (without `?`), for the work estimate of a list or watch. */
  readonly query?: string;
}

/**
 * How many seats a request takes (upstream's WorkEstimate): `initialSeats` while it executes, and
 * `finalSeats` for `additionalLatencyMs` after it finishes (the work of notifying many watchers of a
 * write); it holds max(initial, final) seats from dispatch until then.
 */
export interface WorkEstimate {
  readonly initialSeats: number;
  readonly finalSeats: number;
  readonly additionalLatencyMs: number;
}

/** Which FlowSchema matched a request, the priority level it names, and the request's flow. */
export interface Classification {
  /** The matched object (its uid, when it has one, in metadata.uid). */
  readonly flowSchema: FlowSchema;
  readonly priorityLevel: PriorityLevelConfiguration;
  /** The user name or namespace (by the schema's distinguisherMethod); "" when there is none or the level has at most one queue. */
  readonly flowDistinguisher: string;
}

/** The `reason` label of apiserver_flowcontrol_rejected_requests_total. */
export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out' | 'cancelled';

export type Admission =
  | {
      readonly outcome: 'execute';
      readonly classification: Classification;
      /** Gives the request's seat back; idempotent. */
      release(): void;
    }
  | {
      readonly outcome: 'reject';
      readonly classification: Classification;
      readonly reason: RejectReason;
      /** 1 s, raised while the level keeps dropping requests (up to 32). */
      readonly retryAfterSeconds: number;
    };

/** Optional hooks, named after upstream's metrics calls; the apiserver implements them with prom-client. */
export interface FlowControlMetrics {
  /** A request starts executing (exempt and immediately executed ones too): AddDispatch. */
  dispatched(flowSchema: string, priorityLevel: string): void;
  /** AddReject. */
  rejected(flowSchema: string, priorityLevel: string, reason: RejectReason): void;
  /** ObserveWaitingDuration: every request of a non-exempt level, when it executes or is rejected. */
  waited(flowSchema: string, priorityLevel: string, executed: boolean, seconds: number): void;
  /** ObserveWorkEstimatedSeats: every classified request's larger of its initial and final seats. */
  workEstimatedSeats?(priorityLevel: string, flowSchema: string, seats: number): void;
  /** ObserveWatchCount: the watches a write's work estimate counted. */
  watchCount?(priorityLevel: string, flowSchema: string, watches: number): void;
  /** ObserveQueueLength: a queued level's request, the length of its queue once it is in. */
  queueLength?(priorityLevel: string, flowSchema: string, length: number): void;
}

/** One priority level's numbers, for gauges (the same ones dump_priority_levels shows). */
export interface LevelStats {
  name: string;
  /** ceil(serverConcurrencyLimit × shares / Σ shares); 0 for the exempt level with its default shares. */
  nominalLimit: number;
  /** nominal − what it may lend. */
  lowerLimit: number;
  /** nominal + what it may borrow. */
  upperLimit: number;
  /** The limit in force since the last borrowing adjustment. */
  currentLimit: number;
  /** Seat demand over the last adjustment period: peak, time-weighted average and deviation, smoothed. */
  demandHighWatermark: number;
  demandAverage: number;
  demandStdDev: number;
  demandSmoothed: number;
  /** The last adjustment's target for this level. */
  target: number;
  executing: number;
  waiting: number;
  dispatched: number;
  /** All rejections: queue-full, concurrency-limit, time-out and cancelled. */
  rejected: number;
  timedOut: number;
  cancelled: number;
  /** Queues holding at least one waiting request. */
  activeQueues: number;
}

/** What the per-level gauges read when /metrics is scraped (the dispatcher). */
export interface LevelSource {
  levelStats(): readonly LevelStats[];
  /** The last borrowing adjustment's fair fraction. */
  seatFairFrac(): number;
  /** Waiting requests per priority level, then per the FlowSchema that classified them. */
  waitingByFlowSchema(): ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export interface APFControllerOptions {
  /** --max-requests-inflight + --max-mutating-requests-inflight (600 by default). */
  readonly serverConcurrencyLimit: number;
  /** How long a request may wait in a queue (a quarter of the request timeout: 15 s by default). */
  readonly requestWaitLimitMs: number;
  /** The mandatory objects (exempt, catch-all), used where the given configuration lacks them. */
  readonly fallback: {
    readonly flowSchemas: readonly FlowSchema[];
    readonly priorityLevels: readonly PriorityLevelConfiguration[];
  };
  readonly metrics?: FlowControlMetrics;
  /** Milliseconds, monotonic (performance.now by default); injectable for tests. */
  readonly now?: () => number;
  /** Whole seconds of wall-clock time, for the Retry-After's history of drops; injectable for tests. */
  readonly nowUnix?: () => number;
  /** Stored objects per `resource.group`, for the work estimate of lists (none known: a list is one seat). */
  readonly objectCount?: (groupResource: string) => number | 'stale' | undefined;
}

/**
 * What a waiting request listens to for its client going away: an AbortSignal will do, and so does
 * anything this small (the server's gate uses one lighter than an AbortController per request).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: { handleEvent(): void }): void;
  removeEventListener(type: 'abort', listener: { handleEvent(): void }): void;
}
