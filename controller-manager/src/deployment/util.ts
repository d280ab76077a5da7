// deploymentutil (k8s pkg/controller/deployment/util): the annotations a Deployment keeps on its
// ReplicaSets, its conditions, the rolling-update fenceposts and the ReplicaSet arithmetic the
// strategies share. Pure functions over API objects.
import type { Deployment, DeploymentStatus, ReplicaSet, WorkloadCondition } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { scaledValueFromIntOrPercent } from '@mkube/shared/controller';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED_CONFIG = 'kubectl.kubernetes.io/last-applied-configuration';
/** DefaultDeploymentUniqueLabelKey. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';
/** maxRevHistoryLengthInChars. */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

/** The reasons of a Deployment's conditions. */
export const REASON = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  failedRSCreate: 'ReplicaSetCreateError',
  newReplicaSet: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export const replicasOf = (o: Deployment | ReplicaSet | undefined): number => o?.spec?.replicas ?? 1;
/** A ReplicaSet's spec.replicas, where absent means 0 for the arithmetic (never so when stored). */
export const rsReplicas = (rs: ReplicaSet | undefined): number => (rs ? (rs.spec?.replicas ?? 1) : 0);

export const isRollingUpdate = (d: Deployment) => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** ResolveFenceposts: maxSurge rounded up, maxUnavailable down; both zero means one unavailable. */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = replicasOf(d);
  const surge = scaledValueFromIntOrPercent(ru?.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValueFromIntOrPercent(ru?.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicasOf(d));
}

export const hasProgressDeadline = (d: Deployment) => {
  const s = d.spec?.progressDeadlineSeconds ?? 600;
  return s !== 2 ** 31 - 1;
};
export const progressDeadlineSeconds = (d: Deployment) => d.spec?.progressDeadlineSeconds ?? 600;

/** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
export const specReplicas = (rss: readonly (ReplicaSet | undefined)[]) => rss.reduce((n, rs) => n + rsReplicas(rs), 0);
/** Sum of status.replicas (GetActualReplicaCountForReplicaSets). */
export const actualReplicas = (rss: readonly (ReplicaSet | undefined)[]) =>
  rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const readyReplicas = (rss: readonly (ReplicaSet | undefined)[]) =>
  rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const availableReplicas = (rss: readonly (ReplicaSet | undefined)[]) =>
  rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

/** FilterActiveReplicaSets: those with replicas to run. */
export const activeReplicaSets = (rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] =>
  rss.filter((rs): rs is ReplicaSet => rs !== undefined && rsReplicas(rs) > 0);

const created = (rs: ReplicaSet) => Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  const [na, nb] = [a.metadata?.name ?? '', b.metadata?.name ?? ''];
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** ReplicaSetsBySizeNewer (largest first, newer first) or ReplicaSetsBySizeOlder (older first). */
export function bySize(newer: boolean): (a: ReplicaSet, b: ReplicaSet) => number {
  return (a, b) => {
    const d = rsReplicas(b) - rsReplicas(a);
    if (d !== 0) return d;
    return newer ? byCreation(b, a) : byCreation(a, b);
  };
}

export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = o.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^[0-9]+$/.test(v)) return 0;
  return Number(v);
}

/** ReplicaSetsByRevision: lowest revision first, then by creation. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const d = revisionOf(a) - revisionOf(b);
  return d !== 0 ? d : byCreation(a, b);
}

export const maxRevision = (rss: readonly ReplicaSet[]) => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

/** The template without its pod-template-hash label (EqualIgnoreHash compares these). */
function withoutHash(t: unknown): unknown {
  const c = structuredClone((t ?? {}) as { metadata?: { labels?: Record<string, string> } });
  if (c.metadata?.labels) {
    delete c.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  if (c.metadata && Object.keys(c.metadata).length === 0) delete c.metadata;
  return c;
}

/**
 * A JSON value as a Go struct would hold it: null, empty strings, false, 0, empty maps and lists
 * are its zero values and read as absent (kubectl sends `"creationTimestamp": null`, `"resources":
 * {}`; the apiserver may leave them out).
 */
function zeroless(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(zeroless);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const z = zeroless(x);
    if (z === undefined || z === null || z === '' || z === false || z === 0) continue;
    if (typeof z === 'object' && (Array.isArray(z) ? z.length === 0 : Object.keys(z as object).length === 0)) continue;
    out[k] = z;
  }
  return out;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** apimachinery's semantic DeepEqual as far as JSON shows it: zero values equal absent ones. */
export const deepEqual = (a: unknown, b: unknown): boolean => jsonEqual(zeroless(a), zeroless(b));

export const equalIgnoreHash = (t1: unknown, t2: unknown) => deepEqual(withoutHash(t1), withoutHash(t2));

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** FindOldReplicaSets: every other ReplicaSet (all, and those still running pods). */
export function findOldReplicaSets(
  d: Deployment,
  rss: readonly ReplicaSet[],
): { required: ReplicaSet[]; all: ReplicaSet[] } {
  const newRS = findNewReplicaSet(d, rss);
  const all = rss.filter((rs) => !newRS || rs.metadata?.uid !== newRS.metadata?.uid);
  return { all, required: all.filter((rs) => rsReplicas(rs) !== 0) };
}

export function getCondition(s: DeploymentStatus | undefined, type: string): WorkloadCondition | undefined {
  return s?.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: WorkloadCondition['status'],
  reason: string,
  message: string,
  now = new Date(),
): WorkloadCondition {
  return { type, status, lastUpdateTime: metaTime(now), lastTransitionTime: metaTime(now), reason, message };
}

/** SetDeploymentCondition: the same status and reason is no change; the same status keeps its transition time. */
export function setCondition(s: DeploymentStatus, c: WorkloadCondition): void {
  const cur = getCondition(s, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  const next = cur && cur.status === c.status ? { ...c, lastTransitionTime: cur.lastTransitionTime } : c;
  s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== c.type), next];
}

