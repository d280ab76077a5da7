// NodeRestriction for PersistentVolumeClaims (admitPVCStatus): a kubelet may only update a claim's
// status, and there only what volume expansion reports — capacity and conditions, and with
// RecoverVolumeExpansionFailure (beta, on by default since 1.32; mkube has no gate for it) the
// allocated resources and their statuses. Upstream runs this in its mutating phase, on the object as
// the node sent it, before the status strategy copies spec and metadata back from the stored one.
import { isDeepStrictEqual } from 'node:util';
import type { PersistentVolumeClaim } from '@mkube/shared/api';
import { type GroupResource, newForbidden } from '@mkube/shared/apierrors';
import type { AdmissionAttributes } from '../types.js';

/** Semantic equality's view: an empty list or map is the same as none. */
function pruned(x: unknown): unknown {
  if (Array.isArray(x)) return x.length ? x.map(pruned) : undefined;
  if (typeof x !== 'object' || x === null) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    const p = pruned(v);
    if (p !== undefined) out[k] = p;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The claim as compared: what a node may change (and resourceVersion, managedFields) taken out. */
function comparable(pvc: PersistentVolumeClaim | undefined): unknown {
  const c = structuredClone(pvc ?? { metadata: {} }) as PersistentVolumeClaim;
  delete c.metadata.resourceVersion;
  delete c.metadata.managedFields;
  for (const f of ['capacity', 'conditions', 'allocatedResources', 'allocatedResourceStatuses'] as const) {
    delete c.status?.[f];
  }
  return pruned(c);
}

/**
 * What changed, one line per leaf path (`-` stored, `+` sent). Upstream prints go-cmp's Diff of the
 * internal structs, which Go alone renders; this names the same fields.
 */
export function describeDiff(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => describeDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  const out: string[] = [];
  if (a !== undefined) out.push(`- ${path}: ${JSON.stringify(a)}`);
  if (b !== undefined) out.push(`+ ${path}: ${JSON.stringify(b)}`);
  return out;
}

export function admitPVC(a: AdmissionAttributes, node: string, gr: GroupResource): void {
  if (a.subresource !== 'status') throw newForbidden(gr, a.generatedFrom ?? a.name, 'may only update PVC status');
  if (a.operation !== 'UPDATE') throw newForbidden(gr, a.name, `unexpected operation ${JSON.stringify(a.operation)}`);
  const old = comparable(a.oldObject as PersistentVolumeClaim | undefined);
  const next = comparable(a.object as PersistentVolumeClaim | undefined);
  if (isDeepStrictEqual(old, next)) return;
  // Upstream's text says status.quantity where it means status.capacity.
  throw newForbidden(
    gr,
    a.name,
    `node ${JSON.stringify(node)} is not allowed to update fields other than status.quantity and status.conditions: ${describeDiff(old, next).join('\n')}`,
  );
}
