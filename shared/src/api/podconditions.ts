// podutil.UpdatePodCondition (pkg/api/v1/pod), which the apiserver's binding and the scheduler's
// status writes both follow, so a condition's lastTransitionTime means the same whoever wrote it.
import type { PodCondition, PodStatus } from './core.js';
import { metaTime } from './time.js';

/**
 * podutil.UpdatePodCondition: the condition replaces the one of its type (reason and message
 * included); lastTransitionTime moves only when the status does. Returns whether anything changed.
 */
export function updatePodCondition(status: PodStatus, condition: PodCondition, now: Date): boolean {
  const next: PodCondition = { ...condition, lastProbeTime: condition.lastProbeTime ?? null };
  next.lastTransitionTime = metaTime(now);
  const conditions = status.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === condition.type);
  const old = conditions[i];
  if (!old) {
    status.conditions = [...conditions, next];
    return true;
  }
  if (old.status === next.status) {
    if (old.lastTransitionTime) next.lastTransitionTime = old.lastTransitionTime;
    else delete next.lastTransitionTime;
  }
  const same =
    old.status === next.status &&
    (old.reason ?? '') === (next.reason ?? '') &&
    (old.message ?? '') === (next.message ?? '') &&
    (old.lastProbeTime ?? null) === next.lastProbeTime &&
    old.lastTransitionTime === next.lastTransitionTime;
  conditions[i] = next;
  status.conditions = conditions;
  return !same;
}
