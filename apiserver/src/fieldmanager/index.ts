// Server-side apply and field ownership (k8s.io/apiserver fieldmanager over structured-merge-diff's
// Updater). Objects start being tracked at their first apply, as upstream's skip-non-applied manager
// does with a track-on-create probability of 0 (upstream's default is 1: it tracks every object from
// its create). Fields set before the first apply belong to "before-first-apply", and from then on
// every write records which manager set what in `metadata.managedFields`. Objects never applied
// carry none, so the hot paths (CSRs, Leases, Node status) pay nothing for it.
import type { KubeObject, ManagedFieldsEntry } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { FieldSet, type PathElement, pathString } from './fieldpath.js';
import { allowedFromLastApplied, KUBECTL, LAST_APPLIED, syncLastApplied } from './lastapplied.js';
import {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  isReset,
  type ManagerEntry,
  type Managers,
  managerId,
} from './managers.js';
import type { ApplyMeta } from './schema.js';
import { compare, merge, removeItems, toFieldSet } from './typed.js';

export { FieldSet, pathString } from './fieldpath.js';
export { applySchemaFor } from './schema.js';

export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** The manager of a write: `?fieldManager=`, else the User-Agent up to its first `/` (prefixFromUserAgent). */
export function managerName(ctx: { readonly fieldManager?: string; readonly userAgent?: string }): string {
  return ctx.fieldManager || (ctx.userAgent ?? '').split('/')[0]!.slice(0, 128);
}

/** Metadata the server owns: never part of a manager's fields (StripMetaManager). */
const SERVER_META = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
];

/** The part of an object managers can own: no apiVersion, kind or server metadata; status only on /status. */
export function ownable(obj: KubeObject | undefined, subresource: string): Record<string, unknown> {
  if (!obj) return {};
  const { apiVersion: _v, kind: _k, metadata, ...rest } = obj as KubeObject & Record<string, unknown>;
  const meta: Record<string, unknown> = { ...(metadata ?? {}) };
  for (const k of SERVER_META) delete meta[k];
  if (subresource === 'status') return rest.status === undefined ? {} : { status: rest.status };
  const out: Record<string, unknown> = { ...rest };
  if (Object.keys(meta).length) out.metadata = meta;
  return out;
}

export interface ApplyRequest {
  readonly manager: string;
  readonly force: boolean;
  /** `<group>/<version>` of the endpoint. */
  readonly apiVersion: string;
  readonly subresource: string;
  readonly now: string;
  readonly schema: ApplyMeta;
  /** Whether the main resource leaves status to its /status subresource (its reset fields). */
  readonly statusIsSubresource: boolean;
}

export interface ApplyConflict {
  readonly manager: ManagerEntry;
  readonly path: readonly PathElement[];
}

/** What `managedFields` a write starts from: the request's, unless absent or unreadable; none on a reset. */
function startingManagers(live: KubeObject | undefined, requested: ManagedFieldsEntry[] | undefined): Managers {
  if (isReset(requested)) return new Map();
  if (requested?.length) {
    try {
      return decodeManagedFields(requested);
    } catch {}
  }
  try {
    return decodeManagedFields(live?.metadata?.managedFields);
  } catch {
    return new Map();
  }
}

/**
 * Merges the applied configuration into `live` (undefined: the object is being created) and
 * returns the object with its new `managedFields`. Throws a 409 naming each conflicting field
 * unless `force`, which moves those fields to the applier.
 */
