// disruption-controller (k8s pkg/controller/disruption): keeps each PodDisruptionBudget's status —
// how many selected pods are healthy (Ready, not being deleted, not just evicted), how many must be,
// and so how many evictions it allows now — which the apiserver's pods/eviction spends. Evicted pods
// stay counted out for two minutes (DeletionTimeout) unless they go; a DisruptionTarget condition
// left by an eviction that never deleted its pod is set back to False after two minutes too.
// A percentage or maxUnavailable budget counts the pods the selected pods' controllers want
// (finders.ts: ReplicaSets, Deployments, StatefulSets); pods without a controller are "unmanaged",
// with upstream's warning, and a controller no finder knows fails the sync safe.
import type { Condition, IntOrString, KubeObject, ObjectReference, Pod, PodDisruptionBudget } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { ReferenceEventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import type { ControllerAndScale, Finder } from './finders.js';

/** DeletionTimeout: how long an evicted pod is expected to take to go. */
export const DELETION_TIMEOUT_MS = 2 * 60_000;
/** stalePodDisruptionTimeout. */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;

export const PDB_REF = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' } as const;

const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** intstr.GetScaledValueFromIntOrPercent with roundUp. */
export function scaledValue(v: IntOrString, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** The pods a budget selects: policy/v1 reads an empty selector as every pod of the namespace. */
export function selects(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if (pod.metadata?.namespace !== pdb.metadata?.namespace) return false;
  try {
    return labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata?.labels ?? {});
  } catch {
    return false;
  }
}

export interface Expected {
  readonly expectedCount: number;
  readonly desiredHealthy: number;
  readonly unmanagedPods: readonly string[];
}

/** getExpectedPodCount; throws when a pod's controller cannot be scaled (upstream's wording). */
export function expectedPodCount(
  pdb: PodDisruptionBudget,
  pods: readonly Pod[],
  finders: readonly Finder[] = [],
): Expected {
  const spec = pdb.spec ?? {};
  // getExpectedScale: each controller's scale once, summed.
  const expectedScale = () => {
    const unmanagedPods: string[] = [];
    const scales = new Map<string, number>();
    for (const p of pods) {
      const ref = p.metadata?.ownerReferences?.find((r) => r.controller);
      if (!ref) {
        unmanagedPods.push(p.metadata?.name ?? '');
        continue;
      }
      if (scales.has(ref.uid)) continue;
      let found: ControllerAndScale | undefined;
      for (const find of finders) {
        found = find(ref, p.metadata?.namespace ?? '');
        if (found) break;
      }
      if (!found) throw new Error(`found no controllers for pod ${JSON.stringify(p.metadata?.name ?? '')}`);
      scales.set(found.uid, found.scale);
    }
    let expectedCount = 0;
    for (const n of scales.values()) expectedCount += n;
    return { expectedCount, unmanagedPods };
  };
  if (spec.maxUnavailable !== undefined) {
    const { expectedCount, unmanagedPods } = expectedScale();
    const desiredHealthy = Math.max(0, expectedCount - scaledValue(spec.maxUnavailable, expectedCount));
    return { expectedCount, desiredHealthy, unmanagedPods };
  }
  if (spec.minAvailable !== undefined) {
    if (typeof spec.minAvailable === 'number') {
      return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
    }
    const { expectedCount, unmanagedPods } = expectedScale();
    return { expectedCount, desiredHealthy: scaledValue(spec.minAvailable, expectedCount), unmanagedPods };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/** apimeta.SetStatusCondition: the transition time moves only when the status does. */
function setCondition(
  conditions: readonly Condition[],
  c: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const old = conditions.find((x) => x.type === c.type);
  const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : metaTime(now);
  return [...conditions.filter((x) => x.type !== c.type), { ...c, lastTransitionTime }];
}

/** UpdateDisruptionAllowedCondition. */
function disruptionAllowedCondition(
  allowed: number,
  observedGeneration: number,
): Omit<Condition, 'lastTransitionTime'> {
  return allowed > 0
    ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration }
    : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration };
}

export interface DisruptionTimeouts {
  /** DeletionTimeout (tests shorten it). */
  readonly deletionTimeoutMs?: number;
  /** stalePodDisruptionTimeout (tests shorten it). */
  readonly staleTimeoutMs?: number;
}

export class DisruptionController implements Controller {
  readonly name = 'disruption-controller';
  readonly queue = new WorkQueue('disruption');
  readonly staleQueue = new WorkQueue('stale_pod_disruption');
  readonly #deletionTimeoutMs: number;
  readonly #staleTimeoutMs: number;

  constructor(
    readonly client: KubeClient,
    readonly pdbs: SharedInformer<PodDisruptionBudget>,
    readonly pods: SharedInformer<Pod>,
    readonly log: Logger,
    readonly recorder?: ReferenceEventRecorder,
    timeouts: DisruptionTimeouts = {},
    /** From a pod's controller reference to its scale (finders.ts's workloadFinders). */
    readonly finders: readonly Finder[] = [],
  ) {
    this.#deletionTimeoutMs = timeouts.deletionTimeoutMs ?? DELETION_TIMEOUT_MS;
    this.#staleTimeoutMs = timeouts.staleTimeoutMs ?? STALE_POD_DISRUPTION_TIMEOUT_MS;
    const enqueue = (b: PodDisruptionBudget) => this.queue.add(key(b));
    pdbs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, b) => enqueue(b), onDelete: enqueue });
    const onPod = (p: Pod) => {
      for (const b of this.pdbs.store.list()) if (selects(b, p)) enqueue(b);
      if (this.#staleFor(p) !== undefined) this.staleQueue.add(key(p));
    };
    pods.addEventHandler({
      onAdd: onPod,
      // A pod whose labels changed may have left a budget as well as joined one.
      onUpdate: (old, p) => {
        onPod(old);
        onPod(p);
      },
      onDelete: onPod,
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return Promise.all([
      runQueue(this.queue, 2, (k) => this.sync(k), this.log, signal),
      runQueue(this.staleQueue, 1, (k) => this.syncStalePod(k), this.log, signal),
    ]).then(() => undefined);
  }

  #ref(pdb: PodDisruptionBudget): ObjectReference {
    return {
      kind: 'PodDisruptionBudget',
      apiVersion: 'policy/v1',
      namespace: pdb.metadata?.namespace ?? '',
      name: pdb.metadata?.name ?? '',
      ...(pdb.metadata?.uid ? { uid: pdb.metadata.uid } : {}),
    };
  }

  async sync(k: string): Promise<void> {
    const pdb = this.pdbs.store.get(k);
    if (!pdb) return;
    try {
      await this.#trySync(pdb);
    } catch (e) {
      // A conflict is retried from the newer object the watch brings, without failing safe.
      if (isConflict(e)) throw e;
      this.log.warn({ podDisruptionBudget: k, err: (e as Error).message }, 'Failed to sync PDB');
      await this.#failSafe(pdb, e as Error);
    }
  }

  async #trySync(pdb: PodDisruptionBudget): Promise<void> {
    const pods = this.pods.store.list().filter((p) => selects(pdb, p));
    if (pods.length === 0) this.recorder?.eventFor(this.#ref(pdb), 'Normal', 'NoPods', 'No matching pods found');
    let expected: Expected;
    try {
      expected = expectedPodCount(pdb, pods, this.finders);
    } catch (e) {
      this.recorder?.eventFor(
        this.#ref(pdb),
        'Warning',
        'CalculateExpectedPodCountFailed',
        `Failed to calculate the number of expected pods: ${(e as Error).message}`,
      );
      throw e;
    }
    if (expected.unmanagedPods.length > 0) {
      this.recorder?.eventFor(
        this.#ref(pdb),
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? null)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = new Date();
    const { disrupted, recheckAt } = this.#disruptedPods(pdb, pods, now);
    const currentHealthy = pods.filter(
      (p) => !p.metadata?.deletionTimestamp && disrupted[p.metadata?.name ?? ''] === undefined && isReady(p),
    ).length;
    await this.#updateStatus(pdb, currentHealthy, expected, disrupted, now);
    if (recheckAt !== undefined) this.queue.addAfter(key(pdb), Math.max(0, recheckAt - now.getTime()));
  }

  /** buildDisruptedPodMap: evictions still expected to complete, and when to look again. */
  #disruptedPods(
    pdb: PodDisruptionBudget,
    pods: readonly Pod[],
    now: Date,
  ): { disrupted: Record<string, string>; recheckAt?: number } {
    const was = pdb.status?.disruptedPods ?? {};
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    for (const p of pods) {
      const name = p.metadata?.name ?? '';
      const at = was[name];
      if (p.metadata?.deletionTimestamp || at === undefined) continue;
      const expectedDeletion = Date.parse(at) + this.#deletionTimeoutMs;
      if (expectedDeletion < now.getTime()) {
        this.log.info({ pod: key(p), podDisruptionBudget: key(pdb) }, 'pod was expected to be deleted but it was not');
        this.recorder?.eventFor(
          { kind: 'Pod', apiVersion: 'v1', namespace: p.metadata?.namespace ?? '', name, uid: p.metadata?.uid ?? '' },
          'Warning',
          'NotDeleted',
          // Upstream prints the namespace twice (pdb.Namespace, pdb.Namespace).
          `Pod was expected by PDB ${pdb.metadata?.namespace}/${pdb.metadata?.namespace} to be deleted but it wasn't`,
        );
      } else {
        recheckAt = recheckAt === undefined ? expectedDeletion : Math.min(recheckAt, expectedDeletion);
        disrupted[name] = at;
      }
    }
    return { disrupted, ...(recheckAt !== undefined ? { recheckAt } : {}) };
  }

  async #updateStatus(
    pdb: PodDisruptionBudget,
    currentHealthy: number,
    expected: Expected,
    disrupted: Record<string, string>,
    now: Date,
  ): Promise<void> {
    const { expectedCount, desiredHealthy } = expected;
    // A budget matching no pods yet stays safe until its first pods are counted.
    let disruptionsAllowed = currentHealthy - desiredHealthy;
    if (expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
    const generation = pdb.metadata?.generation ?? 0;
    const s = pdb.status;
    const want = disruptionAllowedCondition(disruptionsAllowed, generation);
    const cond = s?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    const upToDate =
      s &&
      s.currentHealthy === currentHealthy &&
      s.desiredHealthy === desiredHealthy &&
      s.expectedPods === expectedCount &&
      s.disruptionsAllowed === disruptionsAllowed &&
      JSON.stringify(Object.entries(s.disruptedPods ?? {}).sort()) ===
        JSON.stringify(Object.entries(disrupted).sort()) &&
      (s.observedGeneration ?? 0) === generation &&
      cond?.status === want.status &&
      cond.reason === want.reason &&
      cond.observedGeneration === generation;
    if (upToDate) return;
    await this.#writeStatus({
      ...pdb,
      status: {
        currentHealthy,
        desiredHealthy,
        expectedPods: expectedCount,
        disruptionsAllowed,
        ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
        observedGeneration: generation,
        conditions: setCondition(s?.conditions ?? [], want, now),
      },
    });
  }

  /** failSafe: whatever went wrong, allow no disruption. */
  async #failSafe(pdb: PodDisruptionBudget, err: Error): Promise<void> {
    const status = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
    const conditions = setCondition(
      status.conditions ?? [],
      {
        type: 'DisruptionAllowed',
        status: 'False',
        reason: 'SyncFailed',
        message: err.message,
        observedGeneration: status.observedGeneration ?? 0,
      },
      new Date(),
    );
    await this.#writeStatus({ ...pdb, status: { ...status, disruptionsAllowed: 0, conditions } });
  }

  async #writeStatus(pdb: PodDisruptionBudget): Promise<void> {
    const budgets = this.client.resource<PodDisruptionBudget>({ ...PDB_REF, namespace: pdb.metadata?.namespace ?? '' });
    try {
      await budgets.updateSubresource(pdb.metadata?.name ?? '', 'status', pdb);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** How long until the pod's DisruptionTarget condition is stale, if it has one that can be. */
  #staleFor(p: Pod): number | undefined {
    if (p.metadata?.deletionTimestamp || terminal(p)) return undefined;
    const c = p.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
    // The kubelet's own condition may precede a long termination: never stale.
    if (c?.status !== 'True' || c.reason === 'TerminationByKubelet') return undefined;
    const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
    return Math.max(0, this.#staleTimeoutMs - (Date.now() - since));
  }

  async syncStalePod(k: string): Promise<void> {
    const pod = this.pods.store.get(k);
    if (!pod) return;
    const wait = this.#staleFor(pod);
    if (wait === undefined) return;
    if (wait > 0) {
      this.staleQueue.addAfter(k, wait);
      return;
    }
    const conditions = (pod.status?.conditions ?? []).map((c) =>
      c.type === 'DisruptionTarget' ? { ...c, status: 'False' as const, lastTransitionTime: metaTime(new Date()) } : c,
    );
    const pods = this.client.resource<Pod>({ ...RESOURCES.pods, namespace: pod.metadata?.namespace ?? '' });
    try {
      await pods.updateSubresource(pod.metadata?.name ?? '', 'status', {
        ...pod,
        status: { ...pod.status, conditions },
      });
      this.log.info({ pod: k }, 'Reset stale DisruptionTarget condition to False');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
