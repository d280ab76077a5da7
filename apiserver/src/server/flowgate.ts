// The concurrency gate between impersonation and authorization: API Priority and Fairness (the
// default) or, with --enable-priority-and-fairness=false, the max-in-flight limiter. A request the
// gate lets through holds its seat until its response is closed.
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { PF_FLOWSCHEMA_UID_HEADER, PF_PRIORITYLEVEL_UID_HEADER } from '@mkube/shared/api';
import { isLongRunning } from '../audit/index.js';
import type { APFController } from '../flowcontrol/controller.js';
import { setWatchInitializationSignal } from '../flowcontrol/initialization.js';
import type { CancelSignal } from '../flowcontrol/types.js';
import type { FlowControlMetricsHooks } from '../metrics/flowcontrol.js';
import type { ConcurrencyGate, GateRejection } from './chain.js';
import type { MaxInFlightLimiter } from './maxinflight.js';

type RawResponse = ServerResponse | Http2ServerResponse;

/** A gate for one request, given its raw response; undefined when nothing limits requests. */
export type GateFactory = (res: RawResponse) => ConcurrencyGate;

/**
 * One classified request's tie to its response: while it waits, the client going away cancels it
 * (a CancelSignal, lighter than an AbortController per request); once admitted, the response's
 * close gives the seat back.
 */
class GatedRequest implements CancelSignal {
  aborted = false;
  #waiting: { handleEvent(): void } | undefined;
  #release: (() => void) | undefined;

  addEventListener(_type: 'abort', listener: { handleEvent(): void }): void {
    this.#waiting = listener;
  }

  removeEventListener(_type: 'abort', listener: { handleEvent(): void }): void {
    if (this.#waiting === listener) this.#waiting = undefined;
  }

  /** The seat is given back when the response closes, or now if it already has. */
  holdUntilClosed(release: () => void): void {
    if (this.aborted) release();
    else this.#release = release;
  }

  /** Gives the seat back before the response closes (a watch, once initialized). */
  readonly releaseNow = (): void => {
    this.#release?.();
    this.#release = undefined;
  };

  /** The response closed: the client went away, or the request was answered. */
  readonly closed = (): void => {
    this.aborted = true;
    this.#waiting?.handleEvent();
    this.#waiting = undefined;
    this.#release?.();
    this.#release = undefined;
  };
}

/**
 * WithPriorityAndFairness. Long-running requests other than watches are not classified at all (no
 * headers), as upstream; a watch is, and waits its turn, holds its seat until it is initialized (its
 * initial events sent, its store watch in place: the endpoint's watchInitialized) or ends, and is
 * counted among the watches writes will notify until it ends. Every classified request carries the
 * X-Kubernetes-PF-* headers, a rejected one too. A list's or watch's query goes to its work estimate.
 */
export function priorityAndFairnessGate(
  apf: APFController,
  metrics?: Pick<FlowControlMetricsHooks, 'executing' | 'executed'>,
): GateFactory {
  return (res) => async (info, user) => {
    const watch = info.verb === 'watch';
    if (!watch && isLongRunning(info)) return undefined;
    const gated = new GatedRequest();
    res.once('close', gated.closed);
    let query: string | undefined;
    if (info.verb === 'list' || watch) {
      const url = res.req.url ?? '';
      const q = url.indexOf('?');
      if (q >= 0) query = url.slice(q + 1);
    }
    const admission = await apf.admit(query === undefined ? { info, user } : { info, user, query }, gated);
    const { flowSchema, priorityLevel } = admission.classification;
    if (flowSchema.metadata.uid) res.setHeader(PF_FLOWSCHEMA_UID_HEADER, flowSchema.metadata.uid);
    if (priorityLevel.metadata.uid) res.setHeader(PF_PRIORITYLEVEL_UID_HEADER, priorityLevel.metadata.uid);
    if (admission.outcome === 'reject') return { retryAfterSeconds: admission.retryAfterSeconds };
    const fsName = flowSchema.metadata.name ?? '';
    const plName = priorityLevel.metadata.name ?? '';
    const count = metrics?.executing(fsName, plName);
    if (count) count.n++;
    const started = metrics ? performance.now() : 0;
    const done = () => {
      admission.release();
      if (count) count.n--;
      metrics?.executed(plName, fsName, watch, (performance.now() - started) / 1000);
    };
    gated.holdUntilClosed(done);
    if (watch) {
      if (!gated.aborted) setWatchInitializationSignal(res.req, gated.releaseNow);
      const forget = apf.registerWatch(info);
      if (gated.aborted) forget();
      else res.once('close', forget);
    }
    return undefined;
  };
}

/** upstream's max-in-flight filter always says 1 s. */
const MAX_IN_FLIGHT_REJECTION: GateRejection = Object.freeze({ retryAfterSeconds: 1 });

/** WithMaxInFlightLimit (--enable-priority-and-fairness=false). */
export function maxInFlightGate(limiter: MaxInFlightLimiter): GateFactory {
  return (res) => (info, user) => {
    const admitted = limiter.admit(info, user);
    if (admitted === 'reject') return Promise.resolve(MAX_IN_FLIGHT_REJECTION);
    if (admitted) res.once('close', admitted);
    return undefined;
  };
}
