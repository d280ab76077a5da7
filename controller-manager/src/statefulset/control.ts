// One StatefulSet update (stateful_set_control.go updateStatefulSet): the pods in the ordinal range
// are replicas, the rest condemned. Missing or failed replicas are (re)created, condemned ones
// deleted highest ordinal first, then the highest replica not of the update revision (down to the
// partition) is deleted so that the next pass re-creates it from the new template. With
// OrderedReady ("monotonic") each step waits for every lower ordinal to be Running and Ready;
// Parallel does the creations and deletions all at once.
import type { ControllerRevision, Pod, StatefulSet, StatefulSetStatus } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { isPodAvailable, isPodReady, slowStartBatch } from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { storageMatches } from './claims.js';
import type { StatefulPodControl } from './podcontrol.js';
import {
  applyRevision,
  identityMatches,
  newVersionedStatefulSetPod,
  ordinalOf,
  podInOrdinalRange,
  podRevision,
  replicasOf,
  startOrdinal,
} from './utils.js';

const isCreated = (p: Pod) => (p.status?.phase ?? '') !== '';
const isFailed = (p: Pod) => p.status?.phase === 'Failed';
const isSucceeded = (p: Pod) => p.status?.phase === 'Succeeded';
const isTerminating = (p: Pod) => p.metadata.deletionTimestamp !== undefined;
const isRunningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);
const isHealthy = (p: Pod) => isRunningAndReady(p) && !isTerminating(p);
/** isRunningAndAvailable: Running, and Ready for longer than minReadySeconds. */
const isRunningAndAvailable = (p: Pod, minReadySeconds: number) =>
  p.status?.phase === 'Running' && isPodAvailable(p, minReadySeconds, Date.now());

export interface UpdateContext {
  readonly podControl: StatefulPodControl;
  readonly recorder: EventRecorder;
  readonly log: Logger;
}

type Status = Required<
  Pick<
    StatefulSetStatus,
    | 'observedGeneration'
    | 'replicas'
    | 'readyReplicas'
    | 'currentReplicas'
    | 'updatedReplicas'
    | 'availableReplicas'
    | 'currentRevision'
    | 'updateRevision'
    | 'collisionCount'
  >
>;

/** updateStatus / computeReplicaStatus over the given pod lists. */
function countInto(status: Status, minReadySeconds: number, cur: string, upd: string, ...lists: Pod[][]): void {
  status.replicas = 0;
  status.readyReplicas = 0;
  status.availableReplicas = 0;
  status.currentReplicas = 0;
  status.updatedReplicas = 0;
  for (const p of lists.flat()) {
    if (isCreated(p)) status.replicas++;
    if (isRunningAndReady(p)) {
      status.readyReplicas++;
      if (isRunningAndAvailable(p, minReadySeconds)) status.availableReplicas++;
    }
    if (isCreated(p) && !isTerminating(p)) {
      if (podRevision(p) === cur) status.currentReplicas++;
      if (podRevision(p) === upd) status.updatedReplicas++;
    }
  }
}

/** runForAll: in order, stopping at the first step that blocks; or all at once (slow-start batches). */
async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < n; i++) if (await fn(i)) return true;
    return false;
  }
  const { error } = await slowStartBatch(n, 1, async (i) => {
    await fn(i);
  });
  if (error !== undefined) throw error;
  return false;
}

