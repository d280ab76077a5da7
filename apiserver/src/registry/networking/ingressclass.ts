// networking.k8s.io/v1 IngressClass (pkg/registry/networking/ingressclass/strategy.go):
// cluster-scoped, no status; the controller is fixed at creation and the generation moves with the spec.
import type { IngressClass } from '@mkube/shared/api';
import { semanticEqual } from '../../util/json.js';
import type { RESTStrategy } from '../strategy.js';
import { validateIngressClass, validateIngressClassUpdate } from './ingressclassvalidation.js';

/** SetDefaults_IngressClass: a parameters reference without a scope is cluster-scoped. */
export function defaultIngressClass(ic: IngressClass): void {
  ic.spec ??= {};
  if (ic.spec.parameters) ic.spec.parameters.scope ??= 'Cluster';
}

export const ingressClassStrategy: RESTStrategy<IngressClass> = {
  prepareForCreate: (ic) => defaultIngressClass(ic),
  prepareForUpdate: (ic) => defaultIngressClass(ic),
  validate: (ic) => validateIngressClass(ic),
  validateUpdate: (ic, old) => validateIngressClassUpdate(ic, old),
  bumpsGeneration: (ic, old) => !semanticEqual(ic.spec, old.spec),
};
