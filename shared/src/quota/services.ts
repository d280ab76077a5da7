// The services evaluator (pkg/quota/v1/evaluator/core/services.go): every Service costs `services`
// and `count/services`; a LoadBalancer one a `services.loadbalancers`; NodePort and LoadBalancer
// ones a node port per port (only the explicit ones when a LoadBalancer allocates none).
import type { Service } from '../api/index.js';
import { type Evaluator, NO_SCOPES } from './evaluator.js';
import { QuotaQuantity } from './quantity.js';
import type { Usage } from './resources.js';

const SERVICE_RESOURCES = new Set(['count/services', 'services', 'services.loadbalancers', 'services.nodeports']);

/** GetQuotaServiceType: the types quota tells apart (others count as ClusterIP). */
export function quotaServiceType(svc: Service): string {
  const t = svc.spec?.type;
  return t === 'NodePort' || t === 'LoadBalancer' ? t : '';
}

export const serviceEvaluator: Evaluator = {
  group: '',
  resource: 'services',
  // An update can turn a Service into a LoadBalancer or NodePort one.
  handles: (op, sub) => sub === '' && (op === 'CREATE' || op === 'UPDATE'),
  matchingResources: (names) => names.filter((n) => SERVICE_RESOURCES.has(n)),
  ...NO_SCOPES,
  constraints: () => undefined,
  usage(obj) {
    const svc = obj as Service;
    const ports = svc.spec?.ports ?? [];
    let nodePorts = 0;
    let loadBalancers = 0;
    if (svc.spec?.type === 'NodePort') nodePorts = ports.length;
    if (svc.spec?.type === 'LoadBalancer') {
      nodePorts =
        svc.spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p.nodePort).length : ports.length;
      loadBalancers = 1;
    }
    const u: Usage = new Map([
      ['count/services', QuotaQuantity.count(1)],
      ['services', QuotaQuantity.count(1)],
      ['services.loadbalancers', QuotaQuantity.count(loadBalancers)],
      ['services.nodeports', QuotaQuantity.count(nodePorts)],
    ]);
    return u;
  },
};
