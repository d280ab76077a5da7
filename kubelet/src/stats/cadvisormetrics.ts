// GET /metrics/cadvisor: the cAdvisor series Prometheus' kubelet job scrapes, for what the process
// runtime can measure — the machine's cores and memory, and CPU, memory, start and last-seen time of
// the node (id "/"), of each pod and of each running container. There are no cgroups: ids follow
// cgroupfs' layout (`/kubepods/pod<uid>` and `/kubepods/pod<uid>/<pid>`, the container's process
// group) so that queries keyed on pod, namespace and container work as on a real node.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { labelSet } from '@mkube/shared/metrics';
import type { CPUAndMemoryStats } from './provider.js';

const readId = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
};
// Read once: cAdvisor takes its machine info at start.
const MACHINE = {
  boot_id: readId('/proc/sys/kernel/random/boot_id'),
  machine_id: readId('/etc/machine-id'),
  system_uuid: '',
};
const CORES = cpus().length;
const MEMORY_BYTES = totalmem();

/** A container's labels (written sorted, as client_golang does). */
type Series = Readonly<Record<'container' | 'id' | 'image' | 'name' | 'namespace' | 'pod', string>>;

export interface ContainerIdentity {
  /** The running container's process group (its pid): the last part of its id. */
  readonly pid?: number;
  readonly image: string;
}

/**
 * The families in name order; `identity` gives a running container's pid and image by pod uid and
 * container name.
 */
export function renderCadvisorMetrics(
  stats: CPUAndMemoryStats,
  identity: (podUID: string, container: string) => ContainerIdentity | undefined,
  now = stats.node.cpu?.time ?? new Date(),
): string {
  const fams = new Map<string, { type: string; help: string; samples: string[] }>();
  const fam = (name: string, type: string, help: string) => {
    const f = fams.get(name) ?? { type, help, samples: [] };
    fams.set(name, f);
    return f;
  };
  const sample = (name: string, labels: Readonly<Record<string, string>>, value: number, ms?: number) =>
    `${name}${labelSet(labels)} ${value}${ms === undefined ? '' : ` ${ms}`}`;
  const cpu = (s: Series, seconds: number, ms: number) =>
    fam('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.').samples.push(
      sample('container_cpu_usage_seconds_total', { ...s, cpu: 'total' }, seconds, ms),
    );
  const mem = (s: Series, bytes: number, ms: number) => {
    fam('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.').samples.push(
      sample('container_memory_working_set_bytes', s, bytes, ms),
    );
    // A process group's working set is its resident memory: the two are the same figure here.
    fam('container_memory_rss', 'gauge', 'Size of RSS in bytes.').samples.push(
      sample('container_memory_rss', s, bytes, ms),
    );
  };
  const seen = (s: Series, ms: number) =>
    fam('container_last_seen', 'gauge', 'Last time a container was seen by the exporter').samples.push(
      sample('container_last_seen', s, Math.floor(ms / 1000), ms),
    );
  const started = (s: Series, startTime: string | undefined, ms: number) => {
    const t = startTime ? Date.parse(startTime) / 1000 : Number.NaN;
    if (Number.isFinite(t))
      fam(
        'container_start_time_seconds',
        'gauge',
        'Start time of the container since unix epoch in seconds.',
      ).samples.push(sample('container_start_time_seconds', s, t, ms));
  };

  const nowMs = now.getTime();
  const root: Series = { container: '', id: '/', image: '', name: '', namespace: '', pod: '' };
  if (stats.node.cpu) cpu(root, stats.node.cpu.usageCoreNanoSeconds / 1e9, stats.node.cpu.time.getTime());
  if (stats.node.memory) mem(root, stats.node.memory.workingSetBytes, stats.node.memory.time.getTime());
  seen(root, nowMs);
  for (const pod of stats.pods) {
    const { name, namespace, uid } = pod.podRef;
    const podId = `/kubepods/pod${uid}`;
    const podSeries: Series = { container: '', id: podId, image: '', name: '', namespace, pod: name };
    if (!pod.cpu && !pod.memory) continue;
    if (pod.cpu) cpu(podSeries, pod.cpu.usageCoreNanoSeconds / 1e9, pod.cpu.time.getTime());
    if (pod.memory) mem(podSeries, pod.memory.workingSetBytes, pod.memory.time.getTime());
    started(podSeries, pod.startTime, nowMs);
    seen(podSeries, nowMs);
    for (const c of pod.containers) {
      const who = identity(uid, c.name);
      if (!who?.pid || !c.cpu || !c.memory) continue;
      const s: Series = {
        container: c.name,
        id: `${podId}/${who.pid}`,
        image: who.image,
        name: String(who.pid),
        namespace,
        pod: name,
      };
      cpu(s, c.cpu.usageCoreNanoSeconds / 1e9, c.cpu.time.getTime());
      mem(s, c.memory.workingSetBytes, c.memory.time.getTime());
      started(s, c.startTime, nowMs);
      seen(s, nowMs);
    }
  }
  fam('machine_cpu_cores', 'gauge', 'Number of logical CPU cores.').samples.push(
    sample('machine_cpu_cores', MACHINE, CORES),
  );
  fam('machine_memory_bytes', 'gauge', 'Amount of memory installed on the machine.').samples.push(
    sample('machine_memory_bytes', MACHINE, MEMORY_BYTES),
  );
  const lines: string[] = [];
  for (const name of [...fams.keys()].sort()) {
    const f = fams.get(name)!;
    lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.samples);
  }
  return `${lines.join('\n')}\n`;
}
