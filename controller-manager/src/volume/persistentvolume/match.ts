// findBestMatchForClaim (persistentvolume/index.go with FindMatchingVolume of component-helpers):
// volumes are grouped by their set of access modes; the sets holding every mode the claim asks for
// are searched fewest modes first, and in each the volume pre-bound to the claim wins, otherwise
// the smallest Available one of the claim's class, volumeMode and selector that is big enough.
import type { PersistentVolume, PersistentVolumeAccessMode, PersistentVolumeClaim } from '@mkube/shared/api';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import {
  claimClass,
  claimKey,
  isVolumeBoundToClaim,
  requestedStorage,
  volumeCapacity,
  volumeClass,
  volumeModeMismatch,
} from '../helpers.js';

/** GetAccessModesAsString's order: the key of a volume's access-mode set. */
const MODE_ORDER: readonly PersistentVolumeAccessMode[] = [
  'ReadWriteOnce',
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOncePod',
];
const modesKey = (modes: readonly PersistentVolumeAccessMode[] = []): string =>
  MODE_ORDER.filter((m) => modes.includes(m)).join(',');

/** FindMatchingVolume without a node (the binder's path; the scheduler passes one). */
export function findMatchingVolume(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  delayBinding: boolean,
): PersistentVolume | undefined {
  const requested = requestedStorage(claim);
  const requestedClass = claimClass(claim);
  let selector: ReturnType<typeof labelSelectorFromObject> | undefined;
  if (claim.spec?.selector) {
    try {
      selector = labelSelectorFromObject(claim.spec.selector);
    } catch (e) {
      throw new Error(`error creating internal label selector for claim: ${claimKey(claim)}: ${(e as Error).message}`);
    }
  }
  let smallest: PersistentVolume | undefined;
  for (const v of volumes) {
    if (v.spec?.claimRef && !isVolumeBoundToClaim(v, claim)) continue;
    if (volumeCapacity(v).compare(requested) < 0) continue;
    if (volumeModeMismatch(claim, v)) continue;
    if (claim.spec?.volumeAttributesClassName || v.spec?.volumeAttributesClassName) continue;
    if (v.metadata?.deletionTimestamp) continue;
    // Pre-bound by a user, the scheduler or a provisioner: this one, whatever its phase.
    if (isVolumeBoundToClaim(v, claim)) return v;
    // The scheduler binds WaitForFirstConsumer claims to volumes that fit the node it chose.
    if (delayBinding) continue;
    if (v.status?.phase !== 'Available') continue;
    if (selector && !selector.matches(v.metadata?.labels ?? {})) continue;
    if (volumeClass(v) !== requestedClass) continue;
    if (!smallest || volumeCapacity(smallest).compare(volumeCapacity(v)) > 0) smallest = v;
  }
  return smallest;
}

/** findByClaim over every volume the binder knows. */
export function findBestMatchForClaim(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  delayBinding: boolean,
): PersistentVolume | undefined {
  const byModes = new Map<string, PersistentVolume[]>();
  for (const v of volumes) {
    const k = modesKey(v.spec?.accessModes);
    const list = byModes.get(k);
    if (list) list.push(v);
    else byModes.set(k, [v]);
  }
  const wanted = claim.spec?.accessModes ?? [];
  const candidates = [...byModes.keys()]
    .filter((k) => {
      const have = k === '' ? [] : k.split(',');
      return wanted.every((m) => have.includes(m));
    })
    .sort((a, b) => {
      const n = (k: string) => (k === '' ? 0 : k.split(',').length);
      return n(a) - n(b) || (a < b ? -1 : a > b ? 1 : 0);
    });
  for (const k of candidates) {
    const v = findMatchingVolume(claim, byModes.get(k) ?? [], delayBinding);
    if (v) return v;
  }
  return undefined;
}
