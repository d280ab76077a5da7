// The kubelet's /metrics/resource in Prometheus text format, decoded into one batch of points
// (metrics-server pkg/scraper/client/resource/decode.go): the node's cumulative CPU and working set,
// and each container's, each with the time the kubelet sampled it. A container without both CPU and
// memory is left out, as upstream does; so is a sample with a value that is not a number.

/** A cumulative CPU reading (core-nanoseconds) and the working set, at one sampling time. */
export interface MetricsPoint {
  /** Milliseconds since the epoch: when the kubelet sampled the CPU counter. */
  readonly timestamp: number;
  /** Nanoseconds of CPU time used since the container (or node) started. */
  readonly cumulativeCpuUsed: number;
  readonly memoryUsage: number;
  /** The container's start (ms since the epoch): a new start is a new counter. */
  readonly startTime: number;
}

export interface PodPoints {
  readonly containers: Map<string, MetricsPoint>;
}

/** What one kubelet reported. */
export interface NodeScrape {
  readonly node?: MetricsPoint;
  /** Keyed `<namespace>/<name>`. */
  readonly pods: Map<string, PodPoints>;
}

/** Every node's scrape, merged (the storage's input). */
export interface MetricsBatch {
  readonly nodes: Map<string, MetricsPoint>;
  readonly pods: Map<string, PodPoints>;
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly timestamp?: number;
}

/** One exposition line, or undefined for comments, blanks and what does not parse. */
export function parseSampleLine(line: string): Sample | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  const name = line.slice(0, i);
  if (!name) return undefined;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const eq = line.indexOf('=', i);
      if (eq < 0 || line[eq + 1] !== '"') return undefined;
      const key = line.slice(i, eq).trim();
      let value = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length) {
          j++;
          value += line[j] === 'n' ? '\n' : line[j];
        } else value += line[j];
      }
      if (j >= line.length) return undefined;
      labels[key] = value;
      i = j + 1;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = Number(rest[0]);
  if (rest[0] === undefined || rest[0] === '' || Number.isNaN(value)) return undefined;
  const ts = rest[1] !== undefined ? Number(rest[1]) : undefined;
  return { name, labels, value, ...(ts !== undefined && Number.isFinite(ts) ? { timestamp: ts } : {}) };
}

interface Partial {
  cpu?: number;
  time?: number;
  memory?: number;
  start?: number;
}

export function decodeBatch(text: string, scrapedAt: number): NodeScrape {
  let node: Partial = {};
  const containers = new Map<string, Map<string, Partial>>();
  const containerOf = (l: Record<string, string>): Partial | undefined => {
    if (!l.namespace || !l.pod || !l.container) return undefined;
    const key = `${l.namespace}/${l.pod}`;
    let pod = containers.get(key);
    if (!pod) {
      pod = new Map();
      containers.set(key, pod);
    }
    let c = pod.get(l.container);
    if (!c) {
      c = {};
      pod.set(l.container, c);
    }
    return c;
  };
  for (const line of text.split('\n')) {
    const s = parseSampleLine(line);
    if (!s) continue;
    switch (s.name) {
      case 'node_cpu_usage_seconds_total':
        node = { ...node, cpu: s.value * 1e9, time: s.timestamp ?? scrapedAt };
        break;
      case 'node_memory_working_set_bytes':
        node = { ...node, memory: s.value };
        break;
      case 'container_cpu_usage_seconds_total': {
        const c = containerOf(s.labels);
        if (c) {
          c.cpu = s.value * 1e9;
          c.time = s.timestamp ?? scrapedAt;
        }
        break;
      }
      case 'container_memory_working_set_bytes': {
        const c = containerOf(s.labels);
        if (c) c.memory = s.value;
        break;
      }
      case 'container_start_time_seconds': {
        const c = containerOf(s.labels);
        if (c) c.start = s.value * 1000;
        break;
      }
    }
  }
  const point = (p: Partial): MetricsPoint | undefined =>
    p.cpu !== undefined && p.memory !== undefined && p.time !== undefined
      ? { timestamp: p.time, cumulativeCpuUsed: p.cpu, memoryUsage: p.memory, startTime: p.start ?? 0 }
      : undefined;
  const n = point(node);
  const pods = new Map<string, PodPoints>();
  for (const [key, cs] of containers) {
    const points = new Map<string, MetricsPoint>();
    for (const [name, c] of cs) {
      const p = point(c);
      if (p) points.set(name, p);
    }
    if (points.size > 0) pods.set(key, { containers: points });
  }
  return n ? { node: n, pods } : { pods };
}
