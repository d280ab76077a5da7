// The deployment controller's shared steps (k8s pkg/controller/deployment/sync.go): find or create
// the new ReplicaSet and keep the revision annotations in step, scale proportionally when the
// Deployment is resized mid-rollout, clean up old ReplicaSets beyond revisionHistoryLimit, and
// write the status.
import type { Deployment, DeploymentStatus, ReplicaSet } from '@mkube/shared/api';
import { isAlreadyExists, StatusError } from '@mkube/shared/apierrors';
import { computeHash, newControllerRef } from '@mkube/shared/controller';
import { DEPLOYMENT_KIND, normalizeStatus, rsClient, type SyncContext, updateDeploymentStatus } from './context.js';
import {
  activeReplicaSets,
  actualReplicas,
  availableReplicas,
  byRevision,
  bySize,
  deepEqual,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  POD_TEMPLATE_HASH,
  REASON,
  REVISION_ANNOTATION,
  readyReplicas,
  replicaSetProportion,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  rsReplicas,
  setCondition,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from './util.js';

export interface ReplicaSets {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

/** getAllReplicaSetsAndSyncRevision. */
export async function getAllReplicaSetsAndSyncRevision(
  c: SyncContext,
  d: Deployment,
  rsList: readonly ReplicaSet[],
  create: boolean,
): Promise<ReplicaSets> {
  const { all: oldRSs } = findOldReplicaSets(d, rsList);
  const newRS = await getNewReplicaSet(c, d, rsList, oldRSs, create);
  return { newRS, oldRSs };
}

const namespaceTerminating = (e: unknown) =>
  e instanceof StatusError && e.details?.causes?.some((x) => x.reason === 'NamespaceTerminating') === true;

/**
 * getNewReplicaSet: the ReplicaSet running the Deployment's template, its annotations brought up to
 * date; created (when `create`) as `<deployment>-<pod-template-hash>` if there is none.
 */
export async function getNewReplicaSet(
  c: SyncContext,
  d: Deployment,
  rsList: readonly ReplicaSet[],
  oldRSs: readonly ReplicaSet[],
  create: boolean,
): Promise<ReplicaSet | undefined> {
  const ns = d.metadata?.namespace ?? '';
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);
  if (existing) {
    const rsCopy = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
    const minReadyChanged = (rsCopy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    if (annotationsUpdated || minReadyChanged) {
      rsCopy.spec = { ...rsCopy.spec!, minReadySeconds: d.spec?.minReadySeconds ?? 0 };
      const updated = await rsClient(c, ns).update(rsCopy);
      // Later steps of this sync read the list again: let them see this version, not conflict with it.
      const i = rsList.findIndex((rs) => rs.metadata?.uid === updated.metadata?.uid);
      if (i >= 0 && Array.isArray(rsList)) (rsList as ReplicaSet[])[i] = updated;
      return updated;
    }
    let needsUpdate = setDeploymentRevision(d, rsCopy.metadata?.annotations?.[REVISION_ANNOTATION]);
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      d.status ??= {};
      setCondition(
        d.status,
        newCondition('Progressing', 'True', REASON.foundNewRS, `Found new replica set "${rsCopy.metadata?.name}"`),
      );
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(c, d);
    return rsCopy;
  }
  if (!create) return undefined;

  const template = structuredClone(d.spec!.template);
  const hash = computeHash(template, d.status?.collisionCount);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
  const selector = structuredClone(d.spec!.selector);
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
  const newRS: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata?.name}-${hash}`,
      namespace: ns,
      ownerReferences: [newControllerRef(d, DEPLOYMENT_KIND)],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  const newReplicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  newRS.spec!.replicas = newReplicas;
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: ReplicaSet;
  let alreadyExists = false;
  try {
    created = await rsClient(c, ns).create(newRS);
  } catch (e) {
    if (isAlreadyExists(e)) {
      // Ours already (an earlier sync's, not yet in the cache when it looked), or a hash collision.
      const rs = c.rsStore.get(`${ns}/${newRS.metadata!.name}`);
      if (!rs) throw e;
      const ref = rs.metadata?.ownerReferences?.find((r) => r.controller);
      if (!(ref?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, rs.spec?.template))) {
        // Another template under this hash: the next name comes from a bumped collisionCount.
        d.status ??= {};
        d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
        try {
          await updateDeploymentStatus(c, d);
          c.log.info(
            { deployment: `${ns}/${d.metadata?.name}`, collisionCount: d.status.collisionCount },
            'Found a hash collision for deployment - bumping collisionCount to resolve it',
          );
        } catch {
          // The next sync retries.
        }
        throw e;
      }
      created = rs;
      alreadyExists = true;
    } else {
      if (!namespaceTerminating(e)) {
        const msg = `Failed to create new replica set "${newRS.metadata?.name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          d.status ??= {};
          setCondition(d.status, newCondition('Progressing', 'False', REASON.failedRSCreate, msg));
          await updateDeploymentStatus(c, d).catch(() => undefined);
        }
        c.recorder.event(d, 'Warning', REASON.failedRSCreate, msg);
      }
      throw e;
    }
  }
  if (!alreadyExists && newReplicas > 0)
    c.recorder.event(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled up replica set ${created.metadata?.name} from 0 to ${newReplicas}`,
    );
  let needsUpdate = setDeploymentRevision(d, newRevision);
  if (!alreadyExists && hasProgressDeadline(d)) {
    d.status ??= {};
    setCondition(
      d.status,
      newCondition('Progressing', 'True', REASON.newReplicaSet, `Created new replica set "${created.metadata?.name}"`),
    );
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(c, d);
  return created;
}

/** scaleReplicaSet: resizes (and re-annotates) a ReplicaSet; an Event when its size changed. */
export async function scaleReplicaSet(
  c: SyncContext,
  rs: ReplicaSet,
  newScale: number,
  d: Deployment,
  operation: string,
): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const oldScale = rsReplicas(rs);
  const sizeNeedsUpdate = oldScale !== newScale;
  const desired = replicasOf(d);
  const max = desired + maxSurge(d);
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
  const copy = structuredClone(rs);
  copy.spec = { ...copy.spec!, replicas: newScale };
  setReplicasAnnotations(copy, desired, max);
  const updated = await rsClient(c, rs.metadata?.namespace ?? '').update(copy);
  if (sizeNeedsUpdate)
    c.recorder.event(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${operation} replica set ${updated.metadata?.name} from ${oldScale} to ${newScale}`,
    );
  return { scaled: sizeNeedsUpdate, rs: updated };
}

