// POST pods/<name>/binding and POST bindings: the core/v1 Binding a request carries, decoded and
// checked as any create's body and options are (dryRun, fieldManager, fieldValidation), before
// registry/core/binding.ts admits it and places the pod.
import type { Binding } from '@mkube/shared/api';
import { checkFieldTypes, unknownFields } from '../protobuf/index.js';
import type { ResourceDef } from '../registry/catalog.js';
import type { RequestInfo } from '../request/requestinfo.js';
import { decodeObjectBody } from './body.js';
import { checkFieldManager, checkFieldValidation, fieldValidationWarnings, isDryRun } from './options.js';

/** Whether the request creates a Binding: the pods/binding subresource or the legacy collection. */
export function isBindingRequest(def: ResourceDef, info: RequestInfo): boolean {
  if (def.group !== '') return false;
  return def.resource === 'bindings' || (def.resource === 'pods' && info.subresource === 'binding');
}

export interface DecodedBinding {
  readonly binding: Binding;
  readonly dryRun: boolean;
  /** `Warning` header values for unknown fields (fieldValidation=Warn, the default). */
  readonly warnings: readonly string[];
}

export function decodeBinding(
  body: Buffer | undefined,
  contentType: string | undefined,
  def: ResourceDef,
  query: URLSearchParams,
): DecodedBinding {
  const dryRun = isDryRun(query);
  checkFieldManager(query, 'CreateOptions');
  const mode = checkFieldValidation(query);
  const obj = decodeObjectBody(body, contentType, def, 'Binding', 'v1');
  checkFieldTypes(obj, 'v1', 'Binding');
  const warnings = fieldValidationWarnings(mode, unknownFields(obj, 'v1', 'Binding'), 'v1', 'Binding');
  const binding = obj as Binding;
  // A body without a target is still a Binding: validation names what it lacks.
  binding.target ??= {};
  return { binding, dryRun, warnings };
}
