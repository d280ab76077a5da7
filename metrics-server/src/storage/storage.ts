// The last two points per node and per container (metrics-server pkg/storage): a usage is the CPU
// counter's rate between them and the newer working set, over the window between their times. A point
// that is not newer than the last keeps the pair as it is; a container whose start time moved (a
// restart) starts a new pair. A container that started less than a resolution ago (and at least 10 s
// ago) is measured from its start, counting from zero CPU, so a new pod shows usage after one scrape.
import { formatQuantity, Quantity } from '@mkube/shared/quantity';
import type { MetricsBatch, MetricsPoint, PodPoints } from '../scraper/decode.js';

const FRESH_CONTAINER_MIN_RESOLUTION_MS = 10_000;

export interface Usage {
  /** The end of the window, ms since the epoch. */
  readonly timestamp: number;
  readonly windowMs: number;
  readonly cpu: string;
  readonly memory: string;
}

/** The rate between two points, as metrics-server's resourceUsage; undefined when they cannot give one. */
export function resourceUsage(last: MetricsPoint, prev: MetricsPoint): Usage | undefined {
  const windowMs = last.timestamp - prev.timestamp;
  if (windowMs <= 0 || last.cumulativeCpuUsed < prev.cumulativeCpuUsed) return undefined;
  const nanoCores = Math.round(((last.cumulativeCpuUsed - prev.cumulativeCpuUsed) * 1000) / windowMs);
  return {
    timestamp: last.timestamp,
    windowMs,
    cpu: formatQuantity(new Quantity(BigInt(nanoCores), 1_000_000_000n), 'DecimalSI'),
    memory: formatQuantity(new Quantity(BigInt(Math.round(last.memoryUsage))), 'BinarySI'),
  };
}

export class NodeStorage {
  #last = new Map<string, MetricsPoint>();
  #prev = new Map<string, MetricsPoint>();

  store(batch: MetricsBatch): void {
    const last = new Map<string, MetricsPoint>();
    const prev = new Map<string, MetricsPoint>();
    for (const [node, point] of batch.nodes) {
      const before = this.#last.get(node);
      if (before && !(point.timestamp > before.timestamp)) {
        // Not newer: the pair stays.
        last.set(node, before);
        const p = this.#prev.get(node);
        if (p) prev.set(node, p);
        continue;
      }
      last.set(node, point);
      if (before && before.startTime >= point.startTime) prev.set(node, before);
    }
    this.#last = last;
    this.#prev = prev;
  }

  usage(node: string): Usage | undefined {
    const last = this.#last.get(node);
    const prev = this.#prev.get(node);
    return last && prev ? resourceUsage(last, prev) : undefined;
  }

  get size(): number {
    return this.#last.size;
  }
}

export interface PodUsage {
  readonly timestamp: number;
  readonly windowMs: number;
  readonly containers: { name: string; cpu: string; memory: string }[];
}

export class PodStorage {
  #last = new Map<string, PodPoints>();
  #prev = new Map<string, PodPoints>();

  constructor(readonly resolutionMs: number) {}

  store(batch: MetricsBatch): void {
    const last = new Map<string, PodPoints>();
    const prev = new Map<string, PodPoints>();
    for (const [pod, points] of batch.pods) {
      const lastContainers = new Map<string, MetricsPoint>();
      const prevContainers = new Map<string, MetricsPoint>();
      const beforeLast = this.#last.get(pod)?.containers;
      const beforePrev = this.#prev.get(pod)?.containers;
      for (const [name, point] of points.containers) {
        const before = beforeLast?.get(name);
        if (before && !(point.timestamp > before.timestamp)) {
          lastContainers.set(name, before);
          const p = beforePrev?.get(name);
          if (p) prevContainers.set(name, p);
          continue;
        }
        lastContainers.set(name, point);
        if (before && before.startTime >= point.startTime) {
          prevContainers.set(name, before);
          continue;
        }
        const age = point.timestamp - point.startTime;
        if (point.startTime > 0 && age >= FRESH_CONTAINER_MIN_RESOLUTION_MS && age < this.resolutionMs) {
          prevContainers.set(name, { ...point, timestamp: point.startTime, cumulativeCpuUsed: 0 });
        }
      }
      last.set(pod, { containers: lastContainers });
      if (prevContainers.size > 0) prev.set(pod, { containers: prevContainers });
    }
    this.#last = last;
    this.#prev = prev;
  }

  /** `<namespace>/<name>`'s usage; only containers with a pair are listed, and a pod with none is absent. */
  usage(key: string): PodUsage | undefined {
    const last = this.#last.get(key);
    const prev = this.#prev.get(key);
    if (!last || !prev) return undefined;
    const containers: PodUsage['containers'] = [];
    let timestamp = 0;
    let windowMs = 0;
    for (const [name, point] of [...last.containers].sort(([a], [b]) => a.localeCompare(b))) {
      const p = prev.containers.get(name);
      const u = p && resourceUsage(point, p);
      if (!u) continue;
      containers.push({ name, cpu: u.cpu, memory: u.memory });
      // The pod's time is its latest container's, with that container's window.
      if (u.timestamp > timestamp) {
        timestamp = u.timestamp;
        windowMs = u.windowMs;
      }
    }
    return containers.length > 0 ? { timestamp, windowMs, containers } : undefined;
  }

  get size(): number {
    return this.#last.size;
  }
}
