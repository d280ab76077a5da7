// horizontal-pod-autoscaler-controller (pkg/controller/podautoscaler): every sync period each
// HorizontalPodAutoscaler's target is read through its /scale subresource, its metrics turned into a
// desired replica count (replicacalc, compute), that count stabilized, rate-limited and bounded
// (behavior), written back to /scale when it differs, and the outcome recorded in the HPA's status
// conditions and Events.
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus, Pod, Scale } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { LabelsSelector } from '@mkube/shared/selectors';
import { errorSummary } from '@mkube/shared/workqueue';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';
import type { HPAControllerConfig } from '../options/podautoscaler.js';
import {
  behaviorRules,
  normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors,
  ScalingHistory,
} from './behavior.js';
import { computeReplicasForMetrics } from './compute.js';
import { type ProposedCondition, setCondition } from './conditions.js';
import type { MetricsClient } from './metricsclient.js';
import { parseGroupVersion, type ScaleMapping, type ScaleTargets } from './scaletarget.js';
import { statusEqual } from './status.js';

export { RestMetricsClient } from './metricsclient.js';
export { ScaleTargets } from './scaletarget.js';

export const HPA_CONTROLLER = 'horizontal-pod-autoscaler-controller';
/** The ServiceAccount it acts as (upstream's ClientOrDie name), bound to system:controller:horizontal-pod-autoscaler. */
export const HPA_CONTROLLER_SA = 'horizontal-pod-autoscaler';
/** The Events' source component. */
export const HPA_EVENT_SOURCE = 'horizontal-pod-autoscaler';
export const HPAS = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' } as const;

/** kube-controller-manager's defaults for the --horizontal-pod-autoscaler-* flags. */
export const HPA_DEFAULTS = {
  syncPeriodMs: 15_000,
  downscaleStabilizationMs: 5 * 60_000,
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  initialReadinessDelayMs: 30_000,
  workers: 5,
} as const;