/** scaleReplicaSetAndRecordEvent. */
export async function scaleAndRecord(
  c: SyncContext,
  rs: ReplicaSet,
  newScale: number,
  d: Deployment,
): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (rsReplicas(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(c, rs, newScale, d, rsReplicas(rs) < newScale ? 'up' : 'down');
}

/**
 * scale: a resize outside a rollout goes to the one active ReplicaSet; mid-rollout it is shared
 * among the active ones in proportion to their size (leftovers to the largest), so the rollout's
 * progress is kept.
 */
export async function scale(c: SyncContext, d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]) {
  const one = findActiveOrLatest(newRS, oldRSs);
  if (one) {
    if (rsReplicas(one) === replicasOf(d)) return;
    await scaleAndRecord(c, one, replicasOf(d), d);
    return;
  }
  // A saturated new ReplicaSet (an adopted one, say): the old ones go entirely.
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) await scaleAndRecord(c, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  let operation = '';
  // Equal sizes: scale up newer ones first, down older ones first.
  if (toAdd > 0) {
    all.sort(bySize(true));
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySize(false));
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    const name = rs.metadata?.name ?? '';
    if (toAdd !== 0) {
      const p = replicaSetProportion(rs, d, toAdd, added);
      sizes.set(name, rsReplicas(rs) + p);
      added += p;
    } else {
      sizes.set(name, rsReplicas(rs));
    }
  }
  for (const [i, rs] of all.entries()) {
    const name = rs.metadata?.name ?? '';
    if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, (sizes.get(name) ?? 0) + toAdd - added));
    await scaleReplicaSet(c, rs, sizes.get(name) ?? 0, d, operation);
  }
}

/** cleanupDeployment: deletes the oldest idle ReplicaSets beyond revisionHistoryLimit. */
export async function cleanupDeployment(c: SyncContext, oldRSs: readonly ReplicaSet[], d: Deployment): Promise<void> {
  const limit = d.spec?.revisionHistoryLimit ?? 10;
  if (limit === 2 ** 31 - 1) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    // Only those with no pods left, whose latest spec the replicaset controller has seen.
    if (
      (rs.status?.replicas ?? 0) !== 0 ||
      rsReplicas(rs) !== 0 ||
      (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0) ||
      rs.metadata?.deletionTimestamp
    )
      continue;
    c.log.debug({ replicaSet: `${rs.metadata?.namespace}/${rs.metadata?.name}` }, 'Trying to cleanup replica set');
    try {
      await rsClient(c, rs.metadata?.namespace ?? '').delete(rs.metadata?.name ?? '');
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
    }
  }
}

/** calculateStatus: the ReplicaSets' counts and the Available condition. */
export function calculateStatus(
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  now: Date,
): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    // More available than desired (a scale-down) is not negative unavailability.
    unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (available >= replicasOf(d) - maxUnavailable(d))
    setCondition(
      status,
      newCondition('Available', 'True', REASON.minimumReplicasAvailable, 'Deployment has minimum availability.', now),
    );
  else
    setCondition(
      status,
      newCondition(
        'Available',
        'False',
        REASON.minimumReplicasUnavailable,
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  return status;
}

export const statusEqual = (a: DeploymentStatus | undefined, b: DeploymentStatus) =>
  deepEqual(normalizeStatus(a ?? {}), normalizeStatus(b));

/** syncDeploymentStatus: writes the status when it changed. */
export async function syncDeploymentStatus(
  c: SyncContext,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
): Promise<void> {
  const status = calculateStatus(allRSs, newRS, d, new Date(c.now()));
  if (statusEqual(d.status, status)) return;
  d.status = status;
  await updateDeploymentStatus(c, d);
}

/** sync: a paused Deployment, or a resize: scale, clean up (paused only), write the status. */
export async function syncScaling(c: SyncContext, d: Deployment, rsList: readonly ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, rsList, false);
  await scale(c, d, newRS, oldRSs);
  if (d.spec?.paused) await cleanupDeployment(c, oldRSs, d);
  await syncDeploymentStatus(c, [...oldRSs, newRS], newRS, d);
}

/** checkPausedConditions: a Progressing condition saying paused or resumed, so a pause never times out. */
export async function checkPausedConditions(c: SyncContext, d: Deployment): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === REASON.timedOut) return;
  const pausedCond = cond?.reason === REASON.paused;
  d.status ??= {};
  if (d.spec?.paused && !pausedCond) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused'));
  } else if (!d.spec?.paused && pausedCond) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed'));
  } else {
    return;
  }
  await updateDeploymentStatus(c, d);
}

/** isScalingEvent: an active ReplicaSet was sized for another replica count than the Deployment's. */
export async function isScalingEvent(c: SyncContext, d: Deployment, rsList: readonly ReplicaSet[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(c, d, rsList, false);
  return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== replicasOf(d);
  });
}
