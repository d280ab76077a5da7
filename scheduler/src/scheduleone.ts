// One scheduling attempt (schedule_one.go): pop a pod, skip it if it is being deleted or already
// assumed, find it a node, assume it there and bind it; or record why not — the PodScheduled
// condition, a FailedScheduling Event, the pod parked or backed off. Attempts are counted and timed
// per profile. After Reserve, binding is awaited (upstream binds in a goroutine) unless PreBind has
// work that may wait (volumes the PV controller must bind): that binding cycle runs on its own, so
// other pods are scheduled meanwhile. The assumed pod already counts on its node either way.

import type { ObjectReference } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { ReferenceEventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';
import { type Pod, podKey } from './api/index.js';
import type { ApiCalls } from './apicalls.js';
import type { SchedulerCache } from './cache/cache.js';
import type { Framework } from './framework/framework.js';
import type { CycleState } from './framework/interface.js';
import { preemptionDiagnosis } from './framework/preemption.js';
import { type ScheduleResult, schedulePod } from './framework/schedule.js';
import { messageOf, SchedulingError } from './framework/status.js';
import type { AttemptResult, SchedulerMetrics } from './metrics/index.js';
import type { QueuedPodInfo } from './queue/podinfo.js';
import type { SchedulingQueue } from './queue/queue.js';

/** What FailedScheduling and PodScheduled say is cut to this (truncateMessage). */
const MESSAGE_LIMIT = 1024;

export interface SchedulerParts {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  /** By schedulerName. */
  readonly frameworks: ReadonlyMap<string, Framework>;
  /** By schedulerName: each profile reports as itself (source.component). */
  readonly recorders: ReadonlyMap<string, ReferenceEventRecorder>;
  readonly api: ApiCalls;
  readonly metrics: SchedulerMetrics;
  readonly log: Logger;
  readonly random?: () => number;
  readonly now?: () => number;
  /**
   * Binding cycles running on their own (PreBind waiting for volumes). Without it every binding
   * cycle is awaited in the scheduling loop.
   */
  readonly bindings?: Set<Promise<void>>;
}

export function truncateMessage(m: string): string {
  return m.length <= MESSAGE_LIMIT ? m : `${m.slice(0, MESSAGE_LIMIT - 3)}...`;
}

function podRef(pod: Pod): ObjectReference {
  const m = pod.metadata ?? {};
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    namespace: m.namespace,
    name: m.name,
    ...(m.uid ? { uid: m.uid } : {}),
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
  };
}

/** Runs attempts until the queue closes or `signal` aborts. */
export async function runSchedulingLoop(p: SchedulerParts, signal: AbortSignal): Promise<void> {
  try {
    while (!signal.aborted) {
      if (!(await scheduleOne(p, signal))) return;
    }
  } finally {
    // Their waits end with `signal`; each then reports its own failure.
    await Promise.all(p.bindings ?? []);
  }
}

/** One attempt; false once there is nothing more to pop. */
export async function scheduleOne(p: SchedulerParts, signal: AbortSignal): Promise<boolean> {
  const pInfo = await p.queue.pop(signal);
  if (!pInfo) return false;
  const cycle = p.queue.schedulingCycle;
  const pod = pInfo.pod;
  const profile = pod.spec?.schedulerName ?? '';
  const fwk = p.frameworks.get(profile);
  const recorder = p.recorders.get(profile);
  if (!fwk || !recorder) {
    p.queue.done(pInfo);
    return true;
  }
  const key = podKey(pod);
  if (pod.metadata?.deletionTimestamp) {
    recorder.eventFor(podRef(pod), 'Warning', 'FailedScheduling', `skip schedule deleting pod: ${key}`);
    p.queue.done(pInfo);
    return true;
  }
  if (p.cache.isAssumed(pod)) {
    p.queue.done(pInfo);
    return true;
  }
  const now = p.now ?? Date.now;
  const start = now();
  const seconds = () => (now() - start) / 1000;
  const log = p.log.child({ pod: key });

  const snapshot = p.cache.snapshot();
  let outcome: ReturnType<typeof schedulePod>;
  try {
    outcome = schedulePod(fwk, pod, snapshot, p.random);
  } catch (err) {
    if (!(err instanceof SchedulingError)) throw err;
    log.error({ err: errorSummary(err) }, 'Error scheduling pod; retrying');
    await handleFailure(p, pInfo, cycle, 'SchedulerError', err.message, seconds);
    return true;
  }
  if (outcome.kind === 'noNodes') {
    log.debug('Unable to schedule pod; no nodes are registered to the cluster; waiting');
    await handleFailure(p, pInfo, cycle, 'Unschedulable', outcome.message, seconds);
    return true;
  }
  if (outcome.kind === 'unfit') {
    const { error, state } = outcome;
    const post = preemptionDiagnosis(fwk, state, pod, snapshot, error.diagnosis);
    error.diagnosis.postFilterMsg = post.message;
    if (post.candidates.length > 0)
      log.info({ nodes: post.candidates }, 'evicting lower-priority pods would make room; mkube does not preempt');
    pInfo.unschedulablePlugins = new Set(error.diagnosis.unschedulablePlugins);
    log.debug({ err: error.message }, 'Unable to schedule pod; no fit; waiting');
    await handleFailure(p, pInfo, cycle, 'Unschedulable', error.message, seconds);
    return true;
  }

  const host = outcome.result.suggestedHost;
  const state = outcome.state;
  const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
  p.cache.assumePod(assumed);
  const reserved = fwk.runReserve(state, assumed, host);
  if (reserved) {
    fwk.runUnreserve(state, assumed, host);
    p.cache.forgetPod(assumed);
    const message = `running Reserve plugin ${JSON.stringify(reserved.plugin)}: ${messageOf(reserved)}`;
    log.error({ node: host, err: message }, 'reserve failed; retrying');
    await handleFailure(p, pInfo, cycle, 'SchedulerError', message, seconds);
    return true;
  }
  const ctx: BindingContext = { p, pInfo, fwk, state, assumed, host, cycle, seconds, log, result: outcome.result };
  if (p.bindings && fwk.preBindNeeded(state, assumed, host)) {
    const running: Promise<void> = bindingCycle(ctx, signal).then(
      () => {
        p.bindings?.delete(running);
      },
      (err) => {
        p.bindings?.delete(running);
        log.error({ err: errorSummary(err) }, 'binding cycle failed');
      },
    );
    p.bindings.add(running);
    return true;
  }
  return bindingCycle(ctx, signal);
}

