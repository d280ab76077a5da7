// TaintToleration: a node's NoSchedule and NoExecute taints keep off every pod that does not
// tolerate them; among the nodes left, fewer untolerated PreferNoSchedule taints score higher.
import { findUntoleratedTaint, type Toleration, tolerationsTolerateTaint } from '@mkube/shared/api';
import type { FilterPlugin, ScorePlugin } from '../framework/interface.js';
import { unresolvable } from '../framework/status.js';
import { NAMES } from './names.js';
import { defaultNormalizeScore } from './normalize.js';
import { doNotSchedule } from './tolerations.js';

/** The reason names the first untolerated taint, as kube-scheduler v1.33 does (later versions drop it). */
export function untoleratedTaintReason(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

const PREFER_TOLERATIONS = 'PreScoreTaintToleration';

export const taintToleration: FilterPlugin & ScorePlugin = {
  name: NAMES.TaintToleration,
  weight: 3,
  filter(_state, pod, node) {
    const taint = findUntoleratedTaint(node.node.spec?.taints, pod.spec?.tolerations, doNotSchedule);
    return taint ? unresolvable(untoleratedTaintReason(taint.key, taint.value)) : undefined;
  },
  queueingHint(pod, e) {
    if (e.kind === 'NodeAdd' || (e.kind === 'NodeUpdate' && e.changes.has('UpdateNodeTaint'))) {
      const was =
        e.kind === 'NodeAdd' || !!findUntoleratedTaint(e.old.spec?.taints, pod.spec?.tolerations, doNotSchedule);
      const is = !!findUntoleratedTaint(e.node.spec?.taints, pod.spec?.tolerations, doNotSchedule);
      return was && !is ? 'Queue' : 'QueueSkip';
    }
    return 'QueueSkip';
  },
  preScore(state, pod) {
    // Tolerations with no effect tolerate PreferNoSchedule too.
    const prefer = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.set(PREFER_TOLERATIONS, prefer);
    return undefined;
  },
  score(state, _pod, node) {
    const tolerations = (state.get(PREFER_TOLERATIONS) as Toleration[] | undefined) ?? [];
    return (node.node.spec?.taints ?? []).filter(
      (t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, t),
    ).length;
  },
  normalize: (scores) => defaultNormalizeScore(scores, true),
};
