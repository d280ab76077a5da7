// The taints the node controller keeps on a Node from its conditions (upstream's
// doNoScheduleTaintingPass and the NoExecute tainting of processTaintBaseEviction): NoSchedule
// for each condition in a bad state and for spec.unschedulable; NoExecute not-ready (Ready=False)
// or unreachable (Ready=Unknown), never both, with the time it was added. Taints anyone else put
// on the node are left alone.
import { metaTime, type Node, type Taint } from '@mkube/shared/api';

export const TAINT = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  unschedulable: 'node.kubernetes.io/unschedulable',
  memoryPressure: 'node.kubernetes.io/memory-pressure',
  diskPressure: 'node.kubernetes.io/disk-pressure',
  pidPressure: 'node.kubernetes.io/pid-pressure',
  networkUnavailable: 'node.kubernetes.io/network-unavailable',
} as const;

/** nodeConditionToTaintKeyStatusMap: condition type → status → taint key. */
const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT.notReady, Unknown: TAINT.unreachable },
  MemoryPressure: { True: TAINT.memoryPressure },
  DiskPressure: { True: TAINT.diskPressure },
  NetworkUnavailable: { True: TAINT.networkUnavailable },
  PIDPressure: { True: TAINT.pidPressure },
};

const CONDITION_KEYS = new Set<string>([
  TAINT.notReady,
  TAINT.unreachable,
  TAINT.memoryPressure,
  TAINT.diskPressure,
  TAINT.pidPressure,
  TAINT.networkUnavailable,
]);

const managed = (t: Taint): boolean =>
  (t.effect === 'NoSchedule' && (t.key === TAINT.unschedulable || CONDITION_KEYS.has(t.key))) ||
  (t.effect === 'NoExecute' && (t.key === TAINT.notReady || t.key === TAINT.unreachable));

/**
 * The node's taints as the controller wants them; undefined when they are already so. A NoExecute
 * taint on a node that has none yet is added only when `mayAddNoExecute` says so (upstream adds them
 * at --node-eviction-rate); swapping not-ready for unreachable or back is never held. Without
 * `noExecute` (master disruption mode) the node has no NoExecute taint of the controller's.
 */
export function desiredTaints(
  node: Node,
  now: Date,
  mayAddNoExecute: () => boolean = () => true,
  noExecute = true,
): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const want: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) want.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) want.push({ key: TAINT.unschedulable, effect: 'NoSchedule' });
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const noExecuteKey = !noExecute
    ? undefined
    : ready === 'False'
      ? TAINT.notReady
      : ready === 'Unknown'
        ? TAINT.unreachable
        : undefined;
  if (noExecuteKey) {
    // Kept as it is while it stays: its timeAdded is when the node went bad.
    const had = current.find((t) => t.key === noExecuteKey && t.effect === 'NoExecute');
    const swap = current.some(
      (t) => t.effect === 'NoExecute' && (t.key === TAINT.notReady || t.key === TAINT.unreachable),
    );
    if (had) want.push(had);
    else if (swap || mayAddNoExecute()) want.push({ key: noExecuteKey, effect: 'NoExecute', timeAdded: metaTime(now) });
  }
  const kept = current.filter((t) => !managed(t));
  const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
  const mine = current.filter(managed);
  if (mine.length === want.length && want.every((w) => mine.some((m) => same(m, w)))) return undefined;
  // Existing managed taints keep their place and values; new ones go last.
  return [
    ...kept,
    ...mine.filter((m) => want.some((w) => same(m, w))),
    ...want.filter((w) => !mine.some((m) => same(m, w))),
  ];
}
