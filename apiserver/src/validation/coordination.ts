// coordination.k8s.io Lease validation (k/k pkg/apis/coordination/validation).
import type { Lease, LeaseSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';

export function validateLeaseSpec(spec: LeaseSpec | undefined, path = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec) return errs;
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds !== null && spec.leaseDurationSeconds <= 0) {
    errs.push(fieldErrors.invalid(`${path}.leaseDurationSeconds`, spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions !== null && spec.leaseTransitions < 0) {
    errs.push(
      fieldErrors.invalid(`${path}.leaseTransitions`, spec.leaseTransitions, 'must be greater than or equal to 0'),
    );
  }
  if (spec.preferredHolder && !spec.strategy) {
    errs.push(fieldErrors.forbidden(`${path}.preferredHolder`, 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

export function validateLease(lease: Lease): FieldError[] {
  return [
    ...validateObjectMeta(lease.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }),
    ...validateLeaseSpec(lease.spec),
  ];
}

export function validateLeaseUpdate(newLease: Lease, oldLease: Lease): FieldError[] {
  return [...validateObjectMetaUpdate(newLease.metadata, oldLease.metadata), ...validateLeaseSpec(newLease.spec)];
}
