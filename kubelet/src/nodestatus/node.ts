// Node registration and status, as the kubelet's registerWithAPIServer and updateNodeStatus do:
// create the Node (or adopt the existing one), and keep its status — addresses, the kubelet's port,
// capacity, and the Ready condition — current. Every status period the Node is read, and its status
// is written when it differs from the kubelet's (someone else's change included: the node
// controller's Ready=Unknown) and at least once per report interval (nodeStatusReportFrequency), so
// the lease alone carries the heartbeat in between.
import { cpus, type as osType, release, totalmem } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { metaTime, type Node, type NodeAddress, type NodeCondition } from '@mkube/shared/api';
import { isAlreadyExists, isConflict } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { DEFAULT_NODE_STATUS_REPORT_FREQUENCY_MS } from '../options/v1beta1.js';

export const KUBELET_VERSION = 'v1.33.0-mkube';
// Read once, as upstream's kubelet takes its machine info at start: os.cpus() walks /proc, and
// release(), type() and totalmem() are a system call each, on a path every heartbeat takes.
const CPU_COUNT = String(cpus().length);
const MEMORY = `${Math.floor(totalmem() / 1024)}Ki`;
const KERNEL_VERSION = release();
const OS_IMAGE = `mkube process runtime on ${osType()}`;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

export interface NodeStatusOptions {
  readonly nodeName: string;
  readonly nodeIPs: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** The port 10250 is served on (the bound one with --port=0). */
  readonly port: () => number;
  /** Ready is reported only once the runtime and the serving port are up. */
  readonly ready: () => { ok: boolean; message: string };
  /** nodeStatusReportFrequency: an unchanged status is written this often (default 5 m). */
  readonly reportIntervalMs?: number;
  readonly log: Logger;
  /** A node status event (NodeReady, NodeHasSufficientMemory…), recorded once the status holding it is written. */
  readonly recordEvent?: (event: string) => void;
}

export function nodeAddresses(name: string, ips: readonly string[]): NodeAddress[] {
  return [...ips.map((address) => ({ type: 'InternalIP' as const, address })), { type: 'Hostname', address: name }];
}

function condition(type: string, ok: boolean, reason: string, message: string, now: string, prev?: NodeCondition) {
  const status = ok ? 'True' : 'False';
  return {
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: prev && prev.status === status ? (prev.lastTransitionTime ?? now) : now,
    reason,
    message,
  } as NodeCondition;
}

/**
 * The events upstream's status setters record for what a write changed: a pressure condition's
 * whenever its status differs from the stored one (a new Node's included), Ready's only when an
 * existing condition changes (NodeReady or NodeNotReady).
 */
export function nodeStatusEvents(before: readonly NodeCondition[] | undefined, after: readonly NodeCondition[]) {
  const events: string[] = [];
  for (const c of after) {
    const prev = before?.find((p) => p.type === c.type);
    if (prev?.status === c.status) continue;
    if (c.type === 'Ready') {
      if (prev) events.push(c.status === 'True' ? 'NodeReady' : 'NodeNotReady');
    } else if (c.reason?.startsWith('Kubelet')) events.push(`Node${c.reason.slice('Kubelet'.length)}`);
  }
  return events;
}

/**
 * Whether a status write would change what is stored (upstream's nodeStatusHasChanged): heartbeat
 * times aside, every condition, address, capacity and the kubelet's endpoint and info.
 */
