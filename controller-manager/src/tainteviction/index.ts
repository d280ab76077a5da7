// taint-eviction-controller (k8s pkg/controller/tainteviction): a pod on a node with NoExecute
// taints it does not tolerate is deleted at once; one that tolerates them all for a while (the
// 300 s DefaultTolerationSeconds gives every pod for not-ready and unreachable) is deleted when the
// shortest of those tolerations runs out, counted from when this controller saw the taint; a pod
// tolerating them forever stays. A taint lifted in time cancels the deletion. Before deleting, the
// pod gets the DisruptionTarget condition; Events "Marking for deletion Pod ns/name" and
// "Cancelling deletion of Pod ns/name" (TaintManagerEviction), as upstream's.
import type { Node, ObjectReference, Pod, PodCondition, Taint, Toleration } from '@mkube/shared/api';
import { metaTime, toleratesTaint } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { ReferenceEventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

/**
 * What to do with a pod given its node's NoExecute taints: `now`, `never`, or after `seconds`
 * (getMinTolerationTime over the tolerations that match; a toleration without seconds is forever).
 */
export function evictionDelay(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): { kind: 'now' } | { kind: 'never' } | { kind: 'after'; seconds: number } {
  let min: number | undefined;
  for (const taint of taints) {
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return { kind: 'now' };
    for (const t of matching) {
      if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
      // Negative or zero: evict right away (upstream treats <= 0 as 0).
      const s = Math.max(0, t.tolerationSeconds);
      min = min === undefined ? s : Math.min(min, s);
    }
  }
  if (taints.length === 0 || min === undefined) return { kind: 'never' };
  return { kind: 'after', seconds: min };
}

interface Scheduled {
  readonly createdAt: number;
  readonly fireAt: number;
  readonly timer: NodeJS.Timeout;
}

const key = (ns: string | undefined, name: string | undefined) => `${ns ?? ''}/${name ?? ''}`;

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  readonly queue = new WorkQueue('taint_eviction_controller');
  readonly #scheduled = new Map<string, Scheduled>();

  constructor(
    readonly client: KubeClient,
    readonly nodes: SharedInformer<Node>,
    readonly pods: SharedInformer<Pod>,
    readonly log: Logger,
    readonly recorder?: ReferenceEventRecorder,
  ) {
    const onPod = (p: Pod) => {
      if (p.spec?.nodeName) this.queue.add(key(p.metadata?.namespace, p.metadata?.name));
    };
    pods.addEventHandler({
      onAdd: onPod,
      onUpdate: (_o, p) => onPod(p),
      onDelete: (p) => this.#cancel(key(p.metadata?.namespace, p.metadata?.name), false),
    });
    const noExecute = (n: Node | undefined) =>
      JSON.stringify((n?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute'));
    const onNode = (old: Node | undefined, n: Node) => {
      if (old && noExecute(old) === noExecute(n)) return;
      for (const p of this.pods.store.list()) if (p.spec?.nodeName === n.metadata?.name) onPod(p);
    };
    nodes.addEventHandler({ onAdd: (n) => onNode(undefined, n), onUpdate: onNode });
  }

  run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => {
      for (const s of this.#scheduled.values()) clearTimeout(s.timer);
      this.#scheduled.clear();
    });
    return runQueue(this.queue, 4, (k) => this.sync(k), this.log, signal);
  }

  #ref(ns: string, name: string, uid?: string): ObjectReference {
    return { kind: 'Pod', apiVersion: 'v1', namespace: ns, name, ...(uid ? { uid } : {}) };
  }

  #cancel(k: string, withEvent: boolean, pod?: Pod): void {
    const s = this.#scheduled.get(k);
    if (!s) return;
    clearTimeout(s.timer);
    this.#scheduled.delete(k);
    if (withEvent && pod) {
      const [ns, name] = k.split('/');
      this.recorder?.eventFor(
        this.#ref(ns!, name!, pod.metadata?.uid),
        'Normal',
        'TaintManagerEviction',
        `Cancelling deletion of Pod ${k}`,
      );
    }
  }

  async sync(k: string): Promise<void> {
    const pod = this.pods.store.get(k);
    if (!pod || pod.metadata?.deletionTimestamp) return this.#cancel(k, false);
    const node = pod.spec?.nodeName ? this.nodes.store.get(pod.spec.nodeName) : undefined;
    const taints = (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    const d = evictionDelay(taints, pod.spec?.tolerations ?? []);
    if (d.kind === 'never') return this.#cancel(k, true, pod);
    if (d.kind === 'now') {
      this.#cancel(k, false);
      this.log.info({ pod: k, node: node?.metadata?.name }, 'not all taints are tolerated; deleting the pod');
      return this.#evict(k, pod);
    }
    const now = Date.now();
    const existing = this.#scheduled.get(k);
    const createdAt = existing?.createdAt ?? now;
    const fireAt = createdAt + d.seconds * 1000;
    if (existing && existing.fireAt <= fireAt) return;
    if (existing) this.#cancel(k, true, pod);
    const timer = setTimeout(
      () => {
        this.#scheduled.delete(k);
        const cur = this.pods.store.get(k);
        if (cur) void this.#evict(k, cur).catch((e: unknown) => this.#evictFailed(k, e));
      },
      Math.max(0, fireAt - now),
    );
    timer.unref();
    this.#scheduled.set(k, { createdAt, fireAt, timer });
  }

  #evictFailed(k: string, e: unknown): void {
    this.log.warn({ pod: k, err: (e as Error).message }, 'deleting the pod failed; trying again');
    this.queue.addRateLimited(k);
  }

  /** addConditionAndDeletePod: the DisruptionTarget condition, then the deletion. */
  async #evict(k: string, pod: Pod): Promise<void> {
    const [ns, name] = k.split('/') as [string, string];
    this.recorder?.eventFor(
      this.#ref(ns, name, pod.metadata?.uid),
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${k}`,
    );
    const pods = this.client.resource<Pod>({ ...RESOURCES.pods, namespace: ns });
    const target: PodCondition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
      lastTransitionTime: metaTime(new Date()),
    };
    const conditions = pod.status?.conditions ?? [];
    const had = conditions.find((c) => c.type === 'DisruptionTarget');
    if (had?.status !== 'True' || had.reason !== target.reason) {
      try {
        await pods.updateSubresource(name, 'status', {
          ...pod,
          status: { ...pod.status, conditions: [...conditions.filter((c) => c !== had), target] },
        });
      } catch (err) {
        if (isNotFound(err)) return;
        // A newer pod in the cache will come through sync again.
        if (!isConflict(err)) throw err;
      }
    }
    try {
      await pods.delete(name, { preconditions: { uid: pod.metadata?.uid } });
      this.log.info({ pod: k }, 'deleted the pod (NoExecute taint)');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
