// Which StorageClass is the cluster's default (storagehelpers.IsDefaultAnnotation, GetDefaultClass),
// as both the DefaultStorageClass admission plugin and the PV controller pick it for a claim that
// names none.
import {
  BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION,
  IS_DEFAULT_STORAGE_CLASS_ANNOTATION,
  newestFirst,
  type StorageClass,
} from '../api/index.js';

/** IsDefaultAnnotation: exactly "true", in either spelling. */
export function isDefaultStorageClass(sc: Pick<StorageClass, 'metadata'>): boolean {
  const a = sc.metadata?.annotations;
  return (
    a?.[IS_DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true' || a?.[BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true'
  );
}

/** Should several be marked, the newest (by creationTimestamp) wins, then the first by name. */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  return classes.filter(isDefaultStorageClass).sort(newestFirst)[0];
}
