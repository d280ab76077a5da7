// RollingUpdate (daemon/update.go rollingUpdate) as a plan: which old pods to delete and which
// nodes get a new pod next, leaving the creation of replacements to the manage step. Without surge
// it deletes old available pods only while fewer than maxUnavailable are unavailable; with surge it
// starts a new pod beside an old one (at most maxSurge at a time) and deletes the old one once the
// new one is available. Pods being deleted never count as unavailable, so an update progresses
// past a node that is down.
import type { DaemonSet, Node, Pod } from '@mkube/shared/api';
import { isPodAvailable } from '@mkube/shared/controller';
import { nodeShouldRunDaemonPod } from './predicates.js';
import { isPodUpdated, surgeCount, templateGeneration, unavailableCount } from './util.js';

export interface SyncPlan {
  readonly podsToDelete: string[];
  readonly nodesNeedingPods: string[];
}

/** findUpdatedPodsOnNode: the node's one new and one old pod; undefined if it has more of either. */
export function findUpdatedPodsOnNode(
  ds: DaemonSet,
  pods: readonly Pod[],
  hash: string,
): { newPod?: Pod; oldPod?: Pod } | undefined {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  const generation = templateGeneration(ds);
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

/** updatedDesiredNodeCounts: maxSurge, maxUnavailable and how many nodes should run the pod. */
export function updatedDesiredNodeCounts(
  ds: DaemonSet,
  nodes: readonly Node[],
  nodeToDaemonPods: Map<string, Pod[]>,
): { maxSurge: number; maxUnavailable: number; desired: number } {
  let desired = 0;
  for (const n of nodes) {
    if (!nodeShouldRunDaemonPod(n, ds).shouldRun) continue;
    desired++;
    const name = n.metadata.name ?? '';
    if (!nodeToDaemonPods.has(name)) nodeToDaemonPods.set(name, []);
  }
  let maxUnavailable = unavailableCount(ds, desired);
  const maxSurge = surgeCount(ds, desired);
  // An impossible configuration (both 0) falls back to one unavailable at a time.
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desired };
}

export function planRollingUpdate(
  ds: DaemonSet,
  nodes: readonly Node[],
  nodeToDaemonPods: Map<string, Pod[]>,
  hash: string,
  now: number,
): SyncPlan {
  const { maxSurge, maxUnavailable, desired } = updatedDesiredNodeCounts(ds, nodes, nodeToDaemonPods);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, now);
  return maxSurge === 0
    ? planWithoutSurge(ds, nodeToDaemonPods, hash, maxUnavailable, available)
    : planWithSurge(ds, nodes, nodeToDaemonPods, hash, maxSurge, desired, available);
}

function planWithoutSurge(
  ds: DaemonSet,
  nodeToDaemonPods: Map<string, Pod[]>,
  hash: string,
  maxUnavailable: number,
  available: (p: Pod) => boolean,
): SyncPlan {
  let numUnavailable = 0;
  const allowedReplacements: string[] = [];
  const candidates: string[] = [];
  for (const pods of nodeToDaemonPods.values()) {
    const found = findUpdatedPodsOnNode(ds, pods, hash);
    // Excess pods: the manage step prunes them; meanwhile the node counts as unavailable.
    if (!found) {
      numUnavailable++;
      continue;
    }
    const { newPod, oldPod } = found;
    if ((!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
    else if (newPod) {
      if (!available(newPod)) numUnavailable++;
    } else if (oldPod) {
      if (!available(oldPod)) {
        allowedReplacements.push(oldPod.metadata.name ?? '');
        numUnavailable++;
      } else if (numUnavailable < maxUnavailable) {
        candidates.push(oldPod.metadata.name ?? '');
      }
    }
  }
  const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
  return { podsToDelete: [...allowedReplacements, ...candidates.slice(0, remaining)], nodesNeedingPods: [] };
}

function planWithSurge(
  ds: DaemonSet,
  nodes: readonly Node[],
  nodeToDaemonPods: Map<string, Pod[]>,
  hash: string,
  maxSurge: number,
  desired: number,
  available: (p: Pod) => boolean,
): SyncPlan {
  const byName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
  const shouldRun = (nodeName: string) => {
    const node = byName.get(nodeName);
    if (!node)
      throw new Error(`couldn't get node for nodeName ${JSON.stringify(nodeName)}: node "${nodeName}" not found`);
    return nodeShouldRunDaemonPod(node, ds).shouldRun;
  };
  const oldPodsToDelete: string[] = [];
  const shouldNotRunPods: Pod[] = [];
  const candidateNewNodes: string[] = [];
  const allowedNewNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of nodeToDaemonPods) {
    const found = findUpdatedPodsOnNode(ds, pods, hash);
    if (!found) {
      numSurge++;
      continue;
    }
    const { newPod, oldPod } = found;
    // Availability counts on every node, the ones being left too.
    if (oldPod ? available(oldPod) : newPod && available(newPod)) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(nodeName)) oldPodsToDelete.push(oldPod.metadata.name ?? '');
        else allowedNewNodes.push(nodeName);
      } else if (!shouldRun(nodeName)) {
        shouldNotRunPods.push(oldPod);
      } else if (numSurge < maxSurge) {
        candidateNewNodes.push(nodeName);
      }
      continue;
    }
    if (!available(newPod)) numSurge++;
    else oldPodsToDelete.push(oldPod.metadata.name ?? '');
  }
  // With surge the owner expects full availability: a node the pods are leaving loses its pod
  // only once enough pods are available elsewhere.
  const deletable = Math.min(numAvailable - desired, shouldNotRunPods.length);
  for (const p of shouldNotRunPods.slice(0, Math.max(0, deletable))) {
    if (!p.metadata.deletionTimestamp) oldPodsToDelete.push(p.metadata.name ?? '');
  }
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNewNodes.length);
  return {
    podsToDelete: oldPodsToDelete,
    nodesNeedingPods: [...allowedNewNodes, ...candidateNewNodes.slice(0, remaining)],
  };
}
