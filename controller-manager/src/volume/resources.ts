// The storage API resources the volume controllers read and write.
import type { ResourceRef } from '@mkube/shared/client';

export const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' } as const satisfies ResourceRef;
export const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' } as const satisfies ResourceRef;
export const STORAGE_CLASSES = {
  group: 'storage.k8s.io',
  version: 'v1',
  resource: 'storageclasses',
} as const satisfies ResourceRef;
