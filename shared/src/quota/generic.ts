// The object count evaluator (k8s.io/apiserver/pkg/quota/v1/generic): any namespaced resource costs
// one `count/<resource>.<group>` (`count/<resource>` in the core group) per stored object, and the
// few core resources quota'd before count/* existed also their legacy name.
import { type Evaluator, NO_SCOPES } from './evaluator.js';
import { QuotaQuantity } from './quantity.js';

/** legacyObjectCountAliases (pkg/quota/v1/install). */
export const LEGACY_OBJECT_COUNT_NAMES: Readonly<Record<string, string>> = {
  configmaps: 'configmaps',
  resourcequotas: 'resourcequotas',
  replicationcontrollers: 'replicationcontrollers',
  secrets: 'secrets',
};

/** ObjectCountQuotaResourceNameFor. */
export const objectCountName = (group: string, resource: string) =>
  group ? `count/${resource}.${group}` : `count/${resource}`;

/** The group and resource a `count/...` name counts; undefined for any other name. */
export function parseObjectCountName(name: string): { group: string; resource: string } | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  if (!rest) return undefined;
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

export function objectCountEvaluator(group: string, resource: string): Evaluator {
  const names = [objectCountName(group, resource)];
  const legacy = group === '' ? LEGACY_OBJECT_COUNT_NAMES[resource] : undefined;
  if (legacy) names.push(legacy);
  return {
    group,
    resource,
    handles: (op, sub) => sub === '' && op === 'CREATE',
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    ...NO_SCOPES,
    constraints: () => undefined,
    usage: () => new Map(names.map((n) => [n, QuotaQuantity.count(1)])),
  };
}