interface BindingContext {
  readonly p: SchedulerParts;
  readonly pInfo: QueuedPodInfo;
  readonly fwk: Framework;
  readonly state: CycleState;
  readonly assumed: Pod;
  readonly host: string;
  readonly cycle: number;
  readonly seconds: () => number;
  readonly log: Logger;
  readonly result: ScheduleResult;
}

/** bindingCycle: PreBind, then the Binding; any failure unreserves and forgets the assumed pod. */
async function bindingCycle(c: BindingContext, signal: AbortSignal): Promise<boolean> {
  const { p, pInfo, fwk, state, assumed, host, cycle, seconds, log } = c;
  const pod = pInfo.pod;
  const key = podKey(pod);
  const recorder = p.recorders.get(pod.spec?.schedulerName ?? '');
  const undo = () => {
    fwk.runUnreserve(state, assumed, host);
    p.cache.forgetPod(assumed);
  };
  const preBound = await fwk.runPreBind(state, assumed, host, signal);
  if (preBound) {
    undo();
    if (signal.aborted) {
      p.queue.done(pInfo);
      return false;
    }
    const message = `running PreBind plugin ${JSON.stringify(preBound.plugin)}: ${messageOf(preBound)}`;
    log.error({ node: host, err: message }, 'prebind failed; retrying');
    await handleFailure(p, pInfo, cycle, 'SchedulerError', message, seconds);
    return true;
  }
  try {
    await p.api.bind(pod, host, signal);
  } catch (err) {
    undo();
    if (isConflict(err) || isNotFound(err)) {
      // Bound by someone else, or deleted: nothing left to schedule.
      log.info({ node: host, err: errorSummary(err) }, 'binding refused; dropping the pod');
      p.metrics.observeAttempt('error', fwk.profileName, seconds());
      p.queue.done(pInfo);
      return true;
    }
    if (signal.aborted) {
      p.queue.done(pInfo);
      return false;
    }
    log.error({ node: host, err: errorSummary(err) }, 'binding failed; retrying');
    await handleFailure(p, pInfo, cycle, 'SchedulerError', (err as Error).message, seconds);
    return true;
  }
  p.cache.finishBinding(assumed);
  p.metrics.observeAttempt('scheduled', fwk.profileName, seconds());
  log.debug(
    { node: host, evaluatedNodes: c.result.evaluatedNodes, feasibleNodes: c.result.feasibleNodes },
    'Successfully bound pod to node',
  );
  recorder?.eventFor(podRef(pod), 'Normal', 'Scheduled', `Successfully assigned ${key} to ${host}`);
  p.queue.done(pInfo);
  return true;
}

/**
 * handleSchedulingFailure: counts the attempt, returns the pod to the queue (parked, or backed off
 * after an error) unless it was deleted or assigned meanwhile, then reports: a FailedScheduling
 * Event and the PodScheduled=False condition.
 */
async function handleFailure(
  p: SchedulerParts,
  pInfo: QueuedPodInfo,
  cycle: number,
  reason: 'Unschedulable' | 'SchedulerError',
  message: string,
  seconds: () => number,
): Promise<void> {
  const profile = pInfo.pod.spec?.schedulerName ?? '';
  const result: AttemptResult = reason === 'Unschedulable' ? 'unschedulable' : 'error';
  p.metrics.observeAttempt(result, profile, seconds());
  const latest = p.queue.done(pInfo);
  if (!latest) {
    p.log.debug({ pod: pInfo.key }, "Pod doesn't exist in informer cache");
    return;
  }
  pInfo.pod = latest;
  p.queue.addUnschedulable(pInfo, cycle);
  p.recorders.get(profile)?.eventFor(podRef(latest), 'Warning', 'FailedScheduling', truncateMessage(message));
  try {
    await p.api.setScheduledCondition(latest, { status: 'False', reason, message });
  } catch (err) {
    p.log.warn({ pod: pInfo.key, err: errorSummary(err) }, 'Error updating pod');
  }
}
