// NodeName: a pod that names its node fits only that node. (Pods with spec.nodeName are bound
// already and never reach the queue through the unassigned-pod informer; the check stays for fidelity.)
import type { FilterPlugin } from '../framework/interface.js';
import { unresolvable } from '../framework/status.js';
import { NAMES } from './names.js';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export const nodeName: FilterPlugin = {
  name: NAMES.NodeName,
  filter(_state, pod, node) {
    const want = pod.spec?.nodeName ?? '';
    return want === '' || want === node.name ? undefined : unresolvable(ERR_REASON_NODE_NAME);
  },
  queueingHint(pod, e) {
    if (e.kind !== 'NodeAdd') return 'QueueSkip';
    const want = pod.spec?.nodeName ?? '';
    return want === '' || want === e.node.metadata?.name ? 'Queue' : 'QueueSkip';
  },
};
