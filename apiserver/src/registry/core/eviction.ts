// pods/eviction (pkg/registry/core/pod/storage/eviction.go): a policy/v1 Eviction deletes the pod as
// its deleteOptions say (gracefully, by default), after the DisruptionTarget condition, and answers
// 201 with a Success Status. mkube serves no PodDisruptionBudgets, so no budget ever refuses one (as
// upstream with none matching). The evicting user needs `create pods/eviction`, not `delete pods`:
// the deletion itself runs no admission, the eviction did.
import type { Eviction, Pod, PodCondition } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { newBadRequest, type Status, StatusError } from '@mkube/shared/apierrors';
import type { GenericRegistry } from '../generic.js';
import { apiserverContext } from '../strategy.js';

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** The eviction checks that need no store: the names agree. */
export function checkEviction(name: string, namespace: string, eviction: Eviction): void {
  if (eviction.metadata?.name && eviction.metadata.name !== name)
    throw newBadRequest('name in URL does not match name in Eviction object');
  if (eviction.metadata?.namespace && eviction.metadata.namespace !== namespace)
    throw newBadRequest('namespace in URL does not match namespace in Eviction object');
}

/** `pod` as read for admission: the eviction acts on that one (its UID is the delete's precondition). */
export async function evictPod(pods: GenericRegistry, pod: Pod, eviction: Eviction, dryRun: boolean): Promise<Status> {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const options = eviction.deleteOptions ?? {};
  // A pod already being deleted, or one that has ended, needs no budget and no condition.
  if (!pod.metadata.deletionTimestamp && !terminal(pod) && !dryRun) {
    const target: PodCondition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastTransitionTime: metaTime(new Date()),
    };
    await pods.guaranteedUpdate(namespace, name, 'status', apiserverContext(), { dryRun }, undefined, (cur) => {
      const p = cur as Pod;
      const conditions = (p.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      return { ...p, status: { ...p.status, conditions: [...conditions, target] } };
    });
  }
  try {
    await pods.delete(
      namespace,
      name,
      options.preconditions ?? { uid: pod.metadata.uid },
      { dryRun },
      undefined,
      options,
    );
  } catch (e) {
    // Gone meanwhile: the eviction is done.
    if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
  }
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}
