// The pod printer: READY, STATUS and RESTARTS as kubectl shows them (k/k printers.go printPod).
import type { ContainerStatus, Pod, TableRowCondition } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

/** Fields mkube's Pod type does not carry yet but the printer reads when present. */
type PrintedPod = Pod & {
  spec?: { readinessGates?: { conditionType: string }[] };
  status?: { nominatedNodeName?: string };
};

const SUCCEEDED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const FAILED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

/** The latest finishedAt of a previous termination, as epoch ms (0 if none). */
function lastTermination(c: ContainerStatus): number {
  const at = c.lastState?.terminated?.finishedAt;
  return at ? Date.parse(at) || 0 : 0;
}

interface PodSummary {
  ready: number;
  reason: string;
  restarts: number;
  lastRestart: number;
  /** The restartable (sidecar) init containers' share of the restarts, and their last. */
  sidecarRestarts: number;
  sidecarLastRestart: number;
}

/** Restartable init containers (sidecars) by name. */
function sidecarNames(pod: PrintedPod): Set<string> {
  return new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
}

function initReason(pod: PrintedPod, s: PodSummary): boolean {
  const statuses = pod.status?.initContainerStatuses ?? [];
  const total = pod.spec?.initContainers?.length ?? 0;
  const sidecars = sidecarNames(pod);
  for (let i = 0; i < statuses.length; i++) {
    const c = statuses[i]!;
    s.restarts += c.restartCount ?? 0;
    s.lastRestart = Math.max(s.lastRestart, lastTermination(c));
    if (sidecars.has(c.name)) {
      s.sidecarRestarts += c.restartCount ?? 0;
      s.sidecarLastRestart = Math.max(s.sidecarLastRestart, lastTermination(c));
    }
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    // A started sidecar is counted as a container (ready or not), not as initialization.
    if (sidecars.has(c.name) && c.started) {
      if (c.ready) s.ready++;
      continue;
    }
    if (term) {
      s.reason = term.reason
        ? `Init:${term.reason}`
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      s.reason = `Init:${wait.reason}`;
    } else {
      s.reason = `Init:${i}/${total}`;
    }
    return true;
  }
  return false;
}

function summarize(pod: PrintedPod): PodSummary {
  const s: PodSummary = {
    ready: 0,
    reason: pod.status?.reason || pod.status?.phase || '',
    restarts: 0,
    lastRestart: 0,
    sidecarRestarts: 0,
    sidecarLastRestart: 0,
  };
  const conditions = pod.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) s.reason = 'SchedulingGated';
  const initializing = initReason(pod, s);
  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    s.restarts = s.sidecarRestarts;
    s.lastRestart = s.sidecarLastRestart;
    let hasRunning = false;
    const statuses = pod.status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      s.restarts += c.restartCount ?? 0;
      s.lastRestart = Math.max(s.lastRestart, lastTermination(c));
      const term = c.state?.terminated;
      if (c.state?.waiting?.reason) s.reason = c.state.waiting.reason;
      else if (term?.reason) s.reason = term.reason;
      else if (term) s.reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        s.ready++;
      }
    }
    if (s.reason === 'Completed' && hasRunning) {
      s.reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  const phase = pod.status?.phase;
  if (pod.metadata.deletionTimestamp && pod.status?.reason === 'NodeLost') s.reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') s.reason = 'Terminating';
  return s;
}

function readinessGates(pod: PrintedPod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const met = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${met}/${gates.length}`;
}

export const podPrinter: Printer = printer<PrintedPod>({
  columns: [
    NAME_COLUMN,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE_COLUMN,
    col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', {
      priority: 1,
    }),
    col('Node', 'NodeName indicates in which node this pod is scheduled.', { priority: 1 }),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', {
      priority: 1,
    }),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', { priority: 1 }),
  ],
  cells: (pod, now) => {
    const s = summarize(pod);
    const restarts =
      s.restarts !== 0 && s.lastRestart > 0
        ? `${s.restarts} (${timestampSince(new Date(s.lastRestart).toISOString(), now)} ago)`
        : String(s.restarts);
    const total = (pod.spec?.containers?.length ?? 0) + sidecarNames(pod).size;
    return [
      pod.metadata.name,
      `${s.ready}/${total}`,
      s.reason,
      restarts,
      timestampSince(pod.metadata.creationTimestamp, now),
      pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>',
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGates(pod),
    ];
  },
  conditions: (pod) =>
    pod.status?.phase === 'Succeeded' ? SUCCEEDED : pod.status?.phase === 'Failed' ? FAILED : undefined,
});
