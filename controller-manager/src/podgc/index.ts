// pod-garbage-collector-controller (k8s pkg/controller/podgc): every 20 s it force-deletes (grace 0)
//  - terminated pods (Succeeded, Failed) beyond --terminated-pod-gc-threshold, oldest first;
//  - terminating pods on a node that is not Ready and carries node.kubernetes.io/out-of-service;
//  - pods bound to a node that no longer exists, once a live read confirms it after 40 s of quarantine,
//    first marked Failed with the DisruptionTarget condition (DeletionByPodGC);
//  - terminating pods no node was ever assigned.
// A kubelet that is gone cannot confirm a graceful deletion; these are what end such pods.
import type { Node, Pod, PodCondition } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, PatchType, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import type { Controller } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

export const GC_CHECK_PERIOD_MS = 20_000;
export const QUARANTINE_MS = 40_000;
const OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

const terminated = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const key = (p: Pod) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

export interface PodGCOptions {
  /** --terminated-pod-gc-threshold; 0 or less: terminated pods are never collected. */
  readonly terminatedPodThreshold: number;
  readonly periodMs?: number;
  readonly quarantineMs?: number;
}

export class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector-controller';
  /** Nodes seen missing, by name → when; checked with a live read once quarantined. */
  readonly #missingSince = new Map<string, number>();

  constructor(
    readonly client: KubeClient,
    readonly pods: SharedInformer<Pod>,
    readonly nodes: SharedInformer<Node>,
    readonly opts: PodGCOptions,
    readonly log: Logger,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    const period = this.opts.periodMs ?? GC_CHECK_PERIOD_MS;
    while (!signal.aborted) {
      try {
        await this.gc();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'pod garbage collection failed');
      }
      await sleep(period, signal);
    }
  }

  /** One pass, in upstream's order. */
  async gc(now = Date.now()): Promise<void> {
    const pods = this.pods.store.list();
    if (this.opts.terminatedPodThreshold > 0) await this.#gcTerminated(pods);
    await this.#gcTerminating(pods);
    await this.#gcOrphaned(pods, now);
    await this.#gcUnscheduledTerminating(pods);
  }

  async #gcTerminated(pods: Pod[]): Promise<void> {
    const done = pods.filter(terminated);
    const excess = done.length - this.opts.terminatedPodThreshold;
    if (excess <= 0) return;
    done.sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
    this.log.info({ count: excess, threshold: this.opts.terminatedPodThreshold }, 'garbage collecting terminated pods');
    for (const p of done.slice(0, excess)) await this.#forceDelete(p, undefined);
  }

  async #gcTerminating(pods: Pod[]): Promise<void> {
    for (const p of pods) {
      if (!p.metadata?.deletionTimestamp || !p.spec?.nodeName) continue;
      const node = this.nodes.store.get(p.spec.nodeName);
      if (!node) continue;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      const outOfService = (node.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE && t.effect === 'NoExecute');
      if (ready || !outOfService) continue;
      await this.#forceDelete(p, {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node is out of service',
        lastTransitionTime: metaTime(new Date()),
      });
    }
  }

  async #gcOrphaned(pods: Pod[], now: number): Promise<void> {
    const bound = new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n));
    for (const n of bound) {
      if (this.nodes.store.get(n)) this.#missingSince.delete(n);
      else if (!this.#missingSince.has(n)) this.#missingSince.set(n, now);
    }
    for (const [n, since] of this.#missingSince) {
      if (!bound.has(n) || this.nodes.store.get(n)) {
        this.#missingSince.delete(n);
        continue;
      }
      if (now - since < (this.opts.quarantineMs ?? QUARANTINE_MS)) continue;
      // The cache may lag: only a NotFound from the API proves the node is gone.
      try {
        await this.client.resource<Node>(RESOURCES.nodes).get(n);
        this.#missingSince.delete(n);
        continue;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      this.#missingSince.delete(n);
      for (const p of pods.filter((x) => x.spec?.nodeName === n)) {
        this.log.info({ pod: key(p), node: n }, 'found orphaned pod assigned to the node, deleting');
        await this.#forceDelete(p, {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByPodGC',
          message: 'PodGC: node no longer exists',
          lastTransitionTime: metaTime(new Date()),
        });
      }
    }
  }

  async #gcUnscheduledTerminating(pods: Pod[]): Promise<void> {
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp && !p.spec?.nodeName) await this.#forceDelete(p, undefined);
    }
  }

  /**
   * markFailedAndDeletePodWithCondition: a pod not yet terminal is marked Failed (with the condition,
   * when one is given), then deleted with grace 0 and its UID as precondition.
   */
  async #forceDelete(p: Pod, condition: PodCondition | undefined): Promise<void> {
    const ns = p.metadata?.namespace ?? '';
    const name = p.metadata?.name ?? '';
    const api = this.client.resource<Pod>({ ...RESOURCES.pods, namespace: ns });
    this.log.info({ pod: key(p) }, 'PodGC is force deleting Pod');
    try {
      if (!terminated(p)) {
        // A strategic merge of status, as upstream's apply: conditions merge by type.
        await api.patch(
          name,
          PatchType.StrategicMerge,
          { status: { phase: 'Failed', ...(condition ? { conditions: [condition] } : {}) } },
          { subresource: 'status' },
        );
      }
      await api.delete(name, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata?.uid } });
    } catch (e) {
      // Gone already, or changed under us: the next pass sees it as it is.
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }
}
