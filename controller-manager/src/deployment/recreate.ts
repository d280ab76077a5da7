// The Recreate strategy (k8s pkg/controller/deployment/recreate.go): every old pod goes before the
// new ReplicaSet is made and scaled up, so two versions never run at once.
import type { Deployment, Pod, ReplicaSet } from '@mkube/shared/api';
import type { SyncContext } from './context.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleAndRecord } from './sync.js';
import { activeReplicaSets, actualReplicas, deploymentComplete, replicasOf, rsReplicas } from './util.js';

/** Pods by the uid of the ReplicaSet controlling them. */
export type PodMap = ReadonlyMap<string, readonly Pod[]>;

export async function rolloutRecreate(
  c: SyncContext,
  d: Deployment,
  rsList: readonly ReplicaSet[],
  podMap: PodMap,
): Promise<void> {
  // No new ReplicaSet yet: making it now would scale up before the old pods are gone.
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, rsList, false);
  let all = [...oldRSs, newRS];
  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    if (rsReplicas(rs) === 0) continue;
    if ((await scaleAndRecord(c, rs, 0, d)).scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(c, all, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(c, all, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, rsList, true));
    all = [...oldRSs, newRS];
  }
  if (newRS) await scaleAndRecord(c, newRS, replicasOf(d), d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(c, oldRSs, d);
  return syncRolloutStatus(c, all, newRS, d);
}

/** oldPodsRunning: any old ReplicaSet still counts pods, or any old pod is not finished. */
function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podMap: PodMap): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    // Unknown is counted: the pod may still run on a node out of touch.
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}
