// scheduling.k8s.io/v1 PriorityClass (pkg/registry/scheduling/priorityclass and
// pkg/apis/scheduling/validation): a name for a pod priority. Only the system classes may use the
// `system-` prefix or go above the user ceiling; value and preemptionPolicy are fixed at creation,
// since pods already admitted carry copies of them. The system classes cannot be deleted one by one
// (upstream's REST.Delete; its DeleteCollection does not ask, and neither does mkube's).
import type { PriorityClass } from '@mkube/shared/api';
import { type FieldError, fieldErrors, newForbidden } from '@mkube/shared/apierrors';
import { validatePreemptionPolicy } from '../../validation/core.js';
import { validateImmutableField } from '../../validation/objectmeta.js';
import type { RESTStrategy } from '../strategy.js';
import {
  HIGHEST_USER_DEFINABLE_PRIORITY,
  isSystemPriorityClassName,
  SYSTEM_PRIORITY_CLASS_PREFIX,
  unknownSystemPriorityClass,
} from './system.js';

const GR = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

/** SetDefaults_PriorityClass, and `value` as Go decodes a missing int32. */
function setDefaults(pc: PriorityClass): void {
  pc.value ??= 0;
  pc.preemptionPolicy ??= 'PreemptLowerPriority';
}

/** ValidatePriorityClass (metadata is the generic registry's). */
export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata.name ?? '';
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = unknownSystemPriorityClass(name, pc.value, !!pc.globalDefault);
    if (why) {
      errs.push(
        fieldErrors.forbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`,
        ),
      );
    }
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(
      fieldErrors.forbidden(
        'value',
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    );
  }
  if (pc.preemptionPolicy !== undefined)
    errs.push(...validatePreemptionPolicy(pc.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}

/** ValidatePriorityClassUpdate: the name is checked with the metadata; value and preemptionPolicy stay. */
export function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  if (pc.value !== old.value) errs.push(fieldErrors.forbidden('value', 'may not be changed in an update.'));
  errs.push(...validateImmutableField(pc.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}

export const priorityClassStrategy: RESTStrategy<PriorityClass> = {
  prepareForCreate: setDefaults,
  prepareForUpdate: (pc) => setDefaults(pc),
  validate: validatePriorityClass,
  validateUpdate: validatePriorityClassUpdate,
  // Generation 1 from creation on, never bumped: nothing observes a class's generation.
  bumpsGeneration: () => false,
  refuseDelete: (name) =>
    isSystemPriorityClassName(name)
      ? newForbidden(GR, name, 'this is a system priority class and cannot be deleted')
      : undefined,
};
