// InterPodAffinity: pods' required affinity and anti-affinity to other pods (and existing pods'
// anti-affinity to the incoming one) decide which nodes fit; preferred terms score them. Built on
// the scheduler's namespace informer, for namespaceSelector.
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../../api/index.js';
import {
  affinityTermsOf,
  matchesAllTerms,
  type NamespaceLister,
  NO_NAMESPACES,
  termMatches,
} from '../../framework/affinityterms.js';
import type { ClusterEvent, FilterPlugin, QueueingHint, ScorePlugin } from '../../framework/interface.js';
import { NAMES } from '../names.js';
import { filter, preFilter, removePod } from './filtering.js';
import { DEFAULT_INTER_POD_AFFINITY_ARGS, type InterPodAffinityArgs, normalize, preScore, score } from './scoring.js';

export type InterPodAffinityPlugin = FilterPlugin & ScorePlugin;

export function newInterPodAffinity(
  namespaces: NamespaceLister = NO_NAMESPACES,
  args: InterPodAffinityArgs = DEFAULT_INTER_POD_AFFINITY_ARGS,
  weight = 2,
): InterPodAffinityPlugin {
  return {
    name: NAMES.InterPodAffinity,
    weight,
    preFilter: (state, pod, nodes = []) => preFilter(state, pod, nodes, namespaces),
    filter: (state, _pod, node) => filter(state, node),
    removePod: (state, _pod, victim, node) => removePod(state, victim, node),
    queueingHint: interPodAffinityHint,
    preScore: (state, pod, _nodes, all) => preScore(state, pod, all, namespaces, args),
    score: (state, _pod, node) => score(state, node),
    normalize: (scores, state) => normalize(scores, state),
  };
}

/**
 * isSchedulableAfterPodChange / isSchedulableAfterNodeChange (queueing hints on, as 1.33). Beyond
 * upstream, a deleted pod whose own required anti-affinity matched the pod, and any added node,
 * also retry a pod with no terms of its own: only existing pods' anti-affinity can have rejected it,
 * and upstream's hints would leave it parked until the unschedulable timeout.
 */
export function interPodAffinityHint(pod: Pod, e: ClusterEvent): QueueingHint {
  const terms = affinityTermsOf(pod);
  switch (e.kind) {
    case 'AssignedPodAdd':
      return matchesAllTerms(terms.requiredAffinity, e.pod) ? 'Queue' : 'QueueSkip';
    case 'AssignedPodUpdate': {
      const gained = !matchesAllTerms(terms.requiredAffinity, e.old) && matchesAllTerms(terms.requiredAffinity, e.pod);
      const lost =
        matchesAllTerms(terms.requiredAntiAffinity, e.old) && !matchesAllTerms(terms.requiredAntiAffinity, e.pod);
      return gained || lost ? 'Queue' : 'QueueSkip';
    }
    case 'AssignedPodDelete': {
      if (matchesAllTerms(terms.requiredAntiAffinity, e.pod)) return 'Queue';
      // Namespaces chosen by label are not looked up here; the unschedulable timeout covers those.
      return affinityTermsOf(e.pod).requiredAntiAffinity.some((t) => termMatches(t, pod)) ? 'Queue' : 'QueueSkip';
    }
    case 'NodeAdd':
      if (terms.requiredAffinity.length + terms.requiredAntiAffinity.length === 0) return 'Queue';
      return hasTopologyKey(e.node, terms) ? 'Queue' : 'QueueSkip';
    case 'NodeUpdate':
      if (!e.changes.has('UpdateNodeLabel') && !e.changes.has('UpdateNodeTaint')) return 'QueueSkip';
      if (terms.requiredAffinity.length + terms.requiredAntiAffinity.length === 0)
        return e.changes.has('UpdateNodeLabel') ? 'Queue' : 'QueueSkip';
      return hasTopologyKey(e.node, terms) ? 'Queue' : 'QueueSkip';
    default:
      return 'QueueSkip';
  }
}

function hasTopologyKey(node: Node, terms: ReturnType<typeof affinityTermsOf>): boolean {
  const labels = node.metadata?.labels ?? {};
  return [...terms.requiredAffinity, ...terms.requiredAntiAffinity].some((t) => t.topologyKey in labels);
}
