// `metadata.managedFields` decoded into one field set per manager and back (k8s.io/apiserver
// fieldmanager/internal managedfields.go). A manager is its name, operation and subresource, and
// for updates its API version too: one Apply entry per applier, one Update entry per version.
import type { ManagedFieldsEntry } from '@mkube/shared/api';
import { FieldSet } from './fieldpath.js';

export interface ManagerEntry {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource: string;
  time?: string;
  set: FieldSet;
}

export type Managers = Map<string, ManagerEntry>;

export function managerId(manager: string, operation: 'Apply' | 'Update', subresource: string, apiVersion: string) {
  return JSON.stringify([manager, operation, subresource, operation === 'Update' ? apiVersion : '']);
}

/** Throws on entries it cannot read (the caller then falls back as upstream does). */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): Managers {
  const out: Managers = new Map();
  for (const e of entries ?? []) {
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error(`unknown operation ${e.operation}`);
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1')
      throw new Error(`unknown fieldsType ${e.fieldsType}`);
    const entry: ManagerEntry = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource ?? '',
      ...(e.time ? { time: e.time } : {}),
      set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    const id = managerId(entry.manager, entry.operation, entry.subresource, entry.apiVersion);
    if (out.has(id)) throw new Error(`duplicate entry for manager ${JSON.stringify(entry.manager)}`);
    out.set(id, entry);
  }
  return out;
}

/** Entries in upstream's order: Apply before Update, then oldest first, then by name. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  return [...managers.values()]
    .filter((m) => !m.set.isEmpty())
    .sort(
      (a, b) =>
        (a.operation === b.operation ? 0 : a.operation === 'Apply' ? -1 : 1) ||
        (a.time ?? '').localeCompare(b.time ?? '') ||
        a.manager.localeCompare(b.manager) ||
        a.apiVersion.localeCompare(b.apiVersion),
    )
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: m.set.toFieldsV1(),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

/** `managedFields: []` or `[{}]` in a request clears them (fieldmanager's isResetManagedFields). */
export function isReset(entries: readonly ManagedFieldsEntry[] | undefined): boolean {
  if (!entries) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && Object.keys(entries[0] ?? {}).length === 0;
}

export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = 'ancient-changes';

/**
 * More than ten Update entries: the oldest are merged, per API version, into one "ancient-changes"
 * entry until ten remain (CapManagersManager), so that many writers cannot grow an object without end.
 */
export function capUpdateManagers(managers: Managers): void {
  const updaters = [...managers]
    .filter(([, m]) => m.operation === 'Update')
    .sort(([ia, a], [ib, b]) => (a.time ?? '').localeCompare(b.time ?? '') || ia.localeCompare(ib));
  let excess = updaters.length - MAX_UPDATE_MANAGERS;
  const firstOfVersion = new Map<string, string>();
  for (const [id, m] of updaters) {
    if (excess <= 0) break;
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    const bucketId = managerId(ANCIENT_CHANGES, 'Update', '', m.apiVersion);
    let set = managers.get(first)!.set.union(m.set);
    const bucket = first === bucketId ? undefined : managers.get(bucketId);
    if (bucket) set = set.union(bucket.set);
    managers.delete(first);
    managers.delete(id);
    managers.set(bucketId, {
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: m.apiVersion,
      subresource: '',
      ...(m.time ? { time: m.time } : {}),
      set,
    });
    firstOfVersion.set(m.apiVersion, bucketId);
    excess--;
  }
}
