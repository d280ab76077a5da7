// The order in which a node's daemon pods are kept (daemon_controller.go podByCreationTimestampAndPhase);
// the pod states they are counted by are the shared ones (@mkube/shared/controller).
import type { Pod } from '@mkube/shared/api';

/** podByCreationTimestampAndPhase: bound pods first, then the oldest, then by name. */
export function byCreationTimestampAndPhase(a: Pod, b: Pod): number {
  const aBound = Boolean(a.spec?.nodeName);
  const bBound = Boolean(b.spec?.nodeName);
  if (aBound !== bBound) return aBound ? -1 : 1;
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '')
    ? -1
    : (a.metadata.name ?? '') > (b.metadata.name ?? '')
      ? 1
      : 0;
}
