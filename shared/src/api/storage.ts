// storage.k8s.io/v1 (k8s.io/api/storage/v1/types.go): StorageClass, what a claim's
// storageClassName names: who provisions its volumes, with what parameters, and when.

import type { KubeObject } from './meta.js';
import type { PersistentVolumeReclaimPolicy } from './persistentvolume.js';
import type { TopologySelectorTerm } from './storagetopology.js';

export type VolumeBindingMode = 'Immediate' | 'WaitForFirstConsumer';

/** The annotation that makes a class the default for claims that name none (DefaultStorageClass admission). */
export const IS_DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** The beta spelling upstream still honours. */
export const BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: PersistentVolumeReclaimPolicy;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: VolumeBindingMode;
  allowedTopologies?: TopologySelectorTerm[];
}
