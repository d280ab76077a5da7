// Which StorageClass is the cluster's default (k8s.io/component-helpers storageutil and
// pkg/volume/util GetDefaultClass): the one annotated is-default-class=true (either spelling).
import {
  BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION,
  IS_DEFAULT_STORAGE_CLASS_ANNOTATION,
  type StorageClass,
} from '@mkube/shared/api';
import type { StorageClassLister } from './lister.js';

/** IsDefaultAnnotation: exactly "true". */
export function isDefaultStorageClass(sc: Pick<StorageClass, 'metadata'>): boolean {
  const a = sc.metadata?.annotations;
  return (
    a?.[IS_DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true' || a?.[BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true'
  );
}

/** Should several be marked, the newest (by creationTimestamp) wins, then the first by name. */
export async function getDefaultStorageClass(lister: StorageClassLister): Promise<StorageClass | undefined> {
  const time = (sc: StorageClass) => Date.parse(sc.metadata.creationTimestamp ?? '') || 0;
  const defaults = (await lister.list()).filter(isDefaultStorageClass);
  defaults.sort((a, b) => time(b) - time(a) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  return defaults[0];
}
