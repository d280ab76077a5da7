// findBestMatchForClaim (persistentvolume/index.go): volumes are grouped by their set of access
// modes, and the sets holding every mode the claim asks for are searched fewest modes first with
// FindMatchingVolume, so a claim takes the volume that wastes the fewest modes.
import type { PersistentVolume, PersistentVolumeAccessMode, PersistentVolumeClaim } from '@mkube/shared/api';
import { findMatchingVolume } from '@mkube/shared/volume';

/** GetAccessModesAsString's order: the key of a volume's access-mode set. */
const MODE_ORDER: readonly PersistentVolumeAccessMode[] = [
  'ReadWriteOnce',
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOncePod',
];
const modesKey = (modes: readonly PersistentVolumeAccessMode[] = []): string =>
  MODE_ORDER.filter((m) => modes.includes(m)).join(',');

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
    const v = findMatchingVolume(claim, byModes.get(k) ?? [], { delayBinding });
    if (v) return v;
  }
  return undefined;
}
