// The evaluators by group and resource (pkg/quota/v1/install): the core ones, and an object count
// evaluator made on demand for any other resource, as the admission plugin and the controller do.
import type { Evaluator } from './evaluator.js';
import { objectCountEvaluator } from './generic.js';
import { pvcEvaluator } from './persistentvolumeclaims.js';
import { podEvaluator } from './pods.js';
import { serviceEvaluator } from './services.js';

const key = (group: string, resource: string) => `${group}/${resource}`;

/** DefaultIgnoredResources: events are never quota'd. */
export const IGNORED_RESOURCES: ReadonlySet<string> = new Set([key('', 'events')]);

export class EvaluatorRegistry {
  readonly #byResource = new Map<string, Evaluator>();

  constructor(evaluators: readonly Evaluator[] = [podEvaluator, serviceEvaluator, pvcEvaluator]) {
    for (const e of evaluators) this.#byResource.set(key(e.group, e.resource), e);
  }

  /** The evaluator for a resource, an object count one if none is registered; undefined if ignored. */
  get(group: string, resource: string): Evaluator | undefined {
    const k = key(group, resource);
    if (IGNORED_RESOURCES.has(k)) return undefined;
    let e = this.#byResource.get(k);
    if (!e) {
      e = objectCountEvaluator(group, resource);
      this.#byResource.set(k, e);
    }
    return e;
  }

  list(): Evaluator[] {
    return [...this.#byResource.values()];
  }
}
