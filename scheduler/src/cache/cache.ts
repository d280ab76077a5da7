// The scheduler's view of the cluster (backend/cache): nodes, the pods bound to them, and the pods
// it has assumed onto a node while their binding is sent, so the next pod's cycle already counts
// what they take. An assumed pod is confirmed by the assigned-pod informer's add, dropped when its
// binding fails, and expires if the informer never reports it (it was deleted right after binding).
import type { Node } from '@mkube/shared/api';
import type { Pod } from '../api/index.js';
import { NodeInfo, type PodInfo, podInfoOf } from '../framework/nodeinfo.js';

/** How long a bound, assumed pod waits for the informer before it is forgotten. */
export const ASSUMED_POD_TTL_MS = 30_000;

interface PodState {
  info: PodInfo;
  assumed: boolean;
  /** Set once its binding succeeded; the assumption expires then. */
  deadline?: number;
}

const uidOf = (p: Pod): string => p.metadata?.uid || `${p.metadata?.namespace}/${p.metadata?.name}`;

export class SchedulerCache {
  readonly #nodes = new Map<string, Node>();
  readonly #pods = new Map<string, PodState>();

  constructor(readonly now: () => number = Date.now) {}

  get nodeCount(): number {
    return this.#nodes.size;
  }

  setNode(node: Node): void {
    this.#nodes.set(node.metadata?.name ?? '', node);
  }

  removeNode(node: Node): void {
    this.#nodes.delete(node.metadata?.name ?? '');
  }

  /** The informer's pod (added or updated): it replaces an assumed one of the same uid. */
  setPod(pod: Pod): void {
    this.#pods.set(uidOf(pod), { info: podInfoOf(pod), assumed: false });
  }

  removePod(pod: Pod): void {
    this.#pods.delete(uidOf(pod));
  }

  isAssumed(pod: Pod): boolean {
    return this.#pods.get(uidOf(pod))?.assumed ?? false;
  }

  /** AssumePod: `pod` (its spec.nodeName set) counts on its node from now on. */
  assumePod(pod: Pod): void {
    this.#pods.set(uidOf(pod), { info: podInfoOf(pod), assumed: true });
  }

  /** FinishBinding: the binding was accepted; the informer should confirm it soon. */
  finishBinding(pod: Pod): void {
    const s = this.#pods.get(uidOf(pod));
    if (s?.assumed) s.deadline = this.now() + ASSUMED_POD_TTL_MS;
  }

  /** ForgetPod: the binding failed; the pod no longer counts. */
  forgetPod(pod: Pod): void {
    const s = this.#pods.get(uidOf(pod));
    if (s?.assumed) this.#pods.delete(uidOf(pod));
  }

  /** Drops bound assumptions the informer never confirmed. */
  cleanupAssumed(): void {
    const now = this.now();
    for (const [uid, s] of this.#pods)
      if (s.assumed && s.deadline !== undefined && s.deadline < now) this.#pods.delete(uid);
  }

  /** Every known node with its pods, by name (UpdateSnapshot). */
  snapshot(): NodeInfo[] {
    const infos = new Map<string, NodeInfo>();
    for (const [name, node] of [...this.#nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      infos.set(name, new NodeInfo(node));
    }
    for (const s of this.#pods.values()) infos.get(s.info.pod.spec?.nodeName ?? '')?.addPod(s.info);
    return [...infos.values()];
  }
}
