// networking.k8s.io/v1 Ingress (pkg/registry/networking/ingress/strategy.go): namespaced; users
// write the spec, the ingress controller reports its load balancer through /status, and neither
// endpoint can change the other's part. The generation moves with the spec. v1 has no defaults
// (v1beta1 defaulted pathType; v1 requires it).
import type { Ingress } from '@mkube/shared/api';
import { semanticEqual } from '../../util/json.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { validateIngressCreate, validateIngressStatusUpdate, validateIngressUpdate } from './ingressvalidation.js';

/** IngressStatus and its loadBalancer are structs upstream: always serialized. */
function normalizeStatus(ing: Ingress): void {
  ing.status ??= {};
  ing.status.loadBalancer ??= {};
}

export const ingressStrategy: RESTStrategy<Ingress> = {
  prepareForCreate(ing) {
    ing.spec ??= {};
    ing.status = { loadBalancer: {} };
  },
  prepareForUpdate(ing, old) {
    ing.spec ??= {};
    ing.status = old.status ?? {};
    normalizeStatus(ing);
  },
  validate: (ing) => validateIngressCreate(ing),
  validateUpdate: (ing, old) => validateIngressUpdate(ing, old),
  bumpsGeneration: (ing, old) => !semanticEqual(ing.spec, old.spec),
};

export const ingressStatusStrategy: SubresourceStrategy<Ingress> = {
  prepareForUpdate(ing, old) {
    ing.spec = old.spec ?? {};
    normalizeStatus(ing);
  },
  validateUpdate: (ing, old) => validateIngressStatusUpdate(ing, old),
};
