// ControllerRevisions (k8s pkg/controller/history): immutable snapshots of a DaemonSet's or
// StatefulSet's pod template, named `<parent>-<hash>` and numbered, so a rollout knows which pods are
// current and `kubectl rollout history/undo` has something to go back to. Data is compared as the
// bytes Go's json.Marshal writes for a map: keys sorted at every level.
import type { ControllerRevision, KubeObject, OwnerReference } from '@mkube/shared/api';
import { isAlreadyExists } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { RESOURCES } from '../informers/index.js';

/** history.ControllerRevisionHashLabel: the StatefulSet's revisions carry their hash here. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** Go's json.Marshal of a decoded map: sorted keys, HTML characters escaped as \u003c, \u003e, \u0026. */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(sortKeys(v)).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/** FNV-1 (hash/fnv New32), which HashControllerRevision uses. */
export function fnv32(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) h = (Math.imul(h, 0x01000193) ^ b) >>> 0;
  return h >>> 0;
}

/** FNV-1a (hash/fnv New32a), which ComputeHash uses. */
export function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

// apimachinery rand.SafeEncodeString: no vowels (no words) and no 0/1/3 (no look-alikes).
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** history.HashControllerRevision: the data's bytes, then the collision count in decimal. */
export function hashControllerRevision(data: unknown, probe?: number): string {
  const enc = new TextEncoder();
  let h = fnv32(enc.encode(canonicalJSON(data ?? null)));
  if (probe !== undefined) h = fnv32(enc.encode(String(probe)), h);
  return safeEncodeString(String(h));
}

/** history.ControllerRevisionName: a prefix cut to 223 characters, a dash, the hash. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** metav1.NewControllerRef: the controller and GC-blocking owner reference of an apps/v1 parent. */
export function controllerRef(parent: KubeObject, kind: string, apiVersion = 'apps/v1'): OwnerReference {
  return {
    apiVersion,
    kind,
    name: parent.metadata.name ?? '',
    uid: parent.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** history.NewControllerRevision: labelled with the template's labels and the hash, owned by `parent`. */
export function newControllerRevision(
  parent: KubeObject,
  parentKind: string,
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
      ownerReferences: [controllerRef(parent, parentKind)],
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
  return canonicalJSON(a.data) === canonicalJSON(b.data);
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
      if (canonicalJSON(exists.data) === canonicalJSON(clone.data)) return { revision: exists, collisionCount: count };
    }
  }
}
