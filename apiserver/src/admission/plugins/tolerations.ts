// Two default-on upstream plugins that make a node's failure visible to its pods:
// DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds) gives every new pod
// (and every updated) pod tolerations of node.kubernetes.io/not-ready and unreachable (NoExecute) for 300 s, unless it
// already tolerates them — so the taint eviction controller deletes a dead node's pods after five
// minutes, not at once; TaintNodesByCondition (plugin/pkg/admission/nodetaint) registers every new
// Node with node.kubernetes.io/not-ready:NoSchedule, which the node controller lifts once it is Ready.
import type { Node, Pod, Taint, Toleration } from '@mkube/shared/api';
import type { AdmissionPlugin } from '../types.js';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

export interface DefaultTolerationSecondsOptions {
  /** --default-not-ready-toleration-seconds */
  readonly notReadySeconds: number;
  /** --default-unreachable-toleration-seconds */
  readonly unreachableSeconds: number;
}

/** Whether `t` tolerates every NoExecute taint with `key` (an empty key or effect matches any). */
const toleratesNoExecute = (t: Toleration, key: string) =>
  (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute');

export function defaultTolerationSeconds(o: DefaultTolerationSecondsOptions): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    // On updates too, as upstream's: a PUT of a pod as first written keeps the tolerations.
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async admit(a) {
      if (a.group !== '' || a.resource !== 'pods' || a.subresource !== '') return;
      const pod = a.object as Pod | undefined;
      if (!pod?.spec) return;
      const tolerations = pod.spec.tolerations ?? [];
      const add: Toleration[] = [];
      for (const [key, seconds] of [
        [TAINT_NODE_NOT_READY, o.notReadySeconds],
        [TAINT_NODE_UNREACHABLE, o.unreachableSeconds],
      ] as const) {
        if (tolerations.some((t) => toleratesNoExecute(t, key))) continue;
        add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
      }
      if (add.length > 0) pod.spec.tolerations = [...tolerations, ...add];
    },
  };
}

export const taintNodesByCondition: AdmissionPlugin = {
  name: 'TaintNodesByCondition',
  handles: (op) => op === 'CREATE',
  async admit(a) {
    if (a.group !== '' || a.resource !== 'nodes' || a.subresource !== '') return;
    const node = a.object as Node | undefined;
    if (!node) return;
    const notReady: Taint = { key: TAINT_NODE_NOT_READY, effect: 'NoSchedule' };
    const taints = node.spec?.taints ?? [];
    // MatchTaint: the same key and effect, whatever the value.
    if (taints.some((t) => t.key === notReady.key && t.effect === notReady.effect)) return;
    node.spec = { ...node.spec, taints: [...taints, notReady] };
  },
};
