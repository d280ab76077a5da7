// From the metrics' proposal to the count the controller writes (horizontal.go's normalizeDesiredReplicas
// and normalizeDesiredReplicasWithBehaviors): the stabilization window over recent recommendations,
// then the scaling rate (the behavior's policies over recent scale events, or without a behavior the
// old limit of max(2 × current, 4)), then minReplicas and maxReplicas.
import type { HorizontalPodAutoscalerBehavior, HPAScalingPolicy, HPAScalingRules } from '@mkube/shared/api';

/** Without a behavior a scale-up may at most double the count, and always reach 4. */
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

/** A condition the normalization sets: the reason and message. */
export interface Verdict {
  readonly reason: string;
  readonly message: string;
}

export interface Normalized {
  readonly desired: number;
  /** AbleToScale (True): ReadyForNewScale, ScaleUpStabilized or ScaleDownStabilized. */
  readonly ableToScale: Verdict;
  /** ScalingLimited: True when the rate or the bounds changed the stabilized recommendation. */
  readonly limited: Verdict & { readonly status: 'True' | 'False' };
}

/** Fully defaulted rules (autoscaling/v2's GenerateHPAScale{Up,Down}Rules, the window then filled in). */
export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly HPAScalingPolicy[];
}

const DEFAULT_SCALE_UP_POLICIES: readonly HPAScalingPolicy[] = [
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
];
const DEFAULT_SCALE_DOWN_POLICIES: readonly HPAScalingPolicy[] = [{ type: 'Percent', value: 100, periodSeconds: 15 }];

/**
 * The defaults the v2 API fills into a behavior that is set; a scale-down without a window takes the
 * controller's --horizontal-pod-autoscaler-downscale-stabilization (maybeInitScaleDownStabilizationWindow).
 */
export function behaviorRules(
  b: HorizontalPodAutoscalerBehavior,
  downscaleWindowMs: number,
): { scaleUp: ScalingRules; scaleDown: ScalingRules } {
  const fill = (
    r: HPAScalingRules | undefined,
    policies: readonly HPAScalingPolicy[],
    window: number,
  ): ScalingRules => ({
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? window,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? policies,
  });
  return {
    scaleUp: fill(b.scaleUp, DEFAULT_SCALE_UP_POLICIES, 0),
    scaleDown: fill(b.scaleDown, DEFAULT_SCALE_DOWN_POLICIES, Math.trunc(downscaleWindowMs / 1000)),
  };
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  /** Absolute change. */
  change: number;
  at: number;
  outdated: boolean;
}

/** What the controller remembers per HPA between syncs: recommendations and scale events. */
export class ScalingHistory {
  readonly #recommendations = new Map<string, Recommendation[]>();
  readonly #up = new Map<string, ScaleEvent[]>();
  readonly #down = new Map<string, ScaleEvent[]>();

  constructor(readonly now: () => number = Date.now) {}

  forget(key: string): void {
    this.#recommendations.delete(key);
    this.#up.delete(key);
    this.#down.delete(key);
  }

  /** recordInitialRecommendation: the count found at the first sync counts as a recommendation. */
  recordInitial(key: string, current: number): void {
    if (!this.#recommendations.has(key)) this.#recommendations.set(key, [{ replicas: current, at: this.now() }]);
  }

  /** Replaces one sample older than every window (or adds one), so the list stays as long as the windows need. */
  #record(key: string, replicas: number, stale: (r: Recommendation) => boolean): void {
    const list = this.#recommendations.get(key) ?? [];
    let old = -1;
    list.forEach((r, i) => {
      if (stale(r)) old = i;
    });
    const rec = { replicas, at: this.now() };
    if (old >= 0) list[old] = rec;
    else list.push(rec);
    this.#recommendations.set(key, list);
  }

