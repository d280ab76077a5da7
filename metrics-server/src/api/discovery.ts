// The discovery documents an aggregated API server answers (k8s.io/apiserver's discovery handlers),
// for metrics.k8s.io/v1beta1 alone: the aggregator's availability check reads the version's list.
import { METRICS_GROUP, METRICS_VERSION } from '@mkube/shared/api';

const GV = `${METRICS_GROUP}/${METRICS_VERSION}`;
const version = { groupVersion: GV, version: METRICS_VERSION };
const group = {
  name: METRICS_GROUP,
  versions: [version],
  preferredVersion: version,
};

/** The document for a discovery path, or undefined when the path is not one. */
export function discoveryDocument(path: string): unknown {
  const p = path.replace(/\/+$/, '');
  if (p === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] };
  if (p === `/apis/${METRICS_GROUP}`) return { kind: 'APIGroup', apiVersion: 'v1', ...group };
  if (p === `/apis/${GV}`) {
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: GV,
      resources: [
        { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
        { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
      ],
    };
  }
  return undefined;
}
