// apps/v1 ControllerRevision (pkg/registry/apps/controllerrevision/strategy.go): an immutable
// snapshot a DaemonSet or StatefulSet controller keeps of its template, for rollouts and undo. Only
// metadata may change (owner references when a controller adopts or releases it).
import type { ControllerRevision } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { deepEqual, FIELD_IMMUTABLE_ERROR_MSG, validateNonnegativeField } from '../../validation/objectmeta.js';
import type { RESTStrategy } from '../strategy.js';

/** %#v of the runtime.RawExtension upstream compares: the JSON bytes it was given. */
function goRawExtension(data: unknown): GoSyntax {
  const bytes = [...Buffer.from(JSON.stringify(data ?? null))].map((b) => `0x${b.toString(16)}`);
  return new GoSyntax(`runtime.RawExtension{Raw:[]uint8{${bytes.join(', ')}}, Object:runtime.Object(nil)}`);
}

/** ValidateControllerRevision (metadata is the generic registry's). */
export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  const errs: FieldError[] = [];
  if (cr.data === undefined || cr.data === null) errs.push(fieldErrors.required('data', 'data is mandatory'));
  errs.push(...validateNonnegativeField(cr.revision ?? 0, 'revision'));
  return errs;
}

export const controllerRevisionStrategy: RESTStrategy<ControllerRevision> = {
  // Go writes the int64 revision even when zero.
  prepareForCreate(cr) {
    cr.revision ??= 0;
  },
  prepareForUpdate(cr) {
    cr.revision ??= 0;
  },
  validate: validateControllerRevision,
  validateUpdate: (cr, old) => [
    ...validateControllerRevision(cr),
    ...(deepEqual(cr.data, old.data)
      ? []
      : [fieldErrors.invalid('data', goRawExtension(cr.data), FIELD_IMMUTABLE_ERROR_MSG)]),
  ],
};
