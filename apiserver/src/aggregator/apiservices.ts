// What the aggregator reads off an APIService (kube-aggregator pkg/apis/apiregistration/v1/helper):
// local or remote, available or not, and the order discovery lists groups and versions in.
import type { APIService, APIServiceCondition } from '@mkube/shared/api';

export const isLocal = (s: APIService): boolean => !s.spec?.service;

export function availableCondition(s: APIService): APIServiceCondition | undefined {
  return s.status?.conditions?.find((c) => c.type === 'Available');
}

export const isAvailable = (s: APIService): boolean => availableCondition(s)?.status === 'True';

/** `v1`, `v2beta1`, `v1alpha3`; other names rank below all of these, alphabetically. */
const KUBE_VERSION = /^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$/;

/**
 * CompareKubeAwareVersionStrings, negative when `a` comes first: GA before beta before alpha, higher
 * numbers first, then non-Kubernetes names in lexical order.
 */
export function compareKubeAwareVersion(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (!ma || !mb) {
    if (ma) return -1;
    if (mb) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const rank = (m: RegExpExecArray) => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  if (rank(ma) !== rank(mb)) return rank(mb) - rank(ma);
  if (ma[1] !== mb[1]) return Number(mb[1]) - Number(ma[1]);
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

/**
 * SortedByGroupAndVersion: groups by their highest groupPriorityMinimum (then name), each group's
 * versions by versionPriority (then kube-aware version order).
 */
export function sortedByGroupAndVersion(services: Iterable<APIService>): APIService[][] {
  const byGroup = new Map<string, APIService[]>();
  for (const s of services) {
    const g = s.spec?.group ?? '';
    const list = byGroup.get(g) ?? [];
    list.push(s);
    byGroup.set(g, list);
  }
  const groups = [...byGroup.values()].map((list) =>
    list.sort(
      (a, b) =>
        (b.spec.versionPriority ?? 0) - (a.spec.versionPriority ?? 0) ||
        compareKubeAwareVersion(a.spec.version ?? '', b.spec.version ?? ''),
    ),
  );
  const priority = (list: APIService[]) => Math.max(...list.map((s) => s.spec.groupPriorityMinimum ?? 0));
  return groups.sort((a, b) => {
    const d = priority(b) - priority(a);
    if (d) return d;
    const ga = a[0]!.spec.group ?? '';
    const gb = b[0]!.spec.group ?? '';
    return ga < gb ? -1 : ga > gb ? 1 : 0;
  });
}
