// The CPU and memory figures behind /stats/summary and /metrics/resource (upstream's
// SummaryProvider.GetCPUAndMemoryStats, which reads cgroups through cAdvisor or the CRI). mkube's
// node is the host and its containers are process groups, so the figures come from /proc: the node's
// CPU is every core's non-idle time in /proc/stat and its working set MemTotal less MemAvailable; a
// container's CPU is the user and system time of the processes in its group (the container's pid is
// the group's id) and its working set their resident memory; a pod's are the sums of its containers'.
import { readdirSync, readFileSync } from 'node:fs';
import type { Pod } from '@mkube/shared/api';
import { procStat } from '../runtime/proc.js';

/** Linux's USER_HZ: the unit of /proc's CPU times. */
const CLOCK_TICKS = 100;

export interface CPUStats {
  readonly time: Date;
  readonly usageCoreNanoSeconds: number;
}

export interface MemoryStats {
  readonly time: Date;
  readonly workingSetBytes: number;
}

export interface ContainerStats {
  readonly name: string;
  readonly startTime?: string;
  readonly cpu?: CPUStats;
  readonly memory?: MemoryStats;
}

export interface PodStats {
  readonly podRef: { readonly name: string; readonly namespace: string; readonly uid: string };
  readonly startTime?: string;
  readonly containers: readonly ContainerStats[];
  readonly cpu?: CPUStats;
  readonly memory?: MemoryStats;
}

export interface CPUAndMemoryStats {
  readonly node: { readonly cpu?: CPUStats; readonly memory?: MemoryStats };
  readonly pods: readonly PodStats[];
}

interface ProcSample {
  readonly pgrp: number;
  readonly ticks: number;
  readonly rssBytes: number;
}

const PAGE_SIZE = 4096;

/** Every process's group, CPU ticks and resident memory, from /proc/<pid>/stat. */
function processes(): ProcSample[] {
  const out: ProcSample[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // pgrp is field 5, utime 14, stime 15, rss 24; gone since the listing: skipped.
    const f = procStat(entry);
    if (f) out.push({ pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]), rssBytes: Number(f[21]) * PAGE_SIZE });
  }
  return out;
}

function nodeCPU(time: Date): CPUStats | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait are in use.
    const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
    return { time, usageCoreNanoSeconds: Math.round((busy / CLOCK_TICKS) * 1e9) };
  } catch {
    return undefined;
  }
}

function nodeMemory(time: Date): MemoryStats | undefined {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? Number.NaN);
    const ws = (kb('MemTotal') - kb('MemAvailable')) * 1024;
    return Number.isFinite(ws) ? { time, workingSetBytes: ws } : undefined;
  } catch {
    return undefined;
  }
}

/** The process group of a `process://<pid>` container. */
export const pidOf = (containerID: string | undefined): number | undefined => {
  const m = /^process:\/\/(\d+)$/.exec(containerID ?? '');
  return m ? Number(m[1]) : undefined;
};

/** The node's and every running container's figures now, for the pods the runtime has. */
export function cpuAndMemoryStats(pods: readonly Pod[], now = new Date()): CPUAndMemoryStats {
  const byGroup = new Map<number, { ticks: number; rssBytes: number }>();
  // Only a running container needs the walk over every process.
  const running = pods.some((p) => p.status?.containerStatuses?.some((c) => c.state?.running));
  for (const p of running ? processes() : []) {
    const g = byGroup.get(p.pgrp) ?? { ticks: 0, rssBytes: 0 };
    g.ticks += p.ticks;
    g.rssBytes += p.rssBytes;
    byGroup.set(p.pgrp, g);
  }
  const podStats = pods.map((pod): PodStats => {
    const containers = (pod.status?.containerStatuses ?? []).map((c): ContainerStats => {
      const pid = c.state?.running ? pidOf(c.containerID) : undefined;
      const g = pid === undefined ? undefined : byGroup.get(pid);
      return {
        name: c.name,
        ...(c.state?.running?.startedAt ? { startTime: c.state.running.startedAt } : {}),
        ...(g
          ? {
              cpu: { time: now, usageCoreNanoSeconds: Math.round((g.ticks / CLOCK_TICKS) * 1e9) },
              memory: { time: now, workingSetBytes: g.rssBytes },
            }
          : {}),
      };
    });
    const measured = containers.filter((c) => c.cpu && c.memory);
    return {
      podRef: {
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        uid: pod.metadata?.uid ?? '',
      },
      ...(pod.status?.startTime ? { startTime: pod.status.startTime } : {}),
      containers,
      ...(measured.length
        ? {
            cpu: { time: now, usageCoreNanoSeconds: measured.reduce((a, c) => a + c.cpu!.usageCoreNanoSeconds, 0) },
            memory: { time: now, workingSetBytes: measured.reduce((a, c) => a + c.memory!.workingSetBytes, 0) },
          }
        : {}),
    };
  });
  return { node: { cpu: nodeCPU(now), memory: nodeMemory(now) }, pods: podStats };
}
