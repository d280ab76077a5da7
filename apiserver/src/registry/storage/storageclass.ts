// storage.k8s.io/v1 StorageClass (pkg/registry/storage/storageclass/strategy.go): no status;
// parameters, provisioner, reclaimPolicy and volumeBindingMode are fixed at creation.
import type { StorageClass } from '@mkube/shared/api';
import type { RESTStrategy } from '../strategy.js';
import { validateStorageClass, validateStorageClassUpdate } from './validation.js';

/** SetDefaults_StorageClass: Delete, Immediate. */
export function defaultStorageClass(sc: StorageClass): void {
  sc.reclaimPolicy ??= 'Delete';
  sc.volumeBindingMode ??= 'Immediate';
}

export const storageClassStrategy: RESTStrategy<StorageClass> = {
  prepareForCreate: defaultStorageClass,
  prepareForUpdate: defaultStorageClass,
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
};
