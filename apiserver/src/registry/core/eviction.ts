// pods/eviction (pkg/registry/core/pod/storage/eviction.go): a policy/v1 Eviction deletes the pod as
// its deleteOptions say (gracefully, by default), after the DisruptionTarget condition, and answers
// 201 with a Success Status, unless the pod's PodDisruptionBudget has no disruption to spare: then
// 429 TooManyRequests, which `kubectl drain` retries. A pod that has ended, is pending or is already
// being deleted needs no budget. The evicting user needs `create pods/eviction`, not `delete pods`:
// the deletion itself runs no admission, the eviction did.
import type { Eviction, Pod, PodCondition, PodDisruptionBudget, Preconditions } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { newBadRequest, newForbidden, newTooManyRequests, type Status, StatusError } from '@mkube/shared/apierrors';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import { EVERYTHING } from '../filter.js';
import type { GenericRegistry } from '../generic.js';
import { apiserverContext } from '../strategy.js';

/** MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet, at most. */
export const MAX_DISRUPTED_POD_SIZE = 2000;
const PDB_GR = { group: 'policy', resource: 'poddisruptionbudget' };
const VIOLATES = "Cannot evict pod as it would violate the pod's disruption budget.";

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** canIgnorePDB: the pod's disruption has happened already, or cannot count against a budget. */
const canIgnoreBudget = (p: Pod) => terminal(p) || p.status?.phase === 'Pending' || !!p.metadata.deletionTimestamp;

function tooManyRequests(cause: string, retryAfterSeconds: number): StatusError {
  const e = newTooManyRequests(VIOLATES, retryAfterSeconds);
  const details = {
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  };
  return new StatusError(e.reason, e.message, details as never);
}

/** The budget is newer than its status: the controller has not observed it yet. */
const stillProcessing = (name: string) =>
  tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);

/** The eviction checks that need no store: the names agree. */
export function checkEviction(name: string, namespace: string, eviction: Eviction): void {
  if (eviction.metadata?.name && eviction.metadata.name !== name)
    throw newBadRequest('name in URL does not match name in Eviction object');
  if (eviction.metadata?.namespace && eviction.metadata.namespace !== namespace)
    throw newBadRequest('namespace in URL does not match namespace in Eviction object');
}

/** The budgets that select the pod; one with an empty selector selects nothing here, as upstream. */
async function budgetsOf(pdbs: GenericRegistry, pod: Pod): Promise<PodDisruptionBudget[]> {
  const { items } = await pdbs.list({ namespace: pod.metadata.namespace ?? '', filter: EVERYTHING });
  return (items as PodDisruptionBudget[]).filter((b) => {
    const s = b.spec?.selector;
    if (!s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0)) return false;
    try {
      return labelSelectorFromObject(s).matches(pod.metadata.labels ?? {});
    } catch {
      // An invalid selector matches nothing.
      return false;
    }
  });
}

/** checkAndDecrement: spends one disruption and records the pod, or refuses. */
function spendDisruption(pdb: PodDisruptionBudget, podName: string, dryRun: boolean): PodDisruptionBudget {
  const name = pdb.metadata.name ?? '';
  const status = pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw stillProcessing(name);
  if (status.disruptionsAllowed < 0) throw newForbidden(PDB_GR, name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
    throw newForbidden(PDB_GR, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (status.disruptionsAllowed === 0) {
    throw tooManyRequests(
      `The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
      0,
    );
  }
  const next = { ...status, disruptionsAllowed: status.disruptionsAllowed - 1 };
  if (next.disruptionsAllowed === 0) {
    // UpdateDisruptionAllowedCondition: no more disruptions until the controller counts again.
    const now = metaTime(new Date());
    const old = (status.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
    const cond = {
      type: 'DisruptionAllowed',
      status: 'False' as const,
      reason: 'InsufficientPods',
      message: '',
      observedGeneration: status.observedGeneration ?? 0,
      lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : now,
    };
    next.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed'), cond];
  }
  if (!dryRun) next.disruptedPods = { ...status.disruptedPods, [podName]: metaTime(new Date()) };
  return { ...pdb, status: next };
}

/**
 * addConditionAndDeletePod: the DisruptionTarget condition, then the delete. A resourceVersion
 * precondition is moved on to the version the condition wrote, as upstream bumps it.
 */
async function addConditionAndDelete(
  pods: GenericRegistry,
  pod: Pod,
  preconditions: Preconditions,
  eviction: Eviction,
  dryRun: boolean,
): Promise<void> {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  let pre = preconditions;
  // A pod already being deleted, or one that has ended, gets no condition.
  if (!pod.metadata.deletionTimestamp && !terminal(pod) && !dryRun) {
    const target: PodCondition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastTransitionTime: metaTime(new Date()),
    };
    const updated = await pods.guaranteedUpdate(
      namespace,
      name,
      'status',
      apiserverContext(),
      { dryRun },
      pre.resourceVersion,
      (cur) => {
        const p = cur as Pod;
        if (pre.uid && p.metadata.uid !== pre.uid) {
          throw new StatusError(
            'Conflict',
            `Operation cannot be fulfilled on pods "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${p.metadata.uid}`,
          );
        }
        const conditions = (p.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
        return { ...p, status: { ...p.status, conditions: [...conditions, target] } };
      },
    );
    if (pre.resourceVersion) pre = { ...pre, resourceVersion: updated.metadata.resourceVersion };
  }
  try {
    await pods.delete(namespace, name, pre, { dryRun }, undefined, eviction.deleteOptions ?? {});
  } catch (e) {
    // Gone meanwhile: the eviction is done.
    if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
  }
}

