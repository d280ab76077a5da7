// PersistentVolumeClaimResize admission (plugin/pkg/admission/storage/persistentvolume/resize): a
// claim may ask for more storage only once bound, and only when its class (the same before and after)
// says allowVolumeExpansion: true. Shrinking and other updates are left to validation.
import type { PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import { tryParseQuantity } from '@mkube/shared/quantity';
import { claimClass } from '@mkube/shared/volume';
import type { ClusterLister } from '../../registry/lister.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

export const PVC_RESIZE_PLUGIN = 'PersistentVolumeClaimResize';

const storageOf = (pvc: PersistentVolumeClaim) => tryParseQuantity(pvc.spec?.resources?.requests?.storage ?? '0');

async function allowResize(
  pvc: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
  lister: ClusterLister<StorageClass>,
): Promise<boolean> {
  const cls = claimClass(pvc);
  if (!cls || cls !== claimClass(old)) return false;
  try {
    return (await lister.get(cls))?.allowVolumeExpansion === true;
  } catch {
    return false;
  }
}

const forbidden = (a: AdmissionAttributes, why: string) =>
  newForbidden({ group: a.group, resource: a.resource }, a.name, why);

export function persistentVolumeClaimResize(lister: ClusterLister<StorageClass>): AdmissionPlugin {
  return {
    name: PVC_RESIZE_PLUGIN,
    handles: (op) => op === 'UPDATE',
    async validate(a) {
      if (a.group !== '' || a.resource !== 'persistentvolumeclaims' || a.subresource) return;
      const pvc = a.object as PersistentVolumeClaim | undefined;
      const old = a.oldObject as PersistentVolumeClaim | undefined;
      if (!pvc || !old) return;
      const newSize = storageOf(pvc);
      const oldSize = storageOf(old);
      if (!newSize || !oldSize || newSize.compare(oldSize) <= 0) return;
      if (old.status?.phase !== 'Bound') throw forbidden(a, 'Only bound persistent volume claims can be expanded');
      if (!(await allowResize(pvc, old, lister))) {
        throw forbidden(
          a,
          'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
        );
      }
    },
  };
}
