// The scheduler's writes to the apiserver: the Binding that assigns a pod (DefaultBinder) and the
// PodScheduled condition (updatePod → PatchPodStatus, a strategic merge patch of pods/status that
// merges conditions by type). Both wait for a token of --kube-api-qps/--kube-api-burst first.

import { setTimeout as delay } from 'node:timers/promises';
import { type PodCondition, updatePodCondition } from '@mkube/shared/api';
import { type KubeClient, PatchType } from '@mkube/shared/client';
import { TokenBucket } from '@mkube/shared/flowcontrol';
import type { Binding, Pod } from './api/index.js';

const PODS = { group: '', version: 'v1', resource: 'pods' } as const;

/** The client's rate limit: every write waits for its token (client-go's flowcontrol on the rest client). */
export class Throttle {
  readonly #bucket: TokenBucket | undefined;

  constructor(qps: number, burst: number) {
    this.#bucket = qps > 0 ? new TokenBucket(qps, Math.max(1, burst)) : undefined;
  }

  async wait(signal?: AbortSignal): Promise<void> {
    const ms = this.#bucket?.reserve() ?? 0;
    if (ms <= 0) return;
    // An abort ends the wait early; the call it guards then sees the aborted signal itself.
    await delay(ms, undefined, { signal }).catch(() => undefined);
  }
}

export interface ApiCalls {
  bind(pod: Pod, nodeName: string, signal?: AbortSignal): Promise<void>;
  /** Sets the pod's PodScheduled condition; false when it already said exactly that (nothing sent). */
  setScheduledCondition(pod: Pod, condition: ScheduledCondition, signal?: AbortSignal): Promise<boolean>;
}

export interface ScheduledCondition {
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export function bindingFor(pod: Pod, nodeName: string): Binding {
  return {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: {
      name: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? '',
      ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    },
    target: { kind: 'Node', name: nodeName },
  };
}

/** The PodScheduled condition as it should be written, or undefined when the pod already says so. */
export function nextScheduledCondition(pod: Pod, c: ScheduledCondition, now: Date): PodCondition | undefined {
  const status = { conditions: [...(pod.status?.conditions ?? [])] };
  if (!updatePodCondition(status, { type: 'PodScheduled', ...c }, now)) return undefined;
  return status.conditions.find((x) => x.type === 'PodScheduled');
}

export function apiCalls(client: KubeClient, throttle: Throttle, now: () => Date = () => new Date()): ApiCalls {
  return {
    async bind(pod, nodeName, signal) {
      await throttle.wait(signal);
      const ns = pod.metadata?.namespace ?? '';
      await client
        .resource<Pod>({ ...PODS, namespace: ns })
        .createSubresource<Binding, unknown>(pod.metadata?.name ?? '', 'binding', bindingFor(pod, nodeName), {
          signal,
        });
    },
    async setScheduledCondition(pod, c, signal) {
      const condition = nextScheduledCondition(pod, c, now());
      if (!condition) return false;
      await throttle.wait(signal);
      await client.resource<Pod>({ ...PODS, namespace: pod.metadata?.namespace ?? '' }).patch(
        pod.metadata?.name ?? '',
        PatchType.StrategicMerge,
        { status: { conditions: [condition] } },
        {
          subresource: 'status',
          signal,
        },
      );
      return true;
    },
  };
}
