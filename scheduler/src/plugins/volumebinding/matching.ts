// Which PV a claim may take on a node (component-helpers storage/volume FindMatchingVolume and
// CheckNodeAffinity, v1helper.MatchTopologySelectorTerms): the smallest Available volume of the
// claim's class, size, mode, selector and access modes whose node affinity the node satisfies; a
// volume already pre-bound to the claim wins outright.
import type {
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeMode,
  TopologySelectorTerm,
} from '@mkube/shared/api';
import { Quantity } from '@mkube/shared/quantity';
import { LabelsSelector, labelSelectorFromObject, newLabelRequirement } from '@mkube/shared/selectors';
import { termMatches } from '../nodeselector.js';
import { claimClass, isVolumeBoundToClaim, volumeClass } from './claims.js';

const ZERO = new Quantity(0n);

function quantityOf(v: string | undefined): Quantity {
  if (v === undefined) return ZERO;
  try {
    return Quantity.parse(v);
  } catch {
    return ZERO;
  }
}

export const requestedStorage = (pvc: PersistentVolumeClaim): Quantity =>
  quantityOf(pvc.spec?.resources?.requests?.storage);
export const volumeCapacity = (pv: PersistentVolume): Quantity => quantityOf(pv.spec?.capacity?.storage);

/**
 * CheckNodeAffinity: a PV's required node affinity against the node's labels only (upstream builds
 * a Node with nothing but the labels, so metadata.name fields never match).
 */
export function volumeNodeAffinityMatches(pv: PersistentVolume, labels: Readonly<Record<string, string>>): boolean {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return true;
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: '', labels: { ...labels } } };
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, node));
}

/** MatchTopologySelectorTerms: no terms match everything; an empty term matches nothing. */
export function topologyMatches(
  terms: readonly TopologySelectorTerm[] | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => {
    const exprs = t.matchLabelExpressions ?? [];
    if (exprs.length === 0) return false;
    try {
      return LabelsSelector.of(exprs.map((e) => newLabelRequirement(e.key, 'in', e.values))).matches(labels);
    } catch {
      return false;
    }
  });
}

const modeOf = (m: PersistentVolumeMode | undefined): PersistentVolumeMode => m ?? 'Filesystem';

/** CheckAccessModes: every mode the claim asks for, the volume offers. */
function accessModesFit(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const offered = new Set(pv.spec?.accessModes ?? []);
  return (pvc.spec?.accessModes ?? []).every((m) => offered.has(m));
}

/**
 * FindMatchingVolume on the scheduler's path (a node given, delayed binding): undefined when no
 * volume fits. `excluded` holds the volumes already chosen for the pod's other claims.
 */
export function findMatchingVolume(
  pvc: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  nodeLabels: Readonly<Record<string, string>>,
  excluded: ReadonlySet<string>,
): PersistentVolume | undefined {
  const requested = requestedStorage(pvc);
  const wantedClass = claimClass(pvc);
  // A selector that does not parse is upstream's error; here it simply matches nothing.
  let selector: LabelsSelector | undefined;
  if (pvc.spec?.selector) {
    try {
      selector = labelSelectorFromObject(pvc.spec.selector);
    } catch {
      return undefined;
    }
  }
  let smallest: PersistentVolume | undefined;
  let smallestQty = ZERO;
  for (const pv of volumes) {
    if (excluded.has(pv.metadata?.name ?? '')) continue;
    if (pv.spec?.claimRef && !isVolumeBoundToClaim(pv, pvc)) continue;
    const qty = volumeCapacity(pv);
    if (qty.compare(requested) < 0) continue;
    if (modeOf(pvc.spec?.volumeMode) !== modeOf(pv.spec?.volumeMode)) continue;
    if (pv.metadata?.deletionTimestamp) continue;
    const affinityOk = volumeNodeAffinityMatches(pv, nodeLabels);
    // A volume pre-bound to this claim is the answer, or — off its node — there is none.
    if (isVolumeBoundToClaim(pv, pvc)) return affinityOk ? pv : undefined;
    if (pv.status?.phase !== 'Available') continue;
    if (selector && !selector.matches(pv.metadata?.labels ?? {})) continue;
    if (volumeClass(pv) !== wantedClass) continue;
    if (!affinityOk) continue;
    if (!accessModesFit(pvc, pv)) continue;
    if (!smallest || smallestQty.compare(qty) > 0) {
      smallest = pv;
      smallestQty = qty;
    }
  }
  return smallest;
}
