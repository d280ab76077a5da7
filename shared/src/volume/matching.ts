// FindMatchingVolume (component-helpers storage/volume pv_helpers.go), shared as upstream shares it
// by the PV controller and the scheduler: a volume pre-bound to the claim wins outright, otherwise
// the smallest Available one of the claim's class, size, volumeMode and selector. VolumeAttributesClass
// is off (1.33's default), so a volume naming one is never taken and a claim naming one is an error.
import type { PersistentVolume, PersistentVolumeAccessMode, PersistentVolumeClaim } from '../api/index.js';
import { type LabelsSelector, labelSelectorFromObject } from '../selectors/index.js';
import { requestedStorage, volumeCapacity } from './capacity.js';
import { claimClass, volumeClass } from './class.js';

/** IsVolumeBoundToClaim: the claimRef names the claim, and its UID (when set) is the claim's. */
export function isVolumeBoundToClaim(v: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const ref = v.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== c.metadata?.name || ref.namespace !== c.metadata?.namespace) return false;
  return !ref.uid || ref.uid === c.metadata?.uid;
}

/** CheckVolumeModeMismatches: an unset mode is Filesystem on both sides (an older apiserver may not default it). */
export const volumeModeMismatch = (c: PersistentVolumeClaim, v: PersistentVolume): boolean =>
  (c.spec?.volumeMode ?? 'Filesystem') !== (v.spec?.volumeMode ?? 'Filesystem');

/** CheckAccessModes: the volume offers every mode the claim asks for. */
export function checkAccessModes(c: PersistentVolumeClaim, v: PersistentVolume): boolean {
  const offered = new Set<PersistentVolumeAccessMode>(v.spec?.accessModes ?? []);
  return (c.spec?.accessModes ?? []).every((m) => offered.has(m));
}

export interface MatchOptions {
  /**
   * The PV controller's path: the claim's class waits for a consumer, so only a volume pre-bound to
   * it may be taken; the scheduler binds the rest once it has a node. Ignored with `fitsNode`.
   */
  readonly delayBinding?: boolean;
  /**
   * The scheduler's path (upstream's node argument): whether the volume's node affinity admits the
   * node being tried. Access modes then count too; the PV controller's index already grouped by them.
   */
  readonly fitsNode?: (v: PersistentVolume) => boolean;
  /** The scheduler's path: volumes already chosen for the pod's other claims. */
  readonly excluded?: ReadonlySet<string>;
}

const claimToClaimKey = (c: PersistentVolumeClaim): string =>
  `${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;

/** The volume for the claim, or undefined; throws where upstream returns an error. */
export function findMatchingVolume(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  opts: MatchOptions = {},
): PersistentVolume | undefined {
  if (claim.spec?.volumeAttributesClassName) {
    throw new Error(
      `unsupported volumeAttributesClassName is set on claim ${claimToClaimKey(claim)} when the feature-gate VolumeAttributesClass is disabled`,
    );
  }
  const { delayBinding = false, fitsNode, excluded } = opts;
  const requested = requestedStorage(claim);
  const requestedClass = claimClass(claim);
  let selector: LabelsSelector | undefined;
  if (claim.spec?.selector) {
    try {
      selector = labelSelectorFromObject(claim.spec.selector);
    } catch (e) {
      throw new Error(
        `error creating internal label selector for claim: ${claimToClaimKey(claim)}: ${(e as Error).message}`,
      );
    }
  }
  let smallest: PersistentVolume | undefined;
  let smallestQty = requested;
  for (const v of volumes) {
    if (excluded?.has(v.metadata?.name ?? '')) continue;
    if (v.spec?.claimRef && !isVolumeBoundToClaim(v, claim)) continue;
    const qty = volumeCapacity(v);
    if (qty.compare(requested) < 0) continue;
    if (volumeModeMismatch(claim, v)) continue;
    if (v.spec?.volumeAttributesClassName) continue;
    if (v.metadata?.deletionTimestamp) continue;
    const nodeAffinityValid = fitsNode ? fitsNode(v) : true;
    // Pre-bound by a user, the scheduler or a provisioner: this one whatever its phase, or — off
    // the node — none at all.
    if (isVolumeBoundToClaim(v, claim)) return nodeAffinityValid ? v : undefined;
    if (!fitsNode && delayBinding) continue;
    // A volume not yet Available is likely about to change; binding it now would only conflict.
    if (v.status?.phase !== 'Available') continue;
    if (selector && !selector.matches(v.metadata?.labels ?? {})) continue;
    if (volumeClass(v) !== requestedClass) continue;
    if (!nodeAffinityValid) continue;
    if (fitsNode && !checkAccessModes(claim, v)) continue;
    if (!smallest || smallestQty.compare(qty) > 0) {
      smallest = v;
      smallestQty = qty;
    }
  }
  return smallest;
}
