// NodePorts: a pod asking for host ports fits only a node where none of them is taken.

import { type HostPort, hostPortsOf } from '../framework/hostports.js';
import type { FilterPlugin } from '../framework/interface.js';
import { status, unschedulable } from '../framework/status.js';
import { NAMES } from './names.js';

export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const WANTED = 'PreFilterNodePorts';

export const nodePorts: FilterPlugin = {
  name: NAMES.NodePorts,
  preFilter(state, pod) {
    const wanted = hostPortsOf(pod);
    if (wanted.length === 0) return status('Skip');
    state.set(WANTED, wanted);
    return undefined;
  },
  filter(state, pod, node) {
    const wanted = (state.get(WANTED) as HostPort[] | undefined) ?? hostPortsOf(pod);
    const clash = wanted.some((p) => node.usedPorts.conflicts(p.ip, p.protocol, p.port));
    return clash ? unschedulable(ERR_REASON_NODE_PORTS) : undefined;
  },
  queueingHint(pod, e) {
    if (e.kind === 'NodeAdd') return 'Queue';
    if (e.kind !== 'AssignedPodDelete') return 'QueueSkip';
    // Only a deleted pod that held one of the ports this pod wants frees anything for it.
    const freed = hostPortsOf(e.pod);
    const wanted = hostPortsOf(pod);
    const overlaps = wanted.some((w) => freed.some((f) => f.port === w.port && f.protocol === w.protocol));
    return overlaps ? 'Queue' : 'QueueSkip';
  },
};
