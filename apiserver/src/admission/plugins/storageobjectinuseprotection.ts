// StorageObjectInUseProtection admission (plugin/pkg/admission/storage/storageobjectinuseprotection):
// every new claim and volume carries its protection finalizer from the start, so that the
// pvc-protection and pv-protection controllers decide when one in use may really go.
import { type KubeObject, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '@mkube/shared/api';
import type { AdmissionPlugin } from '../types.js';

export const STORAGE_OBJECT_IN_USE_PROTECTION_PLUGIN = 'StorageObjectInUseProtection';

const FINALIZERS: Readonly<Record<string, string>> = {
  persistentvolumeclaims: PVC_PROTECTION_FINALIZER,
  persistentvolumes: PV_PROTECTION_FINALIZER,
};

export const storageObjectInUseProtection: AdmissionPlugin = {
  name: STORAGE_OBJECT_IN_USE_PROTECTION_PLUGIN,
  handles: (op) => op === 'CREATE',
  async admit(a) {
    if (a.group !== '' || a.subresource) return;
    const finalizer = FINALIZERS[a.resource];
    const obj = a.object as KubeObject | undefined;
    if (!finalizer || !obj?.metadata) return;
    const finalizers = obj.metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) obj.metadata.finalizers = [...finalizers, finalizer];
  },
};