export interface HorizontalControllerOptions extends HPAControllerConfig {
  readonly now?: () => number;
}

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** The v2 defaults the controller reads through (the apiserver sets them; an older object may lack them). */
const DEFAULT_METRICS: readonly MetricSpec[] = [
  { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
];

export class HorizontalController implements Controller {
  readonly name = HPA_CONTROLLER;
  readonly queue = new WorkQueue('horizontalpodautoscaler');
  readonly history: ScalingHistory;
  /** Each HPA's last target selector, to find pods that more than one HPA scales. */
  readonly #selectors = new Map<string, { namespace: string; selector: LabelsSelector }>();
  readonly #now: () => number;

  constructor(
    readonly client: KubeClient,
    readonly hpas: SharedInformer<HorizontalPodAutoscaler>,
    readonly pods: SharedInformer<Pod>,
    readonly metrics: MetricsClient,
    readonly scales: ScaleTargets,
    readonly recorder: EventRecorder,
    readonly log: Logger,
    readonly opts: HorizontalControllerOptions,
  ) {
    this.#now = opts.now ?? Date.now;
    this.history = new ScalingHistory(this.#now);
    // Every change waits out the sync period, as upstream's rate-limited queue: the controller's own
    // status writes come back as updates and must not make a hot loop.
    hpas.addEventHandler({
      onAdd: (h) => this.queue.addAfter(keyOf(h), opts.syncPeriodMs),
      onUpdate: (_old, cur) => this.queue.addAfter(keyOf(cur), opts.syncPeriodMs),
      onDelete: (h) => {
        this.queue.forget(keyOf(h));
        this.#selectors.delete(keyOf(h));
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.opts.workers, (k) => this.#process(k), this.log, signal);
  }

  /** processNextWorkItem: errors are logged, and every HPA still there comes back after the sync period. */
  async #process(key: string): Promise<void> {
    let deleted = false;
    try {
      deleted = await this.reconcileKey(key);
    } catch (e) {
      this.log.warn({ hpa: key, err: errorSummary(e) }, 'horizontal pod autoscaler sync failed');
    } finally {
      if (!deleted) this.queue.addAfter(key, this.opts.syncPeriodMs);
    }
  }

  /** True once the HPA is gone (its history is dropped). */
  async reconcileKey(key: string): Promise<boolean> {
    const hpa = this.hpas.store.get(key);
    if (!hpa) {
      this.log.info({ hpa: key }, 'Horizontal Pod Autoscaler has been deleted');
      this.history.forget(key);
      this.#selectors.delete(key);
      return true;
    }
    await this.reconcileAutoscaler(hpa, key);
    return false;
  }

  #selectingHpas(key: string, namespace: string, selector: LabelsSelector, pods: readonly Pod[]): string[] {
    this.#selectors.set(key, { namespace, selector });
    const out: string[] = [];
    for (const [k, s] of this.#selectors) {
      if (s.namespace !== namespace) continue;
      if (k === key || pods.some((p) => s.selector.matches(p.metadata?.labels ?? {}))) out.push(k);
    }
    return out.sort();
  }

  #podsIn(namespace: string, selector: LabelsSelector): Pod[] {
    return this.pods.store
      .list()
      .filter((p) => p.metadata?.namespace === namespace && selector.matches(p.metadata?.labels ?? {}));
  }

  /** reconcileAutoscaler. Throws what upstream returns as the sync's error, after the status is written. */
  async reconcileAutoscaler(shared: HorizontalPodAutoscaler, key: string): Promise<void> {
    const hpa: HorizontalPodAutoscaler = {
      ...structuredClone(shared),
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
    };
    const original = structuredClone(shared.status);
    hpa.status ??= { desiredReplicas: 0 };
    const now = this.#now;
    // Through hpa.status each time: setStatus replaces the object (keeping the conditions).
    const cond = (c: ProposedCondition) => setCondition(hpa.status ?? { desiredReplicas: 0 }, c, now);
    const warn = (reason: string, message: string) => this.recorder.event(hpa, 'Warning', reason, message);
    const spec = hpa.spec ?? { scaleTargetRef: { kind: '', name: '' }, maxReplicas: 0 };
    const ref = spec.scaleTargetRef;
    const ns = hpa.metadata?.namespace ?? '';
    const reference = `${ref.kind}/${ns}/${ref.name}`;

    const failedGetScale = async (err: Error, message: string): Promise<never> => {
      warn('FailedGetScale', err.message);
      cond({
        type: 'AbleToScale',
        status: 'False',
        reason: 'FailedGetScale',
        message: `the HPA controller was unable to get the target's current scale: ${err.message}`,
      });
      await this.#updateStatusIfNeeded(shared, original, hpa);
      throw new Error(message);
    };

    let gv: ReturnType<typeof parseGroupVersion>;
    try {
      gv = parseGroupVersion(ref.apiVersion ?? '');
    } catch (e) {
      return failedGetScale(e as Error, `invalid API version in scale target reference: ${(e as Error).message}`);
    }
    let mappings: ScaleMapping[];
    try {
      mappings = await this.scales.mappings(gv.group, ref.kind);
    } catch (e) {
      return failedGetScale(
        e as Error,
        `unable to determine resource for scale target reference: ${(e as Error).message}`,
      );
    }
    let scale: Scale;
    let mapping: ScaleMapping;
    try {
      ({ scale, mapping } = await this.scales.get(ns, ref.name, mappings));
    } catch (e) {
      return failedGetScale(e as Error, `failed to query scale subresource for ${reference}: ${(e as Error).message}`);
    }
    cond({
      type: 'AbleToScale',
      status: 'True',
      reason: 'SucceededGetScale',
      message: "the HPA controller was able to get the target's current scale",
    });
    const current = scale.spec?.replicas ?? 0;
    this.history.recordInitial(key, current);
    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas;
    const rules = spec.behavior ? behaviorRules(spec.behavior, this.opts.downscaleStabilizationMs) : undefined;

    let desired = 0;
    let reason = '';
    let rescale = true;
    let statuses: MetricStatus[] | undefined;
    let partialError: Error | undefined;
    if (current === 0 && minReplicas !== 0) {
      desired = 0;
      rescale = false;
      cond({
        type: 'ScalingActive',
        status: 'False',
        reason: 'ScalingDisabled',
        message: 'scaling is disabled since the replica count of the target is zero',
      });
    } else if (current > maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (current < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const computed = await computeReplicasForMetrics(
        {
          metrics: this.metrics,
          pods: (n, s) => this.#podsIn(n, s),
          timing: () => ({
            cpuInitializationPeriodMs: this.opts.cpuInitializationPeriodMs,
            delayOfInitialReadinessStatusMs: this.opts.initialReadinessDelayMs,
            now: now(),
          }),
          tolerances: { scaleDown: this.opts.tolerance, scaleUp: this.opts.tolerance },
          warn,
          selectingHpas: (n, s, pods) => this.#selectingHpas(key, n, s, pods),
          setCondition: cond,
        },
        hpa,
        scale,
        spec.metrics?.length ? spec.metrics : DEFAULT_METRICS,
      );
      statuses = computed.statuses;
      if (computed.error && computed.replicas === -1) {
        this.#setStatus(hpa, current, hpa.status?.desiredReplicas ?? 0, statuses, false);
        await this.#updateStatusIfNeeded(shared, original, hpa).catch((e) => this.#logStatusError(key, e));
        warn('FailedComputeMetricsReplicas', computed.error.message);
        throw new Error(
          `failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error.message}`,
        );
      }
      partialError = computed.error;
      let metric = '';
      if (computed.replicas > desired) {
        desired = computed.replicas;
        metric = computed.metric;
      }
      if (desired > current) reason = `${metric} above target`;
      if (desired < current) reason = 'All metrics below target';
      const args = { key, current, desired, minReplicas, maxReplicas };
      const n = rules
        ? normalizeDesiredReplicasWithBehaviors(this.history, args, rules)
        : normalizeDesiredReplicas(this.history, args, this.opts.downscaleStabilizationMs);
      cond({ type: 'AbleToScale', status: 'True', ...n.ableToScale });
      cond({ type: 'ScalingLimited', ...n.limited });
      desired = n.desired;
      rescale = desired !== current;
    }

    if (rescale) {
      try {
        await this.scales.update(ns, mapping, { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (e) {
        const msg = (e as Error).message;
        warn('FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        cond({
          type: 'AbleToScale',
          status: 'False',
          reason: 'FailedUpdateScale',
          message: `the HPA controller was unable to update the target scale: ${msg}`,
        });
        this.#setStatus(hpa, current, hpa.status?.desiredReplicas ?? 0, statuses, false);
        await this.#updateStatusIfNeeded(shared, original, hpa).catch((err) => this.#logStatusError(key, err));
        throw new Error(`failed to rescale ${reference}: ${msg}`);
      }
      cond({
        type: 'AbleToScale',
        status: 'True',
        reason: 'SucceededRescale',
        message: `the HPA controller was able to update the target scale to ${desired}`,
      });
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.history.storeScaleEvent(key, rules, current, desired);
      this.log.info({ hpa: key, currentReplicas: current, desiredReplicas: desired, reason }, 'Successfully rescaled');
    } else {
      desired = current;
    }
    this.#setStatus(hpa, current, desired, statuses, rescale);
    await this.#updateStatusIfNeeded(shared, original, hpa);
    if (partialError) throw partialError;
  }

  #logStatusError(key: string, e: unknown): void {
    this.log.warn({ hpa: key, err: errorSummary(e) }, 'failed to update the HPA status');
  }

  /** setStatus: the status made anew, keeping the conditions and the last scale time. */
  #setStatus(
    hpa: HorizontalPodAutoscaler,
    current: number,
    desired: number,
    metrics: MetricStatus[] | undefined,
    rescale: boolean,
  ): void {
    const prev = hpa.status;
    const lastScaleTime = rescale ? metaTime(new Date(this.#now())) : prev?.lastScaleTime;
    hpa.status = {
      ...(hpa.metadata?.generation !== undefined ? { observedGeneration: hpa.metadata.generation } : {}),
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentReplicas: current,
      desiredReplicas: desired,
      ...(metrics?.length ? { currentMetrics: metrics } : {}),
      ...(prev?.conditions ? { conditions: prev.conditions } : {}),
    };
  }

  /** updateStatusIfNeeded: one PUT of /status, only when something changed. */
  async #updateStatusIfNeeded(
    shared: HorizontalPodAutoscaler,
    original: HorizontalPodAutoscaler['status'],
    hpa: HorizontalPodAutoscaler,
  ): Promise<void> {
    if (statusEqual(original, hpa.status)) return;
    const name = hpa.metadata?.name ?? '';
    try {
      await this.client
        .resource<HorizontalPodAutoscaler>({ ...HPAS, namespace: hpa.metadata?.namespace ?? '' })
        .updateSubresource(name, 'status', {
          ...shared,
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          status: hpa.status,
        });
    } catch (e) {
      this.recorder.event(hpa, 'Warning', 'FailedUpdateStatus', (e as Error).message);
      throw new Error(`failed to update status for ${name}: ${(e as Error).message}`);
    }
  }
}
