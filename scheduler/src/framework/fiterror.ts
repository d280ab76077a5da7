// Why a pod fits no node (framework.FitError and Diagnosis), and the text kube-scheduler writes into
// the PodScheduled condition and the FailedScheduling Event:
//   0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: …
// Each node's reasons are counted over all nodes; "<count> <reason>" strings are sorted as strings.
import { type Status, status } from './status.js';

/** ErrNoNodesAvailable's text: the cluster has no node at all. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Each rejected node's status, and one status for the nodes not looked at (framework.NodeToStatus). */
export class NodeToStatus {
  readonly #explicit = new Map<string, Status>();
  #absent: Status = status('UnschedulableAndUnresolvable');

  set(node: string, s: Status): void {
    this.#explicit.set(node, s);
  }

  get(node: string): Status {
    return this.#explicit.get(node) ?? this.#absent;
  }

  setAbsent(s: Status): void {
    this.#absent = s;
  }

  get absent(): Status {
    return this.#absent;
  }

  get size(): number {
    return this.#explicit.size;
  }

  entries(): IterableIterator<[string, Status]> {
    return this.#explicit.entries();
  }
}

export interface Diagnosis {
  readonly nodeToStatus: NodeToStatus;
  /** Plugins that rejected the pod somewhere: only events they care about retry it. */
  readonly unschedulablePlugins: Set<string>;
  /** A PreFilter plugin's rejection (then no node was filtered). */
  preFilterMsg: string;
  /** What PostFilter (preemption) said. */
  postFilterMsg: string;
}

export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new NodeToStatus(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
}

/** The FitError text for `numAllNodes` nodes. */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const [, s] of d.nodeToStatus.entries()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = numAllNodes - d.nodeToStatus.size;
    if (absent > 0) for (const r of d.nodeToStatus.absent.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    // Go's sort.Strings: by UTF-8 bytes, so "10 x" sorts before "2 y".
    const histogram = [...counts].map(([r, n]) => `${n} ${r}`).sort(byBytes);
    if (histogram.length > 0) msg += ` ${histogram.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A pod that fits no node: the count of nodes and why each was rejected. */
export class FitError {
  constructor(
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {}

  /** The text as of now: PostFilter adds to the diagnosis after the error is made. */
  get message(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}
