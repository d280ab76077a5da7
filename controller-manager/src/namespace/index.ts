// namespace-controller (k8s pkg/controller/namespace): a namespace being deleted (Terminating) has
// every namespaced resource the apiserver serves deleted (found by discovery, aggregated APIs
// included), its status conditions saying what is left and why; pods end gracefully, so it is
// requeued after half the longest grace period left. Once nothing is left it removes its
// "kubernetes" finalizer through /finalize and deletes the namespace for good.
import type { KubeObject, Namespace, NamespaceCondition, Pod } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient, ResourceRef } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { ItemExponentialRateLimiter } from '@mkube/shared/workqueue';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { preferredResources } from '../discovery.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

export const FINALIZER = 'kubernetes';

/** Content is left: look again in this many seconds (ResourcesRemainingError). */
export class ResourcesRemainingError extends Error {
  override readonly name = 'ResourcesRemainingError';
  constructor(readonly estimateSeconds: number) {
    super(`some content remains in the namespace; checking again in ${estimateSeconds} s`);
  }
}

interface Deletable {
  readonly ref: Omit<ResourceRef, 'namespace'>;
  readonly collection: boolean;
}

const condition = (type: string, status: 'True' | 'False', reason: string, message: string): NamespaceCondition => ({
  type,
  status,
  reason,
  message,
});

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  // nsControllerRateLimiter: retries back off to at most 60 s, so a namespace stuck on an unavailable
  // aggregated API is looked at again within a minute of it coming back (or its APIService going).
  readonly queue = new WorkQueue('namespace', new ItemExponentialRateLimiter({ baseDelayMs: 5, maxDelayMs: 60_000 }));

  constructor(
    readonly client: KubeClient,
    readonly namespaces: SharedInformer<Namespace>,
    readonly log: Logger,
    readonly workers = 10,
  ) {
    const onNs = (n: Namespace) => {
      if (n.metadata?.deletionTimestamp && n.metadata.name) this.queue.add(n.metadata.name);
    };
    namespaces.addEventHandler({ onAdd: onNs, onUpdate: (_o, n) => onNs(n) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(
      this.queue,
      this.workers,
      async (name) => {
        try {
          await this.sync(name);
        } catch (e) {
          if (!(e instanceof ResourcesRemainingError)) throw e;
          this.queue.addAfter(name, (Math.floor(e.estimateSeconds / 2) + 1) * 1000);
        }
      },
      this.log,
      signal,
    );
  }

  /** ServerPreferredNamespacedResources, those that can be listed and deleted. */
  async #discover(): Promise<Deletable[]> {
    // An aggregated API that does not answer: its content cannot be deleted yet (upstream's
    // NamespaceDeletionDiscoveryFailure), and the namespace waits.
    const lists = await preferredResources(this.client, (gv, e) => {
      throw new Error(`unable to retrieve the complete list of server APIs: ${gv}: ${e.message}`);
    });
    const out: Deletable[] = [];
    for (const { group, version, list } of lists) {
      for (const r of list.resources ?? []) {
        if (!r.namespaced || r.name.includes('/') || !r.verbs.includes('list')) continue;
        if (!r.verbs.includes('delete') && !r.verbs.includes('deletecollection')) continue;
        out.push({ ref: { group, version, resource: r.name }, collection: r.verbs.includes('deletecollection') });
      }
    }
    return out;
  }

  async sync(name: string): Promise<void> {
    let ns: Namespace;
    try {
      ns = await this.client.resource<Namespace>(RESOURCES.namespaces).get(name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER)) return this.#deleteNamespace(ns);

    let resources: Deletable[];
    try {
      resources = await this.#discover();
    } catch (e) {
      await this.#conditions(ns, [
        condition('NamespaceDeletionDiscoveryFailure', 'True', 'DiscoveryFailed', (e as Error).message),
      ]);
      throw e;
    }
    const failures: string[] = [];
    const remaining = new Map<string, number>();
    const finalizers = new Map<string, number>();
    let estimate = 0;
    for (const d of resources) {
      const api = this.client.resource<KubeObject>({ ...d.ref, namespace: name });
      const gr = d.ref.group ? `${d.ref.resource}.${d.ref.group}` : d.ref.resource;
      try {
        if (d.collection) {
          await api.deleteCollection({ propagationPolicy: 'Background' });
        } else {
          for (const o of (await api.list()).items) await api.delete(o.metadata!.name!).catch(ignoreGone);
        }
        const left = (await api.list()).items;
        if (left.length === 0) continue;
        remaining.set(gr, left.length);
        for (const o of left)
          for (const f of o.metadata?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
        if (d.ref.group === '' && d.ref.resource === 'pods')
          estimate = Math.max(estimate, podsCleanupEstimate(left as Pod[]));
      } catch (e) {
        failures.push(`Failed to delete all resource types, 1 remaining: ${gr}: ${(e as Error).message}`);
      }
    }
    const list = (m: Map<string, number>) =>
      [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} has ${n} resource instances`);
    await this.#conditions(ns, [
      condition(
        'NamespaceDeletionDiscoveryFailure',
        'False',
        'ResourcesDiscovered',
        'All resources successfully discovered',
      ),
      condition(
        'NamespaceDeletionGroupVersionParsingFailure',
        'False',
        'ParsedGroupVersions',
        'All legacy kube types successfully parsed',
      ),
      failures.length
        ? condition('NamespaceDeletionContentFailure', 'True', 'ContentDeletionFailed', failures.join(', '))
        : condition(
            'NamespaceDeletionContentFailure',
            'False',
            'ContentDeleted',
            'All content successfully deleted, may be waiting on finalization',
          ),
      remaining.size
        ? condition(
            'NamespaceContentRemaining',
            'True',
            'SomeResourcesRemain',
            `Some resources are remaining: ${list(remaining).join(', ')}`,
          )
        : condition('NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'),
      finalizers.size
        ? condition(
            'NamespaceFinalizersRemaining',
            'True',
            'SomeFinalizersRemain',
            `Some content in the namespace has finalizers remaining: ${[...finalizers]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([f, n]) => `${f} in ${n} resource instances`)
              .join(', ')}`,
          )
        : condition(
            'NamespaceFinalizersRemaining',
            'False',
            'ContentHasNoFinalizers',
            'All content-preserving finalizers finished',
          ),
    ]);
    if (failures.length) throw new Error(failures.join(', '));
    if (remaining.size) throw new ResourcesRemainingError(estimate || 5);

    // Empty: the namespace controller's finalizer goes, then the namespace.
    const finalized = await this.client
      .resource<Namespace>(RESOURCES.namespaces)
      .updateSubresource(name, 'finalize', {
        ...ns,
        // The status was just written: no version precondition (finalize changes only spec.finalizers).
        metadata: { ...ns.metadata, resourceVersion: undefined },
        spec: { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER) },
      })
      .catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
    if (finalized) await this.#deleteNamespace(finalized);
    this.log.info({ namespace: name }, 'namespace deleted: all its content is gone');
  }

  async #deleteNamespace(ns: Namespace): Promise<void> {
    if ((ns.spec?.finalizers ?? []).length > 0) return;
    await this.client
      .resource<Namespace>(RESOURCES.namespaces)
      .delete(ns.metadata!.name!, { preconditions: { uid: ns.metadata?.uid } })
      .catch(ignoreGone);
  }

  /** Writes the deletion conditions when they differ (the transition time moves with the status). */
  async #conditions(ns: Namespace, want: NamespaceCondition[]): Promise<void> {
    const have = ns.status?.conditions ?? [];
    const now = metaTime(new Date());
    let changed = false;
    const merged = [...have];
    for (const c of want) {
      const i = merged.findIndex((x) => x.type === c.type);
      const prev = i >= 0 ? merged[i] : undefined;
      if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) continue;
      changed = true;
      const next = { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
      if (i >= 0) merged[i] = next;
      else merged.push(next);
    }
    if (!changed) return;
    try {
      await this.client
        .resource<Namespace>(RESOURCES.namespaces)
        .updateSubresource(ns.metadata!.name!, 'status', { ...ns, status: { ...ns.status, conditions: merged } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}

/** The longest grace period left among terminating pods, in seconds (podsCleanupEstimate). */
export function podsCleanupEstimate(pods: readonly Pod[], now = Date.now()): number {
  let max = 0;
  for (const p of pods) {
    const at = p.metadata?.deletionTimestamp ? Date.parse(p.metadata.deletionTimestamp) : Number.NaN;
    const left = Number.isFinite(at) ? Math.ceil((at - now) / 1000) : (p.spec?.terminationGracePeriodSeconds ?? 0);
    max = Math.max(max, left);
  }
  return max;
}

function ignoreGone(e: unknown): void {
  if (!isNotFound(e) && !isConflict(e)) throw e;
}
