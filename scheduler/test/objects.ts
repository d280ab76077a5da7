// Hand-written Nodes and Pods for the unit tests.
import type { Node, Taint } from '@mkube/shared/api';
import type { Pod, PodSpec } from '../src/api/index.ts';
import { NodeInfo, podInfoOf } from '../src/framework/nodeinfo.ts';

export function node(
  name: string,
  o: {
    cpu?: string;
    memory?: string;
    pods?: string;
    labels?: Record<string, string>;
    taints?: Taint[];
    unschedulable?: boolean;
    extra?: Record<string, string>;
  } = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra },
    },
  };
}

let uid = 0;

export function pod(
  name: string,
  o: { cpu?: string; memory?: string; spec?: Partial<PodSpec>; nodeName?: string; namespace?: string } = {},
): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}-${++uid}` },
    spec: {
      schedulerName: 'default-scheduler',
      containers: [{ name: 'c', image: 'busybox', ...(o.cpu || o.memory ? { resources: { requests } } : {}) }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...o.spec,
    },
    status: { phase: 'Pending' },
  };
}

/** A NodeInfo for `n` holding `pods`. */
export function info(n: Node, ...pods: Pod[]): NodeInfo {
  const ni = new NodeInfo(n);
  for (const p of pods) ni.addPod(podInfoOf({ ...p, spec: { ...p.spec!, nodeName: n.metadata.name } }));
  return ni;
}
