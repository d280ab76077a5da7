// The ResourceQuota plugin's configuration (its entry in --admission-control-config-file):
//
//   apiVersion: apiserver.config.k8s.io/v1        # or resourcequota.admission.k8s.io/v1beta1 (kind Configuration)
//   kind: ResourceQuotaConfiguration
//   limitedResources:
//   - resource: pods
//     matchScopes:
//     - {scopeName: PriorityClass, operator: In, values: [system-node-critical, system-cluster-critical]}
//
// A limited resource may be consumed only in a namespace with a quota covering it: by name
// (matchContains: a consumed resource name containing one of these) or by scope (matchScopes).
// Upstream's default is none (since 1.17 critical pods may run in any namespace unless an
// administrator limits them so).
import type { ScopedResourceSelectorRequirement } from '@mkube/shared/api';
import { isRecord } from '../../../util/json.js';

export interface LimitedResource {
  readonly apiGroup: string;
  readonly resource: string;
  readonly matchContains: readonly string[];
  readonly matchScopes: readonly ScopedResourceSelectorRequirement[];
}

export interface ResourceQuotaConfig {
  readonly limitedResources: readonly LimitedResource[];
}

export const DEFAULT_RESOURCE_QUOTA_CONFIG: ResourceQuotaConfig = { limitedResources: [] };

const KINDS: Readonly<Record<string, string>> = {
  'apiserver.config.k8s.io/v1': 'ResourceQuotaConfiguration',
  'resourcequota.admission.k8s.io/v1beta1': 'Configuration',
  'resourcequota.admission.k8s.io/v1alpha1': 'Configuration',
};
const SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

const strings = (v: unknown, path: string): string[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new Error(`${path}: must be a list of strings`);
  return v as string[];
};

/** Decodes and validates one configuration; throws an Error naming the bad field. */
export function parseResourceQuotaConfig(raw: unknown): ResourceQuotaConfig {
  if (!isRecord(raw) || KINDS[String(raw.apiVersion)] !== raw.kind) {
    throw new Error(
      `expected kind ResourceQuotaConfiguration in apiserver.config.k8s.io/v1 (or Configuration in resourcequota.admission.k8s.io/v1beta1)`,
    );
  }
  const list = raw.limitedResources ?? [];
  if (!Array.isArray(list)) throw new Error('limitedResources: must be a list');
  const limitedResources = list.map((l: unknown, i): LimitedResource => {
    const path = `limitedResources[${i}]`;
    if (!isRecord(l)) throw new Error(`${path}: must be an object`);
    if (typeof l.resource !== 'string' || !l.resource) throw new Error(`${path}.resource: Required value`);
    const scopes = l.matchScopes ?? [];
    if (!Array.isArray(scopes)) throw new Error(`${path}.matchScopes: must be a list`);
    const matchScopes = scopes.map((s: unknown, j): ScopedResourceSelectorRequirement => {
      const sp = `${path}.matchScopes[${j}]`;
      if (!isRecord(s)) throw new Error(`${sp}: must be an object`);
      if (!SCOPES.includes(String(s.scopeName)))
        throw new Error(`${sp}.scopeName: Unsupported value: "${s.scopeName}"`);
      if (!OPERATORS.includes(String(s.operator)))
        throw new Error(`${sp}.operator: Unsupported value: "${s.operator}"`);
      const values = strings(s.values, `${sp}.values`);
      return {
        scopeName: s.scopeName as ScopedResourceSelectorRequirement['scopeName'],
        operator: s.operator as ScopedResourceSelectorRequirement['operator'],
        ...(values.length ? { values } : {}),
      };
    });
    return {
      apiGroup: typeof l.apiGroup === 'string' ? l.apiGroup : '',
      resource: l.resource,
      matchContains: strings(l.matchContains, `${path}.matchContains`),
      matchScopes,
    };
  });
  return { limitedResources };
}
