// A StatefulSet's current and update revisions (stateful_set_control.go getStatefulSetRevisions,
// truncateHistory, updateStatefulSetStatus). The update revision is the template now: the latest
// revision if equal, an older equal one renumbered to the top (a rollback), or a new one. The
// current revision is the one status names, until every replica is updated and Ready.
import type { ControllerRevision, Pod, StatefulSet, StatefulSetStatus } from '@mkube/shared/api';
import { isConflict } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { createControllerRevision, equalRevision, findEqualRevisions, revisionsIn } from '../history/revision.js';
import { RESOURCES } from '../informers/index.js';
import { newRevision, podRevision } from './utils.js';

export interface Revisions {
  readonly current: ControllerRevision;
  readonly update: ControllerRevision;
  readonly collisionCount: number;
}

/** `revisions` sorted oldest first. */
export async function statefulSetRevisions(
  client: KubeClient,
  set: StatefulSet,
  revisions: readonly ControllerRevision[],
): Promise<Revisions> {
  let collisionCount = set.status?.collisionCount ?? 0;
  const last = revisions[revisions.length - 1];
  let update = newRevision(set, (last?.revision ?? 0) + 1, collisionCount);
  const equal = findEqualRevisions(revisions, update);
  const lastEqual = equal[equal.length - 1];
  if (lastEqual && equalRevision(last, lastEqual)) {
    update = last as ControllerRevision;
  } else if (lastEqual) {
    update = await revisionsIn(client, set.metadata.namespace ?? '').update({
      ...lastEqual,
      revision: update.revision,
    });
  } else {
    const r = await createControllerRevision(client, set, update, collisionCount);
    update = r.revision;
    collisionCount = r.collisionCount;
  }
  const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** truncateHistory: revisions no pod runs, beyond revisionHistoryLimit (10), oldest first. */
export async function truncateHistory(
  client: KubeClient,
  set: StatefulSet,
  pods: readonly Pod[],
  revisions: readonly ControllerRevision[],
  current: ControllerRevision | undefined,
  update: ControllerRevision | undefined,
): Promise<void> {
  const live = new Set<string>(pods.map(podRevision));
  if (current) live.add(current.metadata.name ?? '');
  if (update) live.add(update.metadata.name ?? '');
  const history = revisions.filter((r) => !live.has(r.metadata.name ?? ''));
  const excess = history.length - (set.spec?.revisionHistoryLimit ?? 10);
  const api = revisionsIn(client, set.metadata.namespace ?? '');
  for (const r of history.slice(0, Math.max(0, excess))) await api.delete(r.metadata.name ?? '');
}

/** completeRollingUpdate: every replica updated and Ready makes the update revision current. */
export function completeRollingUpdate(set: StatefulSet, status: StatefulSetStatus): void {
  const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** inconsistentStatus: whether the status needs writing. */
export function inconsistentStatus(set: StatefulSet, status: StatefulSetStatus): boolean {
  const s = set.status;
  return (
    (status.observedGeneration ?? 0) > (s?.observedGeneration ?? 0) ||
    status.replicas !== (s?.replicas ?? 0) ||
    (status.currentReplicas ?? 0) !== (s?.currentReplicas ?? 0) ||
    (status.readyReplicas ?? 0) !== (s?.readyReplicas ?? 0) ||
    (status.updatedReplicas ?? 0) !== (s?.updatedReplicas ?? 0) ||
    (status.currentRevision ?? '') !== (s?.currentRevision ?? '') ||
    (status.availableReplicas ?? 0) !== (s?.availableReplicas ?? 0) ||
    (status.updateRevision ?? '') !== (s?.updateRevision ?? '')
  );
}

/** realStatefulSetStatusUpdater: /status, retried on a conflict from a fresh read. */
export async function writeStatus(client: KubeClient, set: StatefulSet, status: StatefulSetStatus): Promise<void> {
  const api = client.resource<StatefulSet>({ ...RESOURCES.statefulsets, namespace: set.metadata.namespace ?? '' });
  let cur = set;
  for (let attempt = 0; ; attempt++) {
    try {
      await api.updateSubresource(set.metadata.name ?? '', 'status', { ...cur, status: { ...cur.status, ...status } });
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
      cur = await api.get(set.metadata.name ?? '');
    }
  }
}
