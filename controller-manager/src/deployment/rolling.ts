// The RollingUpdate strategy (k8s pkg/controller/deployment/rolling.go): grow the new ReplicaSet
// while the total stays within replicas+maxSurge, shrink the old ones while availability stays at
// or above replicas-maxUnavailable (unhealthy old pods first, as they cost no availability).
import type { Deployment, ReplicaSet } from '@mkube/shared/api';
import type { SyncContext } from './context.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleAndRecord } from './sync.js';
import {
  activeReplicaSets,
  availableReplicas,
  byCreation,
  deploymentComplete,
  maxUnavailable,
  newRSNewReplicas,
  replicasOf,
  rsReplicas,
  specReplicas,
} from './util.js';

export async function rolloutRolling(c: SyncContext, d: Deployment, rsList: readonly ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, rsList, true);
  const all = [...oldRSs, newRS];
  if (!newRS) throw new Error('no new replica set after creating it');
  if (await reconcileNewReplicaSet(c, all, newRS, d)) return syncRolloutStatus(c, all, newRS, d);
  if (await reconcileOldReplicaSets(c, all, activeReplicaSets(oldRSs), newRS, d))
    return syncRolloutStatus(c, all, newRS, d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(c, oldRSs, d);
  return syncRolloutStatus(c, all, newRS, d);
}

async function reconcileNewReplicaSet(
  c: SyncContext,
  all: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet,
  d: Deployment,
): Promise<boolean> {
  const want = replicasOf(d);
  if (rsReplicas(newRS) === want) return false;
  if (rsReplicas(newRS) > want) return (await scaleAndRecord(c, newRS, want, d)).scaled;
  return (await scaleAndRecord(c, newRS, newRSNewReplicas(d, all, newRS), d)).scaled;
}

async function reconcileOldReplicaSets(
  c: SyncContext,
  all: readonly (ReplicaSet | undefined)[],
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet,
  d: Deployment,
): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  // What may go at most: everything beyond the minimum, less what the new ReplicaSet has not made available.
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const { olds, count: cleaned } = await cleanupUnhealthyReplicas(c, oldRSs, d, maxScaledDown);
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(c, [...olds, newRS], olds, d);
  return cleaned + scaledDown > 0;
}

/** cleanupUnhealthyReplicas: removes old replicas that are not available, oldest ReplicaSet first. */
async function cleanupUnhealthyReplicas(
  c: SyncContext,
  oldRSs: ReplicaSet[],
  d: Deployment,
  maxCleanup: number,
): Promise<{ olds: ReplicaSet[]; count: number }> {
  const olds = [...oldRSs].sort(byCreation);
  let total = 0;
  for (const [i, rs] of olds.entries()) {
    if (total >= maxCleanup) break;
    const replicas = rsReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const count = Math.min(maxCleanup - total, replicas - available);
    const next = replicas - count;
    if (next > replicas)
      throw new Error(
        `when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata?.namespace}/${rs.metadata?.name} ${replicas} -> ${next}`,
      );
    olds[i] = (await scaleAndRecord(c, rs, next, d)).rs;
    total += count;
  }
  return { olds, count: total };
}

/** scaleDownOldReplicaSetsForRollingUpdate: as many old replicas as availability allows, oldest first. */
async function scaleDownOldReplicaSetsForRollingUpdate(
  c: SyncContext,
  all: readonly (ReplicaSet | undefined)[],
  oldRSs: ReplicaSet[],
  d: Deployment,
): Promise<number> {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = availableReplicas(all);
  if (available <= minAvailable) return 0;
  const olds = [...oldRSs].sort(byCreation);
  const target = available - minAvailable;
  let total = 0;
  for (const rs of olds) {
    if (total >= target) break;
    if (rsReplicas(rs) === 0) continue;
    const count = Math.min(rsReplicas(rs), target - total);
    await scaleAndRecord(c, rs, rsReplicas(rs) - count, d);
    total += count;
  }
  return total;
}
