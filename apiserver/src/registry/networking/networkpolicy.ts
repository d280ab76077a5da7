// networking.k8s.io/v1 NetworkPolicy (pkg/registry/networking/networkpolicy/strategy.go):
// namespaced, no status in 1.33 (NetworkPolicyStatus is gone); the generation moves with the spec.
import type { NetworkPolicy, NetworkPolicyPort } from '@mkube/shared/api';
import { semanticEqual } from '../../util/json.js';
import type { RESTStrategy } from '../strategy.js';
import { validateNetworkPolicy, validateNetworkPolicyUpdate } from './networkpolicyvalidation.js';

const defaultPort = (p: NetworkPolicyPort | null | undefined): void => {
  if (p) p.protocol ??= 'TCP';
};

/**
 * SetDefaults_NetworkPolicy and _NetworkPolicyPort (v1): ports are TCP unless said otherwise; a
 * policy naming no policyTypes is an Ingress policy, and an Egress one too when it has egress rules.
 */
export function defaultNetworkPolicy(np: NetworkPolicy): void {
  np.spec ??= { podSelector: {} };
  const spec = np.spec;
  // A struct upstream, so always serialized, `{}` at least.
  spec.podSelector ??= {};
  for (const rule of spec.ingress ?? []) for (const p of rule?.ports ?? []) defaultPort(p);
  for (const rule of spec.egress ?? []) for (const p of rule?.ports ?? []) defaultPort(p);
  if (!spec.policyTypes?.length) {
    spec.policyTypes = spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

export const networkPolicyStrategy: RESTStrategy<NetworkPolicy> = {
  prepareForCreate: (np) => defaultNetworkPolicy(np),
  prepareForUpdate: (np) => defaultNetworkPolicy(np),
  validate: (np) => validateNetworkPolicy(np),
  validateUpdate: (np, old) => validateNetworkPolicyUpdate(np, old),
  bumpsGeneration: (np, old) => !semanticEqual(np.spec, old.spec),
};
