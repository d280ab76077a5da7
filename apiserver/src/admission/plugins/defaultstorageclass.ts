// DefaultStorageClass admission (plugin/pkg/admission/storage/storageclass/setdefault): a new claim
// that names no class (neither spec.storageClassName, even "", nor the beta annotation) gets the
// default one. Should several classes be marked default, the newest wins, then the first by name
// (GetDefaultClass); with none the claim is left as it is.
import type { PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import { claimHasClass, defaultStorageClass } from '@mkube/shared/volume';
import type { ClusterLister } from '../../registry/lister.js';
import type { AdmissionPlugin } from '../types.js';

export const DEFAULT_STORAGE_CLASS_PLUGIN = 'DefaultStorageClass';

export function defaultStorageClassAdmission(lister: ClusterLister<StorageClass>): AdmissionPlugin {
  return {
    name: DEFAULT_STORAGE_CLASS_PLUGIN,
    handles: (op) => op === 'CREATE',
    async admit(a) {
      if (a.group !== '' || a.resource !== 'persistentvolumeclaims' || a.subresource) return;
      const pvc = a.object as PersistentVolumeClaim | undefined;
      if (!pvc || claimHasClass(pvc)) return;
      let def: StorageClass | undefined;
      try {
        def = defaultStorageClass(await lister.list());
      } catch (e) {
        throw newForbidden({ group: a.group, resource: a.resource }, a.generatedFrom ?? a.name, (e as Error).message);
      }
      if (!def) return;
      pvc.spec ??= {};
      pvc.spec.storageClassName = def.metadata.name;
    },
  };
}
