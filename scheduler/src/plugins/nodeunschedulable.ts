// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint the node lifecycle controller puts on it.
import { type Taint, tolerationsTolerateTaint } from '@mkube/shared/api';
import type { ClusterEvent, FilterPlugin } from '../framework/interface.js';
import { unresolvable } from '../framework/status.js';
import { NAMES } from './names.js';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export const nodeUnschedulable: FilterPlugin = {
  name: NAMES.NodeUnschedulable,
  filter(_state, pod, node) {
    if (!node.node.spec?.unschedulable) return undefined;
    if (tolerationsTolerateTaint(pod.spec?.tolerations, UNSCHEDULABLE_TAINT)) return undefined;
    return unresolvable(ERR_REASON_UNSCHEDULABLE);
  },
  queueingHint(pod, e: ClusterEvent) {
    // Node Add, or spec.unschedulable flipping (an UpdateNodeTaint): retry once the node takes the pod.
    if (e.kind === 'NodeAdd' || (e.kind === 'NodeUpdate' && e.changes.has('UpdateNodeTaint'))) {
      const ok = !e.node.spec?.unschedulable || tolerationsTolerateTaint(pod.spec?.tolerations, UNSCHEDULABLE_TAINT);
      return ok ? 'Queue' : 'QueueSkip';
    }
    return 'QueueSkip';
  },
};