  /** stabilizeRecommendation (no behavior): the highest recommendation within the downscale window. */
  stabilize(key: string, desired: number, windowMs: number): number {
    const cutoff = this.now() - windowMs;
    let max = desired;
    for (const r of this.#recommendations.get(key) ?? []) if (r.at >= cutoff && r.replicas > max) max = r.replicas;
    this.#record(key, desired, (r) => r.at < cutoff);
    return max;
  }

  /**
   * stabilizeRecommendationWithBehaviors: a scale-up goes no higher than the lowest recommendation in
   * its window, a scale-down no lower than the highest in its window.
   */
  stabilizeWithBehaviors(
    key: string,
    current: number,
    desired: number,
    up: ScalingRules,
    down: ScalingRules,
  ): Normalized['ableToScale'] & { replicas: number } {
    const now = this.now();
    const upCutoff = now - up.stabilizationWindowSeconds * 1000;
    const downCutoff = now - down.stabilizationWindowSeconds * 1000;
    let upRec = desired;
    let downRec = desired;
    for (const r of this.#recommendations.get(key) ?? []) {
      if (r.at > upCutoff) upRec = Math.min(upRec, r.replicas);
      if (r.at > downCutoff) downRec = Math.max(downRec, r.replicas);
    }
    let replicas = current;
    if (replicas < upRec) replicas = upRec;
    if (replicas > downRec) replicas = downRec;
    this.#record(key, desired, (r) => r.at < upCutoff && r.at < downCutoff);
    return desired >= current
      ? {
          replicas,
          reason: 'ScaleUpStabilized',
          message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
        }
      : {
          replicas,
          reason: 'ScaleDownStabilized',
          message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
        };
  }

  #changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number): number {
    const cutoff = this.now() - periodSeconds * 1000;
    let sum = 0;
    for (const e of events) if (e.at > cutoff) sum += e.change;
    return sum;
  }

