// The system PriorityClasses (pkg/apis/scheduling/helpers.go and v1/helpers.go): the two classes every
// cluster has, the only ones allowed the reserved `system-` prefix or a value above what users may
// give, so that nothing a user creates outranks the components the cluster cannot run without.
import type { PriorityClass } from '@mkube/shared/api';

/** No user-defined class may be worth more: the room above is the system classes'. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** A pod's priority when it names no class and no class is the global default. */
export const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS = 0;

export const SYSTEM_NODE_CRITICAL = 'system-node-critical';
export const SYSTEM_CLUSTER_CRITICAL = 'system-cluster-critical';

const SYSTEM_CLASSES: readonly Readonly<Pick<PriorityClass, 'value' | 'description'> & { name: string }>[] = [
  {
    name: SYSTEM_NODE_CRITICAL,
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: SYSTEM_CLUSTER_CRITICAL,
    value: SYSTEM_CRITICAL_PRIORITY,
    description:
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** Fresh objects each call: the bootstrap hook writes them (and the store fills in their metadata). */
export function systemPriorityClasses(): PriorityClass[] {
  return SYSTEM_CLASSES.map((c) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: c.name },
    value: c.value,
    description: c.description,
  }));
}

export const isSystemPriorityClassName = (name: string): boolean => SYSTEM_CLASSES.some((c) => c.name === name);

/**
 * IsKnownSystemPriorityClass: undefined when name, value and globalDefault are a system class's
 * (the description, labels etc. may differ), else why not.
 */
export function unknownSystemPriorityClass(name: string, value: number, globalDefault: boolean): string | undefined {
  const c = SYSTEM_CLASSES.find((s) => s.name === name);
  if (!c) return `${name} is not a known system priority class`;
  if (c.value !== value) return `value of ${c.name} PriorityClass must be ${c.value}`;
  // No system class is the global default.
  if (globalDefault) return `globalDefault of ${c.name} PriorityClass must be false`;
  return undefined;
}
