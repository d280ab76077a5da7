// GET /metrics/resource (upstream's resource metrics collector, what metrics-server scrapes): the
// node's, each container's and each pod's CPU and working set, each sample with the time it was
// taken in milliseconds, families in name order and labels sorted as client_golang writes them.
import { labelSet } from '@mkube/shared/metrics';
import type { CPUAndMemoryStats } from './provider.js';

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: string[];
}

export function renderResourceMetrics(stats: CPUAndMemoryStats | undefined): string {
  const fam = (name: string, type: Family['type'], help: string): Family => ({
    name,
    type,
    help: `[STABLE] ${help}`,
    samples: [],
  });
  const f = {
    containerCPU: fam(
      'container_cpu_usage_seconds_total',
      'counter',
      'Cumulative cpu time consumed by the container in core-seconds',
    ),
    containerMemory: fam(
      'container_memory_working_set_bytes',
      'gauge',
      'Current working set of the container in bytes',
    ),
    containerStart: fam(
      'container_start_time_seconds',
      'gauge',
      'Start time of the container since unix epoch in seconds',
    ),
    nodeCPU: fam('node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds'),
    nodeMemory: fam('node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes'),
    podCPU: fam('pod_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the pod in core-seconds'),
    podMemory: fam('pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes'),
    scrapeError: fam(
      'resource_scrape_error',
      'gauge',
      '1 if there was an error while getting container metrics, 0 otherwise',
    ),
  };
  const add = (x: Family, l: Record<string, string>, value: number, time?: Date) =>
    x.samples.push(`${x.name}${labelSet(l)} ${value}${time ? ` ${time.getTime()}` : ''}`);
  if (stats) {
    const { cpu, memory } = stats.node;
    if (cpu) add(f.nodeCPU, {}, cpu.usageCoreNanoSeconds / 1e9, cpu.time);
    if (memory) add(f.nodeMemory, {}, memory.workingSetBytes, memory.time);
    for (const pod of stats.pods) {
      const pl = { pod: pod.podRef.name, namespace: pod.podRef.namespace };
      for (const c of pod.containers) {
        const cl = { container: c.name, ...pl };
        const start = c.startTime ? Date.parse(c.startTime) / 1000 : 0;
        if (start > 0) add(f.containerStart, cl, start);
        if (c.cpu) add(f.containerCPU, cl, c.cpu.usageCoreNanoSeconds / 1e9, c.cpu.time);
        if (c.memory) add(f.containerMemory, cl, c.memory.workingSetBytes, c.memory.time);
      }
      if (pod.cpu) add(f.podCPU, pl, pod.cpu.usageCoreNanoSeconds / 1e9, pod.cpu.time);
      if (pod.memory) add(f.podMemory, pl, pod.memory.workingSetBytes, pod.memory.time);
    }
  }
  add(f.scrapeError, {}, stats ? 0 : 1);
  const lines: string[] = [];
  for (const x of Object.values(f).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!x.samples.length) continue;
    lines.push(`# HELP ${x.name} ${x.help}`, `# TYPE ${x.name} ${x.type}`, ...x.samples);
  }
  return `${lines.join('\n')}\n`;
}