export function apply(live: KubeObject | undefined, config: KubeObject, req: ApplyRequest): KubeObject {
  const { schema, subresource } = req;
  const managers = startingManagers(live, undefined);
  const liveFields = ownable(live, subresource);
  // The main resource's status belongs to /status: its applies neither own nor set it (reset fields).
  const resetStatus = !subresource && req.statusIsSubresource;
  if (live && managers.size === 0) {
    const { status: _reset, ...settable } = liveFields;
    const all = toFieldSet(resetStatus ? settable : liveFields, schema);
    if (!all.isEmpty()) {
      managers.set(managerId(BEFORE_FIRST_APPLY, 'Update', subresource, req.apiVersion), {
        manager: BEFORE_FIRST_APPLY,
        operation: 'Update',
        apiVersion: req.apiVersion,
        subresource,
        set: all,
      });
    }
  }
  let applied = ownable(config, subresource);
  if (resetStatus) delete applied.status;
  applied = stripNulls(applied) as Record<string, unknown>;
  const id = managerId(req.manager, 'Apply', subresource, req.apiVersion);
  const last = managers.get(id)?.set;
  const mine: ManagerEntry = {
    manager: req.manager,
    operation: 'Apply',
    apiVersion: req.apiVersion,
    subresource,
    time: req.now,
    set: toFieldSet(applied, schema),
  };
  managers.set(id, mine);
  let merged = merge(liveFields, applied, schema) as Record<string, unknown>;
  if (last) {
    // Fields this applier set last time and no longer does go, unless someone else also owns them.
    let owned = new FieldSet();
    for (const m of managers.values()) owned = owned.union(m.set);
    merged = removeItems(merged, last.difference(owned), owned, schema) as Record<string, unknown>;
  }
  const changes = compare(liveFields, merged, schema);
  const changed = changes.modified.union(changes.added);
  const conflicts: ApplyConflict[] = [];
  for (const [mid, m] of managers) {
    if (mid === id) continue;
    const clash = m.set.intersection(changed);
    if (clash.isEmpty()) continue;
    for (const path of clash.paths()) conflicts.push({ manager: m, path });
    m.set = m.set.difference(clash);
  }
  if (conflicts.length && !req.force) {
    const allowed =
      req.manager === KUBECTL
        ? allowedFromLastApplied(liveFields, live, schema, (o) => ownable(o, subresource))
        : new FieldSet();
    const refused = conflicts.filter((c) => !allowed.has(c.path));
    if (refused.length) throw newApplyConflict(refused);
  }
  for (const [mid, m] of managers) if (mid !== id) m.set = m.set.difference(changes.removed);
  const out = assemble(live, config, merged, managers, subresource);
  const hadLastApplied = !subresource && live?.metadata?.annotations?.[LAST_APPLIED] !== undefined;
  return req.manager === KUBECTL && hadLastApplied ? syncLastApplied(out, config) : out;
}

/**
 * Records a non-apply write (create, update or patch) by `manager`: the fields it added or changed
 * become its own and leave every other manager. Returns the `managedFields` to store, undefined
 * when the object is not tracked.
 */
export function update(
  live: KubeObject,
  next: KubeObject,
  requested: ManagedFieldsEntry[] | undefined,
  req: Omit<ApplyRequest, 'force' | 'statusIsSubresource'>,
): ManagedFieldsEntry[] | undefined {
  const managers = startingManagers(live, requested);
  if (managers.size === 0) return undefined;
  const { schema, subresource } = req;
  const changes = compare(ownable(live, subresource), ownable(next, subresource), schema);
  const changed = changes.modified.union(changes.added);
  if (changed.isEmpty() && changes.removed.isEmpty()) return encodeManagedFields(managers);
  for (const m of managers.values()) m.set = m.set.difference(changed).difference(changes.removed);
  const id = managerId(req.manager, 'Update', subresource, req.apiVersion);
  const prev = managers.get(id);
  managers.set(id, {
    manager: req.manager,
    operation: 'Update',
    apiVersion: req.apiVersion,
    subresource,
    time: req.now,
    set: (prev?.set ?? new FieldSet()).union(changed),
  });
  capUpdateManagers(managers);
  return encodeManagedFields(managers);
}

function assemble(
  live: KubeObject | undefined,
  config: KubeObject,
  merged: Record<string, unknown>,
  managers: Managers,
  subresource: string,
): KubeObject {
  const base = (live ?? { apiVersion: config.apiVersion, kind: config.kind, metadata: {} }) as KubeObject &
    Record<string, unknown>;
  const out: KubeObject & Record<string, unknown> = { ...base };
  if (subresource === 'status') {
    if (merged.status === undefined) delete out.status;
    else out.status = merged.status;
  } else {
    for (const k of Object.keys(out)) if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata') delete out[k];
    const { metadata, ...rest } = merged;
    Object.assign(out, rest);
    const liveMeta = (base.metadata ?? {}) as Record<string, unknown>;
    const serverMeta = Object.fromEntries(
      SERVER_META.filter((k) => liveMeta[k] !== undefined).map((k) => [k, liveMeta[k]]),
    );
    out.metadata = { ...serverMeta, ...((metadata as object) ?? {}) };
    if (!live) {
      if (config.metadata?.name) out.metadata.name = config.metadata.name;
      if (config.metadata?.namespace) out.metadata.namespace = config.metadata.namespace;
    }
  }
  out.metadata = { ...out.metadata, managedFields: encodeManagedFields(managers) };
  return out;
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
  return out;
}

function describeManager(m: ManagerEntry): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += m.time ? ` using ${m.apiVersion} at ${m.time}` : ` using ${m.apiVersion}`;
  return s;
}

/** 409 as kube-apiserver's NewApplyConflict: one cause per field, reason FieldManagerConflict. */
export function newApplyConflict(conflicts: readonly ApplyConflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const k = describeManager(c.manager);
      byManager.set(k, [...(byManager.get(k) ?? []), pathString(c.path)]);
    }
    const lines: string[] = [];
    for (const k of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${k}:`);
      for (const p of byManager.get(k)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError('Conflict', message, { causes }, 409);
}
