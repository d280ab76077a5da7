// CSINode validation (pkg/apis/storage/validation ValidateCSINode/Update), with upstream's field
// paths and messages. The name is a node name (a DNS subdomain), which the generic registry checks.
import type { CSINode, CSINodeDriver } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { isQualifiedName } from '@mkube/shared/selectors';
import { semanticEqual } from '../../util/json.js';
import { FIELD_IMMUTABLE_ERROR_MSG, validateNonnegativeField } from '../../validation/objectmeta.js';
import { validateCSIDriverName } from '../core/persistentvolumesource.js';

/** The CSI spec's node_id limit; 256 only for objects that already held a longer ID (1.21's migration). */
const NODE_ID_MAX_LENGTH = 192;
const NODE_ID_LONGER_MAX_LENGTH = 256;

export interface CSINodeValidationOptions {
  readonly allowLongNodeID: boolean;
}

function validateNodeID(nodeID: string, at: string, opts: CSINodeValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (!nodeID) errs.push(fieldErrors.required(at, ''));
  const max = opts.allowLongNodeID ? NODE_ID_LONGER_MAX_LENGTH : NODE_ID_MAX_LENGTH;
  if (nodeID.length > max) errs.push(fieldErrors.invalid(at, nodeID, `must be ${max} characters or less`));
  return errs;
}

/** validateCSINodeDriver; topology key errors name the driver's own path, as upstream's do. */
function validateDriver(d: CSINodeDriver, at: string, seen: Set<string>, opts: CSINodeValidationOptions): FieldError[] {
  const name = d?.name ?? '';
  const errs = [
    ...validateCSIDriverName(name, `${at}.name`),
    ...validateNodeID(d?.nodeID ?? '', `${at}.nodeID`, opts),
    ...validateNonnegativeField(d?.allocatable?.count ?? undefined, `${at}.allocatable.count`),
  ];
  if (seen.has(name)) errs.push(fieldErrors.duplicate(`${at}.name`, name));
  seen.add(name);
  const keys = new Set<string>();
  for (const key of d?.topologyKeys ?? []) {
    if (!key) errs.push(fieldErrors.required(at, ''));
    if (keys.has(key)) errs.push(fieldErrors.duplicate(at, key));
    keys.add(key);
    for (const m of isQualifiedName(key)) errs.push(fieldErrors.invalid(at, key, m));
  }
  return errs;
}

export function validateCSINode(n: CSINode, opts: CSINodeValidationOptions): FieldError[] {
  const seen = new Set<string>();
  return (n.spec?.drivers ?? []).flatMap((d, i) => validateDriver(d, `spec.drivers[${i}]`, seen, opts));
}

/** An ID longer than the normal limit, which lets an update keep one (CSINodeLongerID). */
export const hasLongNodeID = (n: CSINode): boolean =>
  (n.spec?.drivers ?? []).some((d) => (d?.nodeID ?? '').length > NODE_ID_MAX_LENGTH);

const goString = (s: string | undefined) => JSON.stringify(s ?? '');

/** %#v of a storage.CSINodeDriver, a pointer printed as the address Go would show. */
function goDriver(d: CSINodeDriver): GoSyntax {
  const keys = d.topologyKeys?.length
    ? `[]string{${d.topologyKeys.map((k) => JSON.stringify(k)).join(', ')}}`
    : Array.isArray(d.topologyKeys)
      ? '[]string{}'
      : '[]string(nil)';
  const allocatable = d.allocatable
    ? '(*storage.VolumeNodeResources)(0xc000000000)'
    : '(*storage.VolumeNodeResources)(nil)';
  return new GoSyntax(
    `storage.CSINodeDriver{Name:${goString(d.name)}, NodeID:${goString(d.nodeID)}, TopologyKeys:${keys}, Allocatable:${allocatable}}`,
  );
}

/**
 * ValidateCSINodeUpdate: drivers may come and go, but one already registered (matched by name) may
 * not change at all — MutableCSINodeAllocatableCount, which would free allocatable, is off in 1.33.
 */
export function validateCSINodeUpdate(n: CSINode, old: CSINode, opts: CSINodeValidationOptions): FieldError[] {
  const errs = validateCSINode(n, opts);
  for (const was of old.spec?.drivers ?? []) {
    for (const d of n.spec?.drivers ?? []) {
      if (d?.name === was?.name && !semanticEqual(d, was)) {
        errs.push(fieldErrors.invalid('spec.drivers', goDriver(d), FIELD_IMMUTABLE_ERROR_MSG));
      }
    }
  }
  return errs;
}
