// PodTopologySpread: a pod's topologySpreadConstraints (or the cluster's defaults) keep matching
// pods spread over nodes, zones or any node label: DoNotSchedule ones filter, ScheduleAnyway ones
// score. Built on the scheduler's Service/ReplicationController/ReplicaSet/StatefulSet informers,
// which the default constraints' selector is made from.
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../../api/index.js';
import type { ClusterEvent, FilterPlugin, QueueingHint, ScorePlugin } from '../../framework/interface.js';
import { NAMES } from '../names.js';
import {
  constraintsOf,
  DEFAULT_POD_TOPOLOGY_SPREAD_ARGS,
  nodeHasAllKeys,
  type PodTopologySpreadArgs,
} from './constraints.js';
import { NO_SPREAD_SOURCES, type SpreadSources } from './defaultselector.js';
import { filter, preFilter, removePod } from './filtering.js';
import { normalize, preScore, score } from './scoring.js';

export type PodTopologySpreadPlugin = FilterPlugin & ScorePlugin;

export function newPodTopologySpread(
  sources: SpreadSources = NO_SPREAD_SOURCES,
  args: PodTopologySpreadArgs = DEFAULT_POD_TOPOLOGY_SPREAD_ARGS,
  weight = 2,
): PodTopologySpreadPlugin {
  return {
    name: NAMES.PodTopologySpread,
    weight,
    preFilter: (state, pod, nodes = []) => preFilter(state, pod, nodes, args, sources),
    filter,
    removePod: (state, pod, victim, node) => removePod(state, pod, victim, node.node),
    queueingHint: (pod, e) => podTopologySpreadHint(pod, e, args, sources),
    preScore: (state, pod, nodes, all) => preScore(state, pod, nodes, all, args, sources),
    score,
    normalize,
  };
}

/** isSchedulableAfterPodChange / isSchedulableAfterNodeChange (queueing hints on, as 1.33). */
export function podTopologySpreadHint(
  pod: Pod,
  e: ClusterEvent,
  args: PodTopologySpreadArgs,
  sources: SpreadSources,
): QueueingHint {
  const constraints = constraintsOf(pod, 'DoNotSchedule', args, sources);
  const sameNs = (p: Pod) => p.metadata?.namespace === pod.metadata?.namespace;
  const matchesAny = (p: Pod) => constraints.some((c) => c.selector.matches(p.metadata?.labels ?? {}));
  const keysOf = (n: Node) => constraints.map((c) => n.metadata?.labels?.[c.topologyKey]).join('\u0000');
  switch (e.kind) {
    case 'AssignedPodAdd':
    case 'AssignedPodDelete':
      return sameNs(e.pod) && matchesAny(e.pod) ? 'Queue' : 'QueueSkip';
    case 'AssignedPodUpdate': {
      if (!sameNs(e.pod)) return 'QueueSkip';
      const was = e.old.metadata?.labels ?? {};
      const is = e.pod.metadata?.labels ?? {};
      return constraints.some((c) => c.selector.matches(was) !== c.selector.matches(is)) ? 'Queue' : 'QueueSkip';
    }
    case 'NodeAdd':
      return nodeHasAllKeys(e.node, constraints) ? 'Queue' : 'QueueSkip';
    case 'NodeUpdate': {
      const was = nodeHasAllKeys(e.old, constraints);
      const is = nodeHasAllKeys(e.node, constraints);
      if (was !== is) return 'Queue';
      const changed = keysOf(e.old) !== keysOf(e.node) || e.changes.has('UpdateNodeTaint');
      return is && changed ? 'Queue' : 'QueueSkip';
    }
    default:
      return 'QueueSkip';
  }
}
