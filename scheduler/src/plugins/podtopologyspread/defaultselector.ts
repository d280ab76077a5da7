// helper.DefaultSelector: the selector a pod's default spreading counts with, made of the selectors
// of the Services that select it and of its controller (ReplicationController, ReplicaSet or
// StatefulSet), read from the scheduler's informers.
import type { ReplicaSet, ReplicationController, Service, StatefulSet } from '@mkube/shared/api';
import {
  type LabelsSelector,
  labelSelectorFromObject,
  labelSelectorFromSet,
  LabelsSelector as Selector,
} from '@mkube/shared/selectors';
import type { Pod } from '../../api/index.js';

/** What DefaultSelector reads; each by namespace (and name). */
export interface SpreadSources {
  services(namespace: string): readonly Service[];
  replicationController(namespace: string, name: string): ReplicationController | undefined;
  replicaSet(namespace: string, name: string): ReplicaSet | undefined;
  statefulSet(namespace: string, name: string): StatefulSet | undefined;
}

export const NO_SPREAD_SOURCES: SpreadSources = {
  services: () => [],
  replicationController: () => undefined,
  replicaSet: () => undefined,
  statefulSet: () => undefined,
};

export function defaultSelector(pod: Pod, sources: SpreadSources): LabelsSelector {
  const ns = pod.metadata?.namespace ?? '';
  const labels = pod.metadata?.labels ?? {};
  let set: Record<string, string> = {};
  // A Service without a selector selects nothing (not everything).
  for (const svc of sources.services(ns)) {
    const sel = svc.spec?.selector;
    if (sel && labelSelectorFromSet(sel).matches(labels)) set = { ...set, ...sel };
  }
  let selector = labelSelectorFromSet(set);
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (!owner) return selector;
  const withRequirementsOf = (s: Parameters<typeof labelSelectorFromObject>[0]) =>
    s ? Selector.of([...selector.requirements, ...labelSelectorFromObject(s).requirements]) : selector;
  if (owner.apiVersion === 'v1' && owner.kind === 'ReplicationController') {
    const rc = sources.replicationController(ns, owner.name);
    if (rc) selector = labelSelectorFromSet({ ...set, ...rc.spec?.selector });
  } else if (owner.apiVersion === 'apps/v1' && owner.kind === 'ReplicaSet') {
    const rs = sources.replicaSet(ns, owner.name);
    if (rs) selector = withRequirementsOf(rs.spec?.selector);
  } else if (owner.apiVersion === 'apps/v1' && owner.kind === 'StatefulSet') {
    const ss = sources.statefulSet(ns, owner.name);
    if (ss) selector = withRequirementsOf(ss.spec?.selector);
  }
  return selector;
}