export function nodeStatusChanged(stored: Node['status'], next: Node['status']): boolean {
  const comparable = (st: Node['status']) => ({
    ...st,
    conditions: (st?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
  });
  return !isDeepStrictEqual(comparable(stored), comparable(next));
}

export class NodeStatusManager {
  #lastReport = 0;
  /**
   * Upstream's delayAfterNodeStatusChange: after a write a change caused, the next unchanged report
   * comes up to half an interval early or late, so kubelets that changed together (a restart, an
   * outage) do not report together from then on; a periodic report resets it.
   */
  #delayAfterChange = 0;
  /** spec.unschedulable as last seen (upstream's lastNodeUnschedulable starts false). */
  #unschedulable = false;

  constructor(
    private readonly client: () => KubeClient,
    private readonly o: NodeStatusOptions,
  ) {}

  #status(prev: Node | undefined): Node['status'] {
    const now = metaTime();
    const old = (t: string) => prev?.status?.conditions?.find((c) => c.type === t);
    const r = this.o.ready();
    const cap = { cpu: CPU_COUNT, memory: MEMORY, pods: '110', 'ephemeral-storage': '10Gi' };
    return {
      capacity: cap,
      allocatable: cap,
      conditions: [
        condition(
          'MemoryPressure',
          false,
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
          now,
          old('MemoryPressure'),
        ),
        condition(
          'DiskPressure',
          false,
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
          now,
          old('DiskPressure'),
        ),
        condition(
          'PIDPressure',
          false,
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
          now,
          old('PIDPressure'),
        ),
        condition('Ready', r.ok, r.ok ? 'KubeletReady' : 'KubeletNotReady', r.message, now, old('Ready')),
      ],
      addresses: nodeAddresses(this.o.nodeName, this.o.nodeIPs),
      daemonEndpoints: { kubeletEndpoint: { Port: this.o.port() } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: KERNEL_VERSION,
        osImage: OS_IMAGE,
        containerRuntimeVersion: 'process://0.1.0',
        kubeletVersion: KUBELET_VERSION,
        operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    };
  }

  #record(before: readonly NodeCondition[] | undefined, after: readonly NodeCondition[] | undefined): void {
    if (this.o.recordEvent) for (const e of nodeStatusEvents(before, after ?? [])) this.o.recordEvent(e);
  }

  /** Creates the Node, or adopts an existing one of that name; then writes its status. */
  async register(signal: AbortSignal): Promise<void> {
    const nodes = this.client().resource<Node>(NODES);
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.o.nodeName,
        labels: {
          'kubernetes.io/hostname': this.o.nodeName,
          'kubernetes.io/os': process.platform,
          'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
          ...this.o.labels,
        },
      },
      spec: {},
      status: this.#status(undefined),
    };
    try {
      const created = await nodes.create(node, { signal });
      this.#record(undefined, created.status?.conditions);
      this.o.log.info({ node: this.o.nodeName }, 'successfully registered node');
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      this.o.log.info({ node: this.o.nodeName }, 'node already registered; updating its status');
    }
    await this.sync(signal, true);
  }

  /**
   * Reads the Node and writes its status when it differs from the kubelet's (a condition someone
   * else set — the node controller's Unknown — is overwritten) or the report interval passed, as
   * upstream's tryUpdateNodeStatus; a change of spec.unschedulable is recorded as an event
   * (NodeSchedulable or NodeNotSchedulable, upstream's recordNodeSchedulableEvent).
   */
  async sync(signal: AbortSignal, force = false): Promise<void> {
    const interval = this.o.reportIntervalMs ?? DEFAULT_NODE_STATUS_REPORT_FREQUENCY_MS;
    const due = this.#lastReport > 0 && Date.now() - this.#lastReport >= interval + this.#delayAfterChange;
    const nodes = this.client().resource<Node>(NODES);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await nodes.get(this.o.nodeName, { signal });
      const unschedulable = cur.spec?.unschedulable === true;
      if (unschedulable !== this.#unschedulable) {
        this.#unschedulable = unschedulable;
        this.o.recordEvent?.(unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable');
      }
      const next = this.#status(cur);
      const changed = force || nodeStatusChanged(cur.status, next);
      if (!changed && !due) return;
      try {
        const written = await nodes.updateSubresource(this.o.nodeName, 'status', { ...cur, status: next }, { signal });
        this.#record(cur.status?.conditions, written.status?.conditions);
        this.#lastReport = Date.now();
        this.#delayAfterChange = changed ? interval * (Math.random() - 0.5) : 0;
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
  }
}
