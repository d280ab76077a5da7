// storage.k8s.io/v1 CSIDriver (pkg/registry/storage/csidriver/strategy.go): cluster-scoped, no
// status. The spec carries a generation that moves with every change to it, and a PUT must name the
// resourceVersion it replaces.
import type { CSIDriver } from '@mkube/shared/api';
import { semanticEqual } from '../../util/json.js';
import type { RESTStrategy } from '../strategy.js';
import { validateCSIDriver, validateCSIDriverUpdate } from './csidrivervalidation.js';

/** SetDefaults_CSIDriver (v1), with SELinuxMountReadWriteOncePod on as in 1.33. */
export function defaultCSIDriver(d: CSIDriver): void {
  d.spec ??= {};
  const s = d.spec;
  s.attachRequired ??= true;
  s.podInfoOnMount ??= false;
  s.storageCapacity ??= false;
  s.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
  if (!s.volumeLifecycleModes?.length) s.volumeLifecycleModes = ['Persistent'];
  s.requiresRepublish ??= false;
  s.seLinuxMount ??= false;
}

/**
 * nodeAllocatableUpdatePeriodSeconds belongs to MutableCSINodeAllocatableCount, alpha and off in
 * 1.33: dropped unless the stored driver already has it.
 */
function dropDisabledFields(d: CSIDriver, old: CSIDriver | undefined): void {
  if (old?.spec?.nodeAllocatableUpdatePeriodSeconds == null) delete d.spec?.nodeAllocatableUpdatePeriodSeconds;
}

export const csiDriverStrategy: RESTStrategy<CSIDriver> = {
  prepareForCreate(d) {
    defaultCSIDriver(d);
    dropDisabledFields(d, undefined);
  },
  prepareForUpdate(d, old) {
    defaultCSIDriver(d);
    dropDisabledFields(d, old);
  },
  validate: (d) => validateCSIDriver(d),
  validateUpdate: (d, old) => validateCSIDriverUpdate(d, old),
  bumpsGeneration: (d, old) => !semanticEqual(d.spec, old.spec),
  allowUnconditionalUpdate: false,
};