const SUCCESS: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

/** `pod` as read for admission: the eviction acts on that one (its UID is the delete's precondition). */
export async function evictPod(
  pods: GenericRegistry,
  pdbs: GenericRegistry,
  admitted: Pod,
  eviction: Eviction,
  dryRun: boolean,
): Promise<Status> {
  const requested = eviction.deleteOptions?.preconditions ?? {};
  const base: Preconditions = {
    uid: requested.uid ?? admitted.metadata.uid,
    ...(requested.resourceVersion ? { resourceVersion: requested.resourceVersion } : {}),
  };
  let pod = admitted;
  if (canIgnoreBudget(pod)) {
    // A pending pod could turn Ready meanwhile and count against a budget: its version is pinned, and
    // a conflict (the kubelet wrote its status) is retried on the pod as it is now, as upstream.
    let current = pod;
    for (let attempt = 1; ; attempt++) {
      const pin = current.status?.phase === 'Pending' && !current.metadata.deletionTimestamp && !base.resourceVersion;
      const pre = pin ? { ...base, resourceVersion: current.metadata.resourceVersion } : base;
      try {
        await addConditionAndDelete(pods, current, pre, eviction, dryRun);
        return SUCCESS;
      } catch (e) {
        if (!(pin && attempt < 5 && e instanceof StatusError && e.reason === 'Conflict')) throw e;
        current = (await pods.get(current.metadata.namespace ?? '', current.metadata.name ?? '')) as Pod;
        if (current.metadata.uid !== base.uid) throw e;
        if (!canIgnoreBudget(current)) break;
      }
    }
    pod = current;
  }

  const budgets = await budgetsOf(pdbs, pod);
  if (budgets.length > 1) {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    };
  }
  let pinned = false;
  const pdb = budgets[0];
  if (pdb) {
    const s = pdb.status;
    const unhealthyMayGo =
      pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
      ((s?.currentHealthy ?? 0) >= (s?.desiredHealthy ?? 0) && (s?.desiredHealthy ?? 0) > 0);
    if (!ready(pod) && unhealthyMayGo) {
      // An unready pod does not count as healthy: evicting it spends nothing, if it stays unready.
      pinned = true;
    } else {
      await pdbs.guaranteedUpdate(
        pod.metadata.namespace ?? '',
        pdb.metadata.name ?? '',
        'status',
        apiserverContext(),
        { dryRun },
        undefined,
        (cur) => spendDisruption(cur as PodDisruptionBudget, pod.metadata.name ?? '', dryRun),
      );
    }
  }
  const pre = pinned && !base.resourceVersion ? { ...base, resourceVersion: pod.metadata.resourceVersion } : base;
  try {
    await addConditionAndDelete(pods, pod, pre, eviction, dryRun);
  } catch (e) {
    // The pod changed since it was judged unready: the client should try again.
    if (pinned && !base.resourceVersion && e instanceof StatusError && e.reason === 'Conflict')
      throw stillProcessing(pdb?.metadata.name ?? '');
    throw e;
  }
  return SUCCESS;
}
