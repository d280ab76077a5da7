// A ReplicaSet's status (k8s pkg/controller/replicaset/replica_set_utils.go), and a
// ReplicationController's, which has the same fields: counts of its active pods — with the
// template's labels, Ready, available for minReadySeconds — and a ReplicaFailure condition while
// creating or deleting pods fails.
import type { Pod, ReplicaSetStatus, WorkloadCondition } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { isPodAvailable, isPodReady } from '@mkube/shared/controller';
import { labelSelectorFromSet } from '@mkube/shared/selectors';
import type { Replicated, ReplicatedKind } from './kind.js';

/** How many times a failed status write is retried after re-reading the ReplicaSet (statusUpdateRetries). */
const STATUS_UPDATE_RETRIES = 1;

export function calculateStatus(
  rs: Replicated,
  active: readonly Pod[],
  manageError: unknown,
  now: Date,
): ReplicaSetStatus {
  const templateLabels = labelSelectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of active) {
    if (templateLabels.matches(p.metadata?.labels ?? {})) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReadySeconds, now.getTime())) available++;
    }
  }
  let conditions = rs.status?.conditions ?? [];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError !== undefined && !failure) {
    const diff = active.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const cond: WorkloadCondition = {
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: metaTime(now),
      reason,
      message: manageError instanceof Error ? manageError.message : String(manageError),
    };
    conditions = [...conditions, cond];
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  return {
    ...rs.status,
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    ...(conditions.length ? { conditions } : { conditions: undefined }),
  };
}

/** updateReplicaSetStatus: writes through /status unless nothing changed; returns the object as stored. */
export async function updateReplicaSetStatus<T extends Replicated>(
  client: KubeClient,
  kind: ReplicatedKind<T>,
  rs: T,
  status: ReplicaSetStatus,
): Promise<T> {
  const s = rs.status;
  const generation = rs.metadata?.generation ?? 0;
  if (
    (s?.replicas ?? 0) === status.replicas &&
    (s?.fullyLabeledReplicas ?? 0) === status.fullyLabeledReplicas &&
    (s?.readyReplicas ?? 0) === status.readyReplicas &&
    (s?.availableReplicas ?? 0) === status.availableReplicas &&
    generation === (s?.observedGeneration ?? 0) &&
    JSON.stringify(s?.conditions ?? []) === JSON.stringify(status.conditions ?? [])
  )
    return rs;
  const rss = client.resource<T>({ ...kind.resource, namespace: rs.metadata?.namespace ?? '' });
  const next: ReplicaSetStatus = { ...status, observedGeneration: generation };
  if (!next.conditions) delete next.conditions;
  let cur = rs;
  for (let i = 0; ; i++) {
    try {
      return await rss.updateSubresource(cur.metadata?.name ?? '', 'status', { ...cur, status: next });
    } catch (e) {
      if (i >= STATUS_UPDATE_RETRIES) throw e;
      // Retry on the latest resourceVersion; a failed read is the more telling error.
      cur = await rss.get(cur.metadata?.name ?? '');
    }
  }
}
