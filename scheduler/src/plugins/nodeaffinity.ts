// NodeAffinity: spec.nodeSelector and the required node affinity terms decide which nodes a pod
// may run on; the preferred terms' weights score the nodes that match them.
import type { PreferredSchedulingTerm } from '../api/index.js';
import type { FilterPlugin, ScorePlugin } from '../framework/interface.js';
import { status, unresolvable } from '../framework/status.js';
import { NAMES } from './names.js';
import { requiredNodeAffinityMatches, termMatches } from './nodeselector.js';
import { defaultNormalizeScore } from './normalize.js';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
/** PreFilter's rejection when every term pins metadata.name and no name is left. */
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const PREFERRED = 'PreScoreNodeAffinity';

export const nodeAffinity: FilterPlugin & ScorePlugin = {
  name: NAMES.NodeAffinity,
  weight: 2,
  preFilter(_state, pod) {
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!required && !pod.spec?.nodeSelector) return status('Skip');
    const terms = required?.nodeSelectorTerms ?? [];
    if (terms.length === 0) return undefined;
    // Terms are ORed; a term's metadata.name In requirements are ANDed. If every term pins names,
    // only those nodes need filtering.
    let names: Set<string> | undefined;
    for (const t of terms) {
      let termNames: Set<string> | undefined;
      for (const r of t.matchFields ?? []) {
        if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
        const s = new Set(r.values ?? []);
        termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
      }
      if (!termNames) return undefined;
      names = new Set([...(names ?? []), ...termNames]);
    }
    if (names && names.size === 0) return unresolvable(ERR_REASON_CONFLICT);
    return names ? { nodeNames: names } : undefined;
  },
  filter(_state, pod, node) {
    return requiredNodeAffinityMatches(pod, node.node) ? undefined : unresolvable(ERR_REASON_POD);
  },
  queueingHint(pod, e) {
    if (e.kind === 'NodeAdd' || (e.kind === 'NodeUpdate' && e.changes.has('UpdateNodeLabel'))) {
      const was = e.kind === 'NodeUpdate' && requiredNodeAffinityMatches(pod, e.old);
      return !was && requiredNodeAffinityMatches(pod, e.node) ? 'Queue' : 'QueueSkip';
    }
    return 'QueueSkip';
  },
  preScore(state, pod) {
    const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (preferred.length === 0) return status('Skip');
    state.set(PREFERRED, preferred);
    return undefined;
  },
  score(state, _pod, node) {
    const preferred = (state.get(PREFERRED) as PreferredSchedulingTerm[] | undefined) ?? [];
    let sum = 0;
    for (const p of preferred) if (p.weight !== 0 && termMatches(p.preference, node.node)) sum += p.weight;
    return sum;
  },
  normalize: (scores) => defaultNormalizeScore(scores, false),
};
