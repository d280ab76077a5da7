// ControllerRevisions (k8s pkg/controller/history): immutable snapshots of a DaemonSet's or
// StatefulSet's pod template, named `<parent>-<hash>` and numbered, so a rollout knows which pods are
// current and `kubectl rollout history/undo` has something to go back to. Data is compared as the
// bytes Go's json.Marshal writes for a map: keys sorted at every level.
import type { ControllerRevision, KubeObject } from '@mkube/shared/api';
import { isAlreadyExists } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import {
  type ControllerKind,
  canonicalJson,
  fnv32,
  newControllerRef,
  safeEncodeString,
} from '@mkube/shared/controller';
import { RESOURCES } from '../informers/index.js';

/** history.ControllerRevisionHashLabel: the StatefulSet's revisions carry their hash here. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** history.HashControllerRevision: the data's bytes, then the collision count in decimal. */
export function hashControllerRevision(data: unknown, probe?: number): string {
  const enc = new TextEncoder();
  let h = fnv32(enc.encode(canonicalJson(data ?? null)));
  if (probe !== undefined) h = fnv32(enc.encode(String(probe)), h);
  return safeEncodeString(String(h));
}

/** history.ControllerRevisionName: a prefix cut to 223 characters, a dash, the hash. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** history.NewControllerRevision: labelled with the template's labels and the hash, owned by `parent`. */
export function newControllerRevision(
  parent: KubeObject,
  parentKind: ControllerKind,
  templateLabels: Readonly<Record<string, string>> | undefined,
  data: unknown,
  revision: number,
  collisionCount: number | undefined,
): ControllerRevision {
  const hash = hashControllerRevision(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.metadata.name ?? '', hash),
      namespace: parent.metadata.namespace,
      labels: { ...templateLabels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(parent, parentKind)],
    },
    data,
    revision,
  };
}

/** history.EqualRevision: the same data (a differing hash label short-cuts to false). */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = a.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  const hb = b.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** history.FindEqualRevisions. */
export function findEqualRevisions(
  revisions: readonly ControllerRevision[],
  needle: ControllerRevision,
): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** history.SortControllerRevisions: by revision, then creation time, then name. */
export function sortControllerRevisions(revisions: ControllerRevision[]): ControllerRevision[] {
  return revisions.sort(
    (a, b) =>
      a.revision - b.revision ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

export const maxRevision = (revisions: readonly ControllerRevision[]): number =>
  revisions.reduce((m, r) => Math.max(m, r.revision), 0);

/** The controllerrevisions client of `namespace`. */
export const revisionsIn = (client: KubeClient, namespace: string) =>
  client.resource<ControllerRevision>({ ...RESOURCES.controllerrevisions, namespace });

/**
 * realHistory.CreateControllerRevision: creates `revision` under a name from its hash; a name taken
 * by equal data is that revision, one taken by other data bumps the collision count and tries again.
 * Returns the revision and the collision count it ended at.
 */
export async function createControllerRevision(
  client: KubeClient,
  parent: KubeObject,
  revision: ControllerRevision,
  collisionCount: number,
): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  const api = revisionsIn(client, parent.metadata.namespace ?? '');
  for (let count = collisionCount; ; count++) {
    const name = controllerRevisionName(parent.metadata.name ?? '', hashControllerRevision(revision.data, count));
    const clone: ControllerRevision = { ...revision, metadata: { ...revision.metadata, name } };
    try {
      return { revision: await api.create(clone), collisionCount: count };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const exists = await api.get(name);
      if (canonicalJson(exists.data) === canonicalJson(clone.data)) return { revision: exists, collisionCount: count };
    }
  }
}