  /** calculateScaleUpLimitWithScalingRules. */
  scaleUpLimit(key: string, current: number, rules: ScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const min = rules.selectPolicy === 'Min';
    let result = min ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
    for (const p of rules.policies) {
      const start =
        current -
        this.#changeInPeriod(this.#up.get(key) ?? [], p.periodSeconds) +
        this.#changeInPeriod(this.#down.get(key) ?? [], p.periodSeconds);
      // Rounded up, so that a small percentage of a small count still adds a pod.
      const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      result = min ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  /** calculateScaleDownLimitWithBehaviors. */
  scaleDownLimit(key: string, current: number, rules: ScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const min = rules.selectPolicy === 'Min';
    let result = min ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
    for (const p of rules.policies) {
      const start =
        current -
        this.#changeInPeriod(this.#up.get(key) ?? [], p.periodSeconds) +
        this.#changeInPeriod(this.#down.get(key) ?? [], p.periodSeconds);
      const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      result = min ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  /** storeScaleEvent: only a behavior's policies read the events. */
  storeScaleEvent(
    key: string,
    rules: { scaleUp: ScalingRules; scaleDown: ScalingRules } | undefined,
    prev: number,
    next: number,
  ): void {
    if (!rules) return;
    const upward = next > prev;
    const map = upward ? this.#up : this.#down;
    const longest = Math.max(0, ...(upward ? rules.scaleUp : rules.scaleDown).policies.map((p) => p.periodSeconds));
    const events = map.get(key) ?? [];
    const cutoff = this.now() - longest * 1000;
    let old = -1;
    events.forEach((e, i) => {
      if (e.at < cutoff) e.outdated = true;
      if (e.outdated) old = i;
    });
    const ev = { change: Math.abs(next - prev), at: this.now(), outdated: false };
    if (old >= 0) events[old] = ev;
    else events.push(ev);
    map.set(key, events);
  }
}

const WITHIN_RANGE: Verdict = {
  reason: 'DesiredWithinRange',
  message: 'the desired count is within the acceptable range',
};
const TOO_MANY: Verdict = {
  reason: 'TooManyReplicas',
  message: 'the desired replica count is more than the maximum replica count',
};
const TOO_FEW: Verdict = {
  reason: 'TooFewReplicas',
  message: 'the desired replica count is less than the minimum replica count',
};
const SCALE_UP_LIMIT: Verdict = {
  reason: 'ScaleUpLimit',
  message: 'the desired replica count is increasing faster than the maximum scale rate',
};
const SCALE_DOWN_LIMIT: Verdict = {
  reason: 'ScaleDownLimit',
  message: 'the desired replica count is decreasing faster than the maximum scale rate',
};
const READY: Verdict = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };

/** convertDesiredReplicasWithRules: the bounds and the fixed scale-up limit of an HPA without a behavior. */
export function convertDesiredReplicasWithRules(
  current: number,
  desired: number,
  min: number,
  max: number,
): { desired: number } & Verdict {
  const limit = Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM));
  const [maxAllowed, over] = max > limit ? [limit, SCALE_UP_LIMIT] : [max, TOO_MANY];
  if (desired < min) return { desired: min, ...TOO_FEW };
  if (desired > maxAllowed) return { desired: maxAllowed, ...over };
  return { desired, ...WITHIN_RANGE };
}

const limitedBy = (stabilized: number, r: { desired: number } & Verdict): Normalized['limited'] => ({
  status: r.desired === stabilized ? 'False' : 'True',
  reason: r.reason,
  message: r.message,
});

export interface NormalizeArgs {
  readonly key: string;
  readonly current: number;
  readonly desired: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/** normalizeDesiredReplicas: an HPA without a behavior. */
export function normalizeDesiredReplicas(h: ScalingHistory, a: NormalizeArgs, downscaleWindowMs: number): Normalized {
  const stabilized = h.stabilize(a.key, a.desired, downscaleWindowMs);
  const ableToScale: Verdict =
    stabilized !== a.desired
      ? {
          reason: 'ScaleDownStabilized',
          message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
        }
      : READY;
  const r = convertDesiredReplicasWithRules(a.current, stabilized, a.minReplicas, a.maxReplicas);
  return { desired: r.desired, ableToScale, limited: limitedBy(stabilized, r) };
}

/** normalizeDesiredReplicasWithBehaviors: stabilization, then the policies' rate, then the bounds. */
export function normalizeDesiredReplicasWithBehaviors(
  h: ScalingHistory,
  a: NormalizeArgs,
  rules: { scaleUp: ScalingRules; scaleDown: ScalingRules },
): Normalized {
  const s = h.stabilizeWithBehaviors(a.key, a.current, a.desired, rules.scaleUp, rules.scaleDown);
  const ableToScale: Verdict = s.replicas !== a.desired ? { reason: s.reason, message: s.message } : READY;
  const r = rateLimited(h, a, s.replicas, rules);
  return { desired: r.desired, ableToScale, limited: limitedBy(s.replicas, r) };
}

/** convertDesiredReplicasWithBehaviorRate. */
function rateLimited(
  h: ScalingHistory,
  a: NormalizeArgs,
  desired: number,
  rules: { scaleUp: ScalingRules; scaleDown: ScalingRules },
): { desired: number } & Verdict {
  if (desired > a.current) {
    // Until older events leave the period, no further scale-up.
    const limit = Math.max(h.scaleUpLimit(a.key, a.current, rules.scaleUp), a.current);
    const [maxAllowed, why] = a.maxReplicas > limit ? [limit, SCALE_UP_LIMIT] : [a.maxReplicas, TOO_MANY];
    if (desired > maxAllowed) return { desired: maxAllowed, ...why };
  } else if (desired < a.current) {
    const limit = Math.min(h.scaleDownLimit(a.key, a.current, rules.scaleDown), a.current);
    const [minAllowed, why] = a.minReplicas < limit ? [limit, SCALE_DOWN_LIMIT] : [a.minReplicas, TOO_FEW];
    if (desired < minAllowed) return { desired: minAllowed, ...why };
  }
  return { desired, ...WITHIN_RANGE };
}
