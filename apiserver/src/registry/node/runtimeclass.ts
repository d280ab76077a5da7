// node.k8s.io/v1 RuntimeClass (pkg/registry/node/runtimeclass/strategy.go): cluster-scoped, no
// status, no defaults. A PUT of a missing class creates it, and a PUT must name the resourceVersion
// it replaces.
import type { RuntimeClass } from '@mkube/shared/api';
import { decodeResourceList } from '../core/resourcenames.js';
import type { RESTStrategy } from '../strategy.js';
import { validateRuntimeClass, validateRuntimeClassUpdate } from './validation.js';

/** The decoder's part: an unparsable quantity fails the request, the rest are canonical. */
function decodeOverhead(rc: RuntimeClass): void {
  const podFixed = decodeResourceList('RuntimeClass', rc.overhead?.podFixed);
  if (podFixed && rc.overhead) rc.overhead.podFixed = podFixed;
}

export const runtimeClassStrategy: RESTStrategy<RuntimeClass> = {
  prepareForCreate: decodeOverhead,
  prepareForUpdate: decodeOverhead,
  validate: validateRuntimeClass,
  validateUpdate: validateRuntimeClassUpdate,
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: false,
};
