// Which StorageClass is the cluster's default (storagehelpers.IsDefaultAnnotation, GetDefaultClass),
// as both the DefaultStorageClass admission plugin and the PV controller pick it for a claim that
// names none.
import {
  BETA_IS_DEFAULT_STORAGE_CLASS_ANNOTATION,
  IS_DEFAULT_STORAGE_CLASS_ANNOTATION,
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
  const time = (sc: StorageClass) => Date.parse(sc.metadata?.creationTimestamp ?? '') || 0;
  const defaults = classes.filter(isDefaultStorageClass);
  defaults.sort((a, b) => time(b) - time(a) || ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  return defaults[0];
}