export function removeCondition(s: DeploymentStatus, type: string): void {
  if (!s.conditions) return;
  s.conditions = s.conditions.filter((c) => c.type !== type);
}

/** DeploymentComplete: every replica updated and available, the latest spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than last time. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: no progress reported for progressDeadlineSeconds. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c || c.reason === REASON.newRSAvailable) return false;
  if (c.reason === REASON.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '') || 0;
  return from + progressDeadlineSeconds(d) * 1000 < now;
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: Deployment, all: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const want = replicasOf(d);
  if (!isRollingUpdate(d)) return want;
  const surge = scaledValueFromIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', want, true);
  const current = specReplicas(all);
  const maxTotal = want + surge;
  if (current >= maxTotal) return rsReplicas(newRS);
  return rsReplicas(newRS) + Math.min(maxTotal - current, want - rsReplicas(newRS));
}

const annotationInt = (rs: ReplicaSet, name: string): number | undefined => {
  const v = rs.metadata?.annotations?.[name];
  if (v === undefined || !/^-?[0-9]+$/.test(v)) return undefined;
  return Number(v);
};

/** IsSaturated: the new ReplicaSet runs every replica, all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = annotationInt(rs, DESIRED_REPLICAS_ANNOTATION);
  if (desired === undefined) return false;
  return (
    rsReplicas(rs) === replicasOf(d) &&
    desired === replicasOf(d) &&
    (rs.status?.availableReplicas ?? 0) === replicasOf(d)
  );
}

/** FindActiveOrLatest: the one ReplicaSet with pods, or the newest when none has any. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, olds: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && olds.length === 0) return undefined;
  const sorted = [...olds].sort((a, b) => byCreation(b, a));
  const all = newRS ? [newRS, ...sorted] : sorted;
  const active = activeReplicaSets(all);
  if (active.length === 0) return newRS ?? sorted[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** ReplicasAnnotationsNeedUpdate / SetReplicasAnnotations. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  rs.metadata ??= {};
  rs.metadata.annotations ??= {};
  const a = rs.metadata.annotations;
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export const desiredReplicasAnnotation = (rs: ReplicaSet) => annotationInt(rs, DESIRED_REPLICAS_ANNOTATION);

/** GetReplicaSetProportion: this ReplicaSet's share of `toAdd`, never beyond what is left to add. */
export function replicaSetProportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** getReplicaSetFraction: the change that keeps this ReplicaSet's share of the (new) maximum size. */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -rsReplicas(rs);
  const maxNow = replicasOf(d) + maxSurge(d);
  let before = annotationInt(rs, MAX_REPLICAS_ANNOTATION);
  // Edited away by someone: fall back on the Deployment's size as last seen.
  if (before === undefined || before === 0) before = d.status?.replicas ?? 0;
  if (before === 0) return 0;
  // integer.RoundToInt32: half away from zero.
  const size = (rsReplicas(rs) * maxNow) / before;
  const rounded = size < 0 ? -Math.round(-size) : Math.round(size);
  return rounded - rsReplicas(rs);
}

/** SetDeploymentRevision. */
export function setDeploymentRevision(d: Deployment, revision: string | undefined): boolean {
  if (revision === undefined) return false;
  d.metadata ??= {};
  d.metadata.annotations ??= {};
  const a = d.metadata.annotations;
  if (a[REVISION_ANNOTATION] === revision) return false;
  a[REVISION_ANNOTATION] = revision;
  return true;
}

const SKIP_COPY = new Set([
  LAST_APPLIED_CONFIG,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO,
]);

/** copyDeploymentAnnotationsToReplicaSet: the Deployment's own annotations (kubectl's change-cause…). */
function copyAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  rs.metadata ??= {};
  rs.metadata.annotations ??= {};
  const a = rs.metadata.annotations;
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (SKIP_COPY.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  return changed;
}

/** SetNewReplicaSetAnnotations: copied annotations, the revision (keeping the history on a rollback), sizes. */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: string,
  exists: boolean,
): boolean {
  let changed = copyAnnotations(d, rs);
  const a = rs.metadata!.annotations!;
  const had = a[REVISION_ANNOTATION];
  let oldRev = 0;
  if (had !== undefined && had !== '') {
    if (!/^[0-9]+$/.test(had)) return false;
    oldRev = Number(had);
  }
  const newRev = Number(newRevision);
  if (oldRev < newRev) {
    a[REVISION_ANNOTATION] = newRevision;
    changed = true;
    // An old template coming back (a rollback): remember the revisions it had.
    if (had !== undefined) {
      const history = a[REVISION_HISTORY_ANNOTATION] ?? '';
      let revs = history === '' ? [] : history.split(',');
      let total = history.length + had.length + 1;
      while (total > MAX_REV_HISTORY_LENGTH_IN_CHARS && revs.length > 0) {
        total -= revs[0]!.length + 1;
        revs = revs.slice(1);
      }
      if (total <= MAX_REV_HISTORY_LENGTH_IN_CHARS) a[REVISION_HISTORY_ANNOTATION] = [...revs, had].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}
