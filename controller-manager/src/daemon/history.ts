// A DaemonSet's revisions (daemon/update.go constructHistory, cleanupHistory, snapshot): one
// ControllerRevision per template it has run, `<ds>-<hash>` with the hash also as its
// controller-revision-hash label, the current one numbered above every older one; old ones beyond
// revisionHistoryLimit go unless a live pod still runs them.
import type { ControllerRevision, DaemonSet, Pod } from '@mkube/shared/api';
import { isAlreadyExists } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { PatchType } from '@mkube/shared/client';
import { canonicalJson, computeHash, newControllerRef } from '@mkube/shared/controller';
import type { Logger } from '@mkube/shared/log';
import { maxRevision, revisionsIn } from '../history/revision.js';
import { RESOURCES } from '../informers/index.js';
import { CONTROLLER_REVISION_HASH_LABEL, DAEMONSET_KIND } from './util.js';

/** What the history code needs from the controller. */
export interface HistoryContext {
  readonly client: KubeClient;
  readonly log: Logger;
  /** The revisions the DaemonSet owns, after adoption and release. */
  controlledHistories(ds: DaemonSet): Promise<ControllerRevision[]>;
  /** The pods the DaemonSet owns, after adoption and release. */
  daemonPods(ds: DaemonSet): Promise<Pod[]>;
}

/** getPatch: the template as a strategic-merge patch that replaces it whole (what rollout undo applies). */
export function templatePatch(ds: DaemonSet): unknown {
  return { spec: { template: { ...structuredClone(ds.spec?.template ?? {}), $patch: 'replace' } } };
}

/** Match: the revision holds this DaemonSet's template. */
export const matchesTemplate = (ds: DaemonSet, h: ControllerRevision): boolean =>
  canonicalJson(h.data) === canonicalJson(templatePatch(ds));

export interface Histories {
  readonly cur: ControllerRevision;
  readonly old: ControllerRevision[];
}

export async function constructHistory(ctx: HistoryContext, ds: DaemonSet): Promise<Histories> {
  const api = revisionsIn(ctx.client, ds.metadata.namespace ?? '');
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (let h of await ctx.controlledHistories(ds)) {
    // Revisions from before the label: the name stands in for the hash, never recomputed.
    if (h.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === undefined) {
      const labels = { ...h.metadata.labels, [CONTROLLER_REVISION_HASH_LABEL]: h.metadata.name ?? '' };
      h = await api.update({ ...h, metadata: { ...h.metadata, labels } });
    }
    (matchesTemplate(ds, h) ? current : old).push(h);
  }
  const currRevision = maxRevision(old) + 1;
  if (current.length === 0) return { cur: await snapshot(ctx, ds, currRevision), old };
  let cur = await dedupCurHistories(ctx, ds, current);
  if (cur.revision < currRevision) cur = await api.update({ ...cur, revision: currRevision });
  return { cur, old };
}

/** Keeps the highest-numbered equal revision, moving pods' hash labels to it before deleting the rest. */
async function dedupCurHistories(
  ctx: HistoryContext,
  ds: DaemonSet,
  current: ControllerRevision[],
): Promise<ControllerRevision> {
  const [first] = current;
  if (current.length === 1 && first) return first;
  let keep = current[0] as ControllerRevision;
  for (const c of current) if (c.revision >= keep.revision) keep = c;
  const keepHash = keep.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
  const ns = ds.metadata.namespace ?? '';
  const pods = ctx.client.resource<Pod>({ ...RESOURCES.pods, namespace: ns });
  for (const c of current) {
    if (c.metadata.name === keep.metadata.name) continue;
    for (const p of await ctx.daemonPods(ds)) {
      if (p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === keepHash) continue;
      const patch = { metadata: { labels: { [CONTROLLER_REVISION_HASH_LABEL]: keepHash } } };
      await pods.patch(p.metadata.name ?? '', PatchType.StrategicMerge, patch);
    }
    await revisionsIn(ctx.client, ns).delete(c.metadata.name ?? '');
  }
  return keep;
}

/** Records the current template; a name taken by another template bumps status.collisionCount. */
async function snapshot(ctx: HistoryContext, ds: DaemonSet, revision: number): Promise<ControllerRevision> {
  const hash = computeHash(ds.spec?.template ?? {}, ds.status?.collisionCount);
  const ns = ds.metadata.namespace ?? '';
  const name = `${ds.metadata.name}-${hash}`;
  const api = revisionsIn(ctx.client, ns);
  const history: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: ns,
      labels: { ...ds.spec?.template?.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(ds.metadata.annotations ? { annotations: ds.metadata.annotations } : {}),
      ownerReferences: [newControllerRef(ds, DAEMONSET_KIND)],
    },
    data: templatePatch(ds),
    revision,
  };
  try {
    return await api.create(history);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = await api.get(name);
    if (matchesTemplate(ds, existing)) return existing;
    // Another template hashed to this name: bump collisionCount (from a fresh read, so only once
    // per collision) and fail this sync; the next one hashes with the new count.
    const dsApi = ctx.client.resource<DaemonSet>({ ...RESOURCES.daemonsets, namespace: ns });
    const fresh = await dsApi.get(ds.metadata.name ?? '');
    if (fresh.status?.collisionCount !== ds.status?.collisionCount) {
      throw new Error(
        `found a stale collision count (${ds.status?.collisionCount}, expected ${fresh.status?.collisionCount}) of DaemonSet ${JSON.stringify(ds.metadata.name)} while processing; will retry until it is updated`,
      );
    }
    const status = {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
      ...fresh.status,
      collisionCount: (fresh.status?.collisionCount ?? 0) + 1,
    };
    await dsApi.updateSubresource(fresh.metadata.name ?? '', 'status', { ...fresh, status });
    ctx.log.info(
      { daemonSet: `${ns}/${ds.metadata.name}` },
      'Found a hash collision for DaemonSet - bumping collisionCount to resolve it',
    );
    throw e;
  }
}

/** Deletes the oldest revisions beyond revisionHistoryLimit (10) that no live pod still runs. */
export async function cleanupHistory(
  ctx: HistoryContext,
  ds: DaemonSet,
  old: ControllerRevision[],
  livePods: readonly Pod[],
): Promise<void> {
  let toKill = old.length - (ds.spec?.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return;
  const live = new Set<string>();
  for (const p of livePods) {
    const hash = p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    if (hash) live.add(hash);
  }
  const api = revisionsIn(ctx.client, ds.metadata.namespace ?? '');
  for (const h of [...old].sort((a, b) => a.revision - b.revision)) {
    if (toKill <= 0) break;
    if (live.has(h.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '')) continue;
    await api.delete(h.metadata.name ?? '');
    toKill--;
  }
}
