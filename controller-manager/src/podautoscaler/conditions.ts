// The HPA's status conditions (AbleToScale, ScalingActive, ScalingLimited): set in place, a new
// lastTransitionTime only when the status flips, as upstream's setConditionInList.
import type {
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerConditionType,
  HorizontalPodAutoscalerStatus,
} from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';

export type ConditionStatus = HorizontalPodAutoscalerCondition['status'];

/** A condition the controller proposes but may not set (the first failing metric's). */
export interface ProposedCondition {
  readonly type: HorizontalPodAutoscalerConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export function setCondition(
  status: HorizontalPodAutoscalerStatus,
  c: ProposedCondition,
  now: () => number = Date.now,
): void {
  status.conditions ??= [];
  const list = status.conditions;
  let existing = list.find((x) => x.type === c.type);
  if (!existing) {
    existing = { type: c.type, status: c.status };
    list.push(existing);
    existing.lastTransitionTime = metaTime(new Date(now()));
  } else if (existing.status !== c.status) {
    existing.lastTransitionTime = metaTime(new Date(now()));
  }
  existing.status = c.status;
  existing.reason = c.reason;
  existing.message = c.message;
}

/** getUnableComputeReplicaCountCondition's condition (its event is the caller's). */
export const unableToCompute = (reason: string, err: Error): ProposedCondition => ({
  type: 'ScalingActive',
  status: 'False',
  reason,
  message: `the HPA was unable to compute the replica count: ${err.message}`,
});
