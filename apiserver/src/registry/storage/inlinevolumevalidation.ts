// ValidatePersistentVolumeSpec with validateInlinePersistentVolumeSpec set: the PV spec a
// VolumeAttachment carries for a migrated in-line volume. No claim, capacity, affinity or class; a
// CSI source; Retain and Filesystem only. The source and access-mode rules are the PV's own.
import type { PersistentVolumeSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { validatePersistentVolumeSource } from '../core/persistentvolumesource.js';
import { validateAccessModeValues } from '../core/persistentvolumevalidation.js';

const INLINE = 'may not be specified in the context of inline volumes';
const set = (v: unknown) => v !== undefined && v !== null;

export function validateInlineVolumeSpec(spec: PersistentVolumeSpec, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (set(spec.claimRef)) errs.push(fieldErrors.forbidden(`${at}.claimRef`, INLINE));
  if (Object.keys(spec.capacity ?? {}).length) errs.push(fieldErrors.forbidden(`${at}.capacity`, INLINE));
  if (!set(spec.csi)) {
    errs.push(fieldErrors.required(`${at}.csi`, 'has to be specified in the context of inline volumes'));
  }
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) errs.push(fieldErrors.required(`${at}.accessModes`, ''));
  errs.push(...validateAccessModeValues(modes, `${at}.accessModes`));
  const reclaim = spec.persistentVolumeReclaimPolicy;
  if (reclaim && reclaim !== 'Retain') {
    errs.push(
      fieldErrors.forbidden(
        `${at}.persistentVolumeReclaimPolicy`,
        'may only be Retain in the context of inline volumes',
      ),
    );
  }
  if (set(spec.nodeAffinity)) errs.push(fieldErrors.forbidden(`${at}.nodeAffinity`, INLINE));
  errs.push(...validatePersistentVolumeSource(spec, at));
  if (spec.storageClassName) errs.push(fieldErrors.forbidden(`${at}.storageClassName`, INLINE));
  if (set(spec.volumeMode) && spec.volumeMode !== 'Filesystem') {
    errs.push(
      fieldErrors.forbidden(
        `${at}.volumeMode`,
        'may not specify volumeMode other than Filesystem in the context of inline volumes',
      ),
    );
  }
  return errs;
}