export async function updateStatefulSet(
  ctx: UpdateContext,
  set: StatefulSet,
  currentRevision: ControllerRevision,
  updateRevision: ControllerRevision,
  collisionCount: number,
  pods: readonly Pod[],
): Promise<{ status: Status; error?: unknown }> {
  const currentSet = applyRevision(set, currentRevision);
  const updateSet = applyRevision(set, updateRevision);
  const cur = currentRevision.metadata.name ?? '';
  const upd = updateRevision.metadata.name ?? '';
  const minReady = set.spec?.minReadySeconds ?? 0;
  const status: Status = {
    observedGeneration: set.metadata.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: cur,
    updateRevision: upd,
    collisionCount,
  };
  countInto(status, minReady, cur, upd, [...pods]);

  const start = startOrdinal(set);
  const replicas: (Pod | undefined)[] = new Array(replicasOf(set)).fill(undefined);
  const condemned: Pod[] = [];
  for (const p of pods) {
    if (podInOrdinalRange(p, set)) replicas[ordinalOf(p) - start] = p;
    else if (ordinalOf(p) >= 0) condemned.push(p);
  }
  const newPod = (i: number) => newVersionedStatefulSetPod(currentSet, updateSet, cur, upd, i + start);
  for (let i = 0; i < replicas.length; i++) replicas[i] ??= newPod(i);
  const live = replicas as Pod[];
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

  let firstUnhealthy: Pod | undefined;
  for (const p of live) if (!isHealthy(p)) firstUnhealthy ??= p;
  for (let i = condemned.length - 1; i >= 0; i--) if (!isHealthy(condemned[i] as Pod)) firstUnhealthy ??= condemned[i];

  // Being deleted: only the status.
  if (set.metadata.deletionTimestamp) return { status };
  const monotonic = (set.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const finish = (error?: unknown) => {
    countInto(status, minReady, cur, upd, live, condemned);
    return error === undefined ? { status } : { status, error };
  };

  const processReplica = async (i: number): Promise<boolean> => {
    let p = live[i] as Pod;
    if (isFailed(p) || isSucceeded(p)) {
      const who = `StatefulSet ${set.metadata.namespace}/${set.metadata.name}`;
      if (isFailed(p))
        ctx.recorder.event(set, 'Warning', 'RecreatingFailedPod', `${who} is recreating failed Pod ${p.metadata.name}`);
      else
        ctx.recorder.event(
          set,
          'Normal',
          'RecreatingTerminatedPod',
          `${who} is recreating terminated Pod ${p.metadata.name}`,
        );
      await ctx.podControl.delete(set, p);
      p = newPod(i);
      live[i] = p;
    }
    if (!isCreated(p)) {
      // A claim still owned by an earlier pod of this name waits for the garbage collector.
      if (ctx.podControl.podClaimIsStale(set, p)) return true;
      await ctx.podControl.create(set, p);
      if (monotonic) return true;
    }
    if (isTerminating(p) && monotonic) return true;
    if (!isRunningAndReady(p) && monotonic) return true;
    if (!isRunningAndAvailable(p, minReady) && monotonic) return true;
    const retentionMatch = ctx.podControl.claimsMatchRetentionPolicy(updateSet, p);
    if (identityMatches(set, p) && storageMatches(set, p) && retentionMatch) return false;
    await ctx.podControl.update(updateSet, structuredClone(p));
    return false;
  };

  /** Condemned pods' claims get the owners scaling down asks for before the pods go. */
  const fixPodClaim = async (i: number): Promise<boolean> => {
    const p = condemned[i] as Pod;
    if (!ctx.podControl.claimsMatchRetentionPolicy(updateSet, p))
      await ctx.podControl.updateClaimsForRetentionPolicy(updateSet, p);
    return false;
  };

  const processCondemned = async (i: number): Promise<boolean> => {
    const p = condemned[i] as Pod;
    if (isTerminating(p)) return monotonic;
    // In order, a condemned pod is removed only once it is healthy or the first unhealthy one.
    if (monotonic && p !== firstUnhealthy && !isRunningAndAvailable(p, minReady)) return true;
    ctx.log.info(
      { statefulSet: `${set.metadata.namespace}/${set.metadata.name}`, pod: p.metadata.name },
      'Pod of StatefulSet is terminating for scale down',
    );
    await ctx.podControl.delete(set, p);
    return true;
  };

  try {
    if (await runForAll(live.length, processReplica, monotonic)) return finish();
    if (await runForAll(condemned.length, fixPodClaim, monotonic)) return finish();
    if (await runForAll(condemned.length, processCondemned, monotonic)) return finish();
  } catch (e) {
    return finish(e);
  }
  countInto(status, minReady, cur, upd, live, condemned);
  if (set.spec?.updateStrategy?.type === 'OnDelete') return { status };

  // Rolling update: the highest ordinal not yet at the update revision goes first, down to the partition.
  const updateMin = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let target = live.length - 1; target >= updateMin; target--) {
    const p = live[target] as Pod;
    if (podRevision(p) !== upd && !isTerminating(p)) {
      ctx.log.info(
        { statefulSet: `${set.metadata.namespace}/${set.metadata.name}`, pod: p.metadata.name },
        'Pod of StatefulSet is terminating for update',
      );
      try {
        await ctx.podControl.delete(set, p);
      } catch (e) {
        if (!isNotFound(e)) return { status, error: e };
      }
      status.currentReplicas--;
      return { status };
    }
    // Wait for the updated pod to be healthy before the next.
    if (!isHealthy(p)) return { status };
  }
  return { status };
}
