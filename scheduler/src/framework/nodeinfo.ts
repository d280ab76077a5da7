// One node as a scheduling cycle sees it (framework.NodeInfo): the Node, the pods assigned or assumed
// on it, what they request (as asked, and with the scoring defaults for what they leave unset), what
// the node offers, the host ports in use, and the pods' inter-pod affinity terms.
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../api/index.js';
import { podRequests } from '../resource/requests.js';
import { amountsOf, Resource } from '../resource/resource.js';
import { affinityTermsOf, type PodAffinityTerms } from './affinityterms.js';
import { HostPortInfo, hostPortsOf } from './hostports.js';

export interface PodInfo {
  readonly pod: Pod;
  /** The pod's requests, as computed once when it was added. */
  readonly requests: Resource;
  readonly nonZeroRequests: Resource;
  /** Its inter-pod (anti-)affinity terms, parsed once. */
  readonly terms: PodAffinityTerms;
}

export function podInfoOf(pod: Pod): PodInfo {
  return {
    pod,
    requests: podRequests(pod),
    nonZeroRequests: podRequests(pod, { nonMissing: true }),
    terms: affinityTermsOf(pod),
  };
}

export class NodeInfo {
  readonly pods: PodInfo[] = [];
  requested = new Resource();
  nonZeroRequested = new Resource();
  allocatable: Resource;
  readonly usedPorts = new HostPortInfo();

  constructor(readonly node: Node) {
    this.allocatable = Resource.from(amountsOf(node.status?.allocatable));
  }

  get name(): string {
    return this.node.metadata?.name ?? '';
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    this.requested.plus(pi.requests);
    this.nonZeroRequested.plus(pi.nonZeroRequests);
    for (const p of hostPortsOf(pi.pod)) this.usedPorts.add(p.ip, p.protocol, p.port);
  }

  /** A copy without the pods `drop` selects (what preemption's dry run looks at). */
  without(drop: (p: PodInfo) => boolean): NodeInfo {
    const n = new NodeInfo(this.node);
    for (const p of this.pods) if (!drop(p)) n.addPod(p);
    return n;
  }
}
