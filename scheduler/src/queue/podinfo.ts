// A pod as the queue holds it (framework.QueuedPodInfo): when it was queued, how often it was tried,
// which plugins rejected it last, whether its scheduling gates hold it back, and its backoff.
import type { Pod } from '../api/index.js';
import { podKey } from '../api/index.js';

export interface QueuedPodInfo {
  pod: Pod;
  readonly key: string;
  /** When it was added or last returned to the queue (epoch ms): orders equals, starts the backoff. */
  timestamp: number;
  /** When it was first popped (for logs and the attempt metrics). */
  initialAttemptTimestamp?: number;
  attempts: number;
  /** The filter plugins that rejected it in its last attempt; empty after an error. */
  unschedulablePlugins: Set<string>;
  /** Held back by spec.schedulingGates (PreEnqueue): never tried, waits for its own update. */
  gated: boolean;
}

export function newQueuedPodInfo(pod: Pod, now: number): QueuedPodInfo {
  return { pod, key: podKey(pod), timestamp: now, attempts: 0, unschedulablePlugins: new Set(), gated: false };
}

/** activeQ's order (PrioritySort): higher spec.priority first, then earlier queued. */
export function activeLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const pa = a.pod.spec?.priority ?? 0;
  const pb = b.pod.spec?.priority ?? 0;
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
}

/**
 * calculateBackoffDuration: podInitialBackoff doubled per attempt after the first, capped at
 * podMaxBackoff.
 */
export function backoffDuration(attempts: number, initialMs: number, maxMs: number): number {
  let d = initialMs;
  for (let i = 1; i < attempts; i++) {
    if (d > maxMs - d) return maxMs;
    d += d;
  }
  return Math.min(d, maxMs);
}

/** PodSchedulingGates, the one PreEnqueue plugin: a gated pod is not tried. */
export function schedulingGated(pod: Pod): boolean {
  return (pod.spec?.schedulingGates ?? []).length > 0;
}

/**
 * isPodUpdated: whether anything but status and bookkeeping changed (a status write, ours included,
 * must not retry a parked pod).
 */
export function isPodUpdated(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _m, finalizers: _f, ...meta } = p.metadata ?? {};
    return JSON.stringify(sortKeys({ ...p, metadata: meta, status: undefined }));
  };
  return strip(a) !== strip(b);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
