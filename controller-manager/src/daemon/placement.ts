// podsShouldBeOnNode (daemon_controller.go): for one node, whether it needs a daemon pod and which
// of its daemon pods must go — failed ones (behind a per-node backoff, as the kubelet may keep
// rejecting them), succeeded ones, all but the oldest when surge is off, and with surge all but one
// new and one old pod (the old one kept only while the new one is not yet available).
import type { DaemonSet, Node, Pod } from '@mkube/shared/api';
import { isPodAvailable, isPodReady } from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { Backoff } from './backoff.js';
import { byCreationTimestampAndPhase } from './podutil.js';
import { nodeShouldRunDaemonPod } from './predicates.js';
import { allowsSurge, CONTROLLER_REVISION_HASH_LABEL } from './util.js';

export interface PlacementContext {
  readonly log: Logger;
  readonly recorder: EventRecorder;
  readonly failedPodsBackoff: Backoff;
  enqueue(ds: DaemonSet, afterMs?: number): void;
}

/** failedPodsBackoffKey: per DaemonSet generation and node. */
const backoffKey = (ds: DaemonSet, nodeName: string) =>
  `${ds.metadata.uid}/${ds.status?.observedGeneration ?? 0}/${nodeName}`;

export function podsShouldBeOnNode(
  ctx: PlacementContext,
  node: Node,
  nodeToDaemonPods: ReadonlyMap<string, Pod[]>,
  ds: DaemonSet,
  hash: string,
): { nodesNeedingPods: string[]; podsToDelete: string[] } {
  const nodeName = node.metadata.name ?? '';
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  const daemonPods = nodeToDaemonPods.get(nodeName);
  const nodesNeedingPods: string[] = [];
  const podsToDelete: string[] = [];
  const podName = (p: Pod) => p.metadata.name ?? '';
  if (shouldRun && !daemonPods) {
    nodesNeedingPods.push(nodeName);
  } else if (shouldContinueRunning) {
    const running: Pod[] = [];
    for (const p of daemonPods ?? []) {
      if (p.metadata.deletionTimestamp) continue;
      if (p.status?.phase === 'Failed') {
        const k = backoffKey(ds, nodeName);
        const now = Date.now();
        if (ctx.failedPodsBackoff.isInBackOffSinceUpdate(k, now)) {
          const delay = ctx.failedPodsBackoff.get(k);
          ctx.log.debug(
            { pod: podName(p), node: nodeName, delay },
            'Deleting failed pod on node has been limited by backoff',
          );
          ctx.enqueue(ds, delay);
          continue;
        }
        ctx.failedPodsBackoff.next(k, now);
        const msg = `Found failed daemon pod ${p.metadata.namespace}/${podName(p)} on node ${nodeName}, will try to kill it`;
        ctx.log.info({ pod: podName(p), node: nodeName }, 'Found failed daemon pod on node, will try to kill it');
        ctx.recorder.event(ds, 'Warning', 'FailedDaemonPod', msg);
        podsToDelete.push(podName(p));
      } else if (p.status?.phase === 'Succeeded') {
        const msg = `Found succeeded daemon pod ${p.metadata.namespace}/${podName(p)} on node ${nodeName}, will try to delete it`;
        ctx.recorder.event(ds, 'Normal', 'SucceededDaemonPod', msg);
        podsToDelete.push(podName(p));
      } else {
        running.push(p);
      }
    }
    running.sort(byCreationTimestampAndPhase);
    if (!allowsSurge(ds)) {
      // One pod per node: the oldest stays.
      podsToDelete.push(...running.slice(1).map(podName));
    } else if (running.length > 1) {
      let oldestNew: Pod | undefined;
      let oldestOld: Pod | undefined;
      for (const p of running) {
        const isNew = p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
        if (isNew && !oldestNew) oldestNew = p;
        else if (!isNew && !oldestOld) oldestOld = p;
        else podsToDelete.push(podName(p));
      }
      if (oldestNew && oldestOld) {
        const now = Date.now();
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, now)) {
          podsToDelete.push(podName(oldestOld));
        }
      }
    }
  } else if (daemonPods) {
    // Should not run here at all: every pod on the node goes.
    for (const p of daemonPods) if (!p.metadata.deletionTimestamp) podsToDelete.push(podName(p));
  }
  return { nodesNeedingPods, podsToDelete };
}
