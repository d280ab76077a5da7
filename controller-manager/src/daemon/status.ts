// DaemonSet status (daemon_controller.go updateDaemonSetStatus, storeDaemonSetStatus): per node
// that should run the pod, whether its oldest pod exists, is Ready, available and of the current
// revision; pods on nodes that should not run one are misscheduled. Written through /status only
// when something changed, retried once from a fresh read on a conflict.
import type { DaemonSet, DaemonSetStatus, Node, Pod } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { isPodAvailable, isPodReady } from '@mkube/shared/controller';
import { RESOURCES } from '../informers/index.js';
import { byCreationTimestampAndPhase } from './podutil.js';
import { nodeShouldRunDaemonPod } from './predicates.js';
import { isPodUpdated, templateGeneration } from './util.js';

export type StatusCounts = Required<
  Pick<
    DaemonSetStatus,
    | 'desiredNumberScheduled'
    | 'currentNumberScheduled'
    | 'numberMisscheduled'
    | 'numberReady'
    | 'updatedNumberScheduled'
    | 'numberAvailable'
    | 'numberUnavailable'
  >
>;

export function computeStatus(
  ds: DaemonSet,
  nodes: readonly Node[],
  nodeToDaemonPods: ReadonlyMap<string, Pod[]>,
  hash: string,
  now: number,
): StatusCounts {
  const s: StatusCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  const generation = templateGeneration(ds);
  for (const node of nodes) {
    const pods = nodeToDaemonPods.get(node.metadata.name ?? '') ?? [];
    const scheduled = pods.length > 0;
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (scheduled) s.numberMisscheduled++;
      continue;
    }
    s.desiredNumberScheduled++;
    if (!scheduled) continue;
    s.currentNumberScheduled++;
    const pod = [...pods].sort(byCreationTimestampAndPhase)[0] as Pod;
    if (isPodReady(pod)) {
      s.numberReady++;
      if (isPodAvailable(pod, ds.spec?.minReadySeconds ?? 0, now)) s.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) s.updatedNumberScheduled++;
  }
  s.numberUnavailable = s.desiredNumberScheduled - s.numberAvailable;
  return s;
}

const COUNT_KEYS = [
  'desiredNumberScheduled',
  'currentNumberScheduled',
  'numberMisscheduled',
  'numberReady',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
] as const;

/** storeDaemonSetStatus: one retry (StatusUpdateRetries) from a fresh read. */
export async function storeStatus(
  client: KubeClient,
  ds: DaemonSet,
  counts: StatusCounts,
  updateObservedGeneration: boolean,
): Promise<void> {
  const generation = ds.metadata.generation ?? 0;
  const cur = ds.status;
  if (COUNT_KEYS.every((k) => (cur?.[k] ?? 0) === counts[k]) && (cur?.observedGeneration ?? 0) >= generation) return;
  const api = client.resource<DaemonSet>({ ...RESOURCES.daemonsets, namespace: ds.metadata.namespace ?? '' });
  let toUpdate = ds;
  for (let attempt = 0; ; attempt++) {
    const status: DaemonSetStatus = {
      ...toUpdate.status,
      ...counts,
      ...(updateObservedGeneration ? { observedGeneration: generation } : {}),
    };
    try {
      await api.updateSubresource(ds.metadata.name ?? '', 'status', { ...toUpdate, status });
      return;
    } catch (e) {
      if (attempt >= 1) throw e;
      toUpdate = await api.get(ds.metadata.name ?? '');
    }
  }
}
