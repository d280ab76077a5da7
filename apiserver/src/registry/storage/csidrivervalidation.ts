// CSIDriver validation (pkg/apis/storage/validation ValidateCSIDriver/Update), with upstream's field
// paths and messages — `spec.attachedRequired` included, a typo upstream has kept since 1.14. The
// name is a DNS subdomain, which the generic registry checks.
import type { CSIDriver, CSIDriverSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors, goStringSlice } from '@mkube/shared/apierrors';
import { semanticEqual } from '../../util/json.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';

/** sets.NewString(...).List(): sorted. */
const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
/** Upstream lists these in declaration order, not sorted. */
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const MIN_TOKEN_SECONDS = 10 * 60;
const MAX_TOKEN_SECONDS = 2 ** 32;
const MIN_ALLOCATABLE_UPDATE_PERIOD = 10;

const unset = (v: unknown) => v === undefined || v === null;

function validateTokenRequests(spec: CSIDriverSpec): FieldError[] {
  const errs: FieldError[] = [];
  const audiences = new Set<string>();
  (spec.tokenRequests ?? []).forEach((tr, i) => {
    const at = `spec.tokenRequests[${i}]`;
    const audience = tr?.audience ?? '';
    if (audiences.has(audience)) {
      errs.push(fieldErrors.duplicate(`${at}.audience`, audience));
      return;
    }
    audiences.add(audience);
    const secs = tr?.expirationSeconds;
    if (unset(secs)) return;
    if (secs! < MIN_TOKEN_SECONDS) {
      errs.push(
        fieldErrors.invalid(`${at}.expirationSeconds`, secs, 'may not specify a duration less than 10 minutes'),
      );
    }
    if (secs! > MAX_TOKEN_SECONDS) {
      errs.push(
        fieldErrors.invalid(`${at}.expirationSeconds`, secs, 'may not specify a duration larger than 2^32 seconds'),
      );
    }
  });
  return errs;
}

/** validateCSIDriverSpec: the defaulted booleans must be there, the enums known. */
export function validateCSIDriverSpec(spec: CSIDriverSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (unset(spec.attachRequired)) errs.push(fieldErrors.required('spec.attachedRequired', ''));
  if (unset(spec.podInfoOnMount)) errs.push(fieldErrors.required('spec.podInfoOnMount', ''));
  if (unset(spec.storageCapacity)) errs.push(fieldErrors.required('spec.storageCapacity', ''));
  if (!unset(spec.fsGroupPolicy) && !FS_GROUP_POLICIES.includes(spec.fsGroupPolicy!)) {
    errs.push(fieldErrors.notSupported('spec.fsGroupPolicy', spec.fsGroupPolicy, FS_GROUP_POLICIES));
  }
  errs.push(...validateTokenRequests(spec));
  for (const mode of spec.volumeLifecycleModes ?? []) {
    if (!LIFECYCLE_MODES.includes(mode)) {
      errs.push(fieldErrors.notSupported('spec.volumeLifecycleModes', mode, LIFECYCLE_MODES));
    }
  }
  // Required while SELinuxMountReadWriteOncePod is on (beta, on by default since 1.28).
  if (unset(spec.seLinuxMount)) errs.push(fieldErrors.required('spec.seLinuxMount', ''));
  const period = spec.nodeAllocatableUpdatePeriodSeconds;
  if (!unset(period) && period! < MIN_ALLOCATABLE_UPDATE_PERIOD) {
    errs.push(
      fieldErrors.invalid(
        'spec.nodeAllocatableUpdatePeriodSeconds',
        period,
        'must be greater than or equal to 10 seconds',
      ),
    );
  }
  return errs;
}

export function validateCSIDriver(d: CSIDriver): FieldError[] {
  return validateCSIDriverSpec(d.spec ?? {});
}

/**
 * ValidateCSIDriverUpdate: only attachRequired and volumeLifecycleModes are fixed; podInfoOnMount,
 * storageCapacity, fsGroupPolicy, tokenRequests, requiresRepublish and seLinuxMount may change.
 */
export function validateCSIDriverUpdate(d: CSIDriver, old: CSIDriver): FieldError[] {
  const spec = d.spec ?? {};
  const was = old.spec ?? {};
  const errs = validateCSIDriverSpec(spec);
  if ((spec.attachRequired ?? null) !== (was.attachRequired ?? null)) {
    errs.push(fieldErrors.invalid('spec.attachedRequired', spec.attachRequired ?? null, FIELD_IMMUTABLE_ERROR_MSG));
  }
  if (!semanticEqual(spec.volumeLifecycleModes, was.volumeLifecycleModes)) {
    errs.push(
      fieldErrors.invalid(
        'spec.volumeLifecycleModes',
        goStringSlice(spec.volumeLifecycleModes ?? [], 'storage.VolumeLifecycleMode'),
        FIELD_IMMUTABLE_ERROR_MSG,
      ),
    );
  }
  return errs;
}
