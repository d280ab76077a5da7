// The pods evaluator (pkg/quota/v1/evaluator/core/pods.go): a live pod costs `pods` and its compute
// requests and limits as the scheduler sums them; every stored pod costs `count/pods`. Pods answer
// to the Terminating, BestEffort and PriorityClass scopes.
import type { Container, KubeObject, Pod, ResourceList, ScopedResourceSelectorRequirement } from '../api/index.js';
import type { Evaluator } from './evaluator.js';
import { QuotaQuantity } from './quantity.js';
import { add, parseList, type Usage } from './resources.js';
import { requirementMatches } from './scopes.js';

const POD_COUNT = 'count/pods';
const POD_RESOURCES = new Set([
  POD_COUNT,
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);
const POD_RESOURCE_PREFIXES = ['hugepages-', 'requests.hugepages-'];
/** The resources that, when a quota constrains them, every container must state. */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);
/** Native resources: unprefixed or under kubernetes.io/ (helper.IsNativeResource). */
const isNative = (n: string) => !n.includes('/') || n.includes('kubernetes.io/');
/** Extended resources are quota'd only as `requests.<name>` (no overcommit). */
const isExtendedForQuota = (n: string) => !isNative(n) && n.startsWith('requests.');
const isExtendedResource = (n: string) => !isNative(n) && !n.startsWith('requests.');

/** QuotaV1Pod: terminal pods, and pods past their deletion grace, no longer count. */
export function quotaV1Pod(pod: Pod, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const deletion = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion && grace !== undefined && grace !== null) {
    if (now > Date.parse(deletion) + grace * 1000) return false;
  }
  return true;
}

const isTerminating = (pod: Pod) => (pod.spec?.activeDeadlineSeconds ?? -1) >= 0;

/** qos.GetPodQOS == BestEffort: no container asks for or limits cpu or memory. */
export function isBestEffort(pod: Pod): boolean {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of containers) {
    for (const list of [c.resources?.requests, c.resources?.limits]) {
      const parsed = parseList(list);
      for (const name of ['cpu', 'memory']) if ((parsed.get(name)?.sign() ?? 0) > 0) return false;
    }
  }
  return true;
}

/** podComputeUsageHelper: the quota names one set of requests and limits fills. */
function computeUsage(requests: Usage, limits: Usage): Usage {
  const r: Usage = new Map([['pods', QuotaQuantity.count(1)]]);
  const both = (name: string) => {
    const req = requests.get(name);
    if (req) {
      r.set(name, req);
      r.set(`requests.${name}`, req);
    }
    const lim = limits.get(name);
    if (lim) r.set(`limits.${name}`, lim);
  };
  both('cpu');
  both('memory');
  both('ephemeral-storage');
  for (const [name, req] of requests) {
    if (name.startsWith('hugepages-')) {
      r.set(name, req);
      r.set(`requests.${name}`, req);
    }
    if (isExtendedResource(name)) r.set(`requests.${name}`, req);
  }
  return r;
}

function max(a: Usage, b: Usage): Usage {
  const out: Usage = new Map(a);
  for (const [k, v] of b) {
    const cur = out.get(k);
    if (!cur || v.compare(cur) > 0) out.set(k, v);
  }
  return out;
}

/**
 * resourcehelper.PodRequests / PodLimits: the app containers' sum, sidecars (restartable init
 * containers) added to it, at least the largest init container with the sidecars started before
 * it, plus the RuntimeClass overhead.
 */
function podTotal(pod: Pod, pick: (c: Container) => ResourceList | undefined): Usage {
  let total: Usage = new Map();
  for (const c of pod.spec?.containers ?? []) total = add(total, parseList(pick(c)));
  let sidecars: Usage = new Map();
  let initMax: Usage = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = parseList(pick(c));
    let effective: Usage;
    if (c.restartPolicy === 'Always') {
      total = add(total, own);
      sidecars = add(sidecars, own);
      effective = sidecars;
    } else {
      effective = add(own, sidecars);
    }
    initMax = max(initMax, effective);
  }
  total = max(total, initMax);
  return add(total, parseList(pod.spec?.overhead));
}

function enforceContainer(c: Container, required: Set<string>, missing: Map<string, Set<string>>): void {
  const have = computeUsage(parseList(c.resources?.requests), parseList(c.resources?.limits));
  for (const name of required) {
    if (have.has(name)) continue;
    const set = missing.get(name) ?? new Set<string>();
    set.add(c.name);
    missing.set(name, set);
  }
}

function matchesScope(r: ScopedResourceSelectorRequirement, obj: KubeObject): boolean {
  const pod = obj as Pod;
  switch (r.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass':
      return requirementMatches(r, pod.spec?.priorityClassName || undefined);
    default:
      return false;
  }
}

export const podEvaluator: Evaluator = {
  group: '',
  resource: 'pods',
  // A pod's resources change only through pods/resize; every other update leaves usage as it was.
  handles: (op, sub) => (sub === '' ? op === 'CREATE' : sub === 'resize' && op === 'UPDATE'),
  matchingResources(names) {
    return names.filter(
      (n) => POD_RESOURCES.has(n) || POD_RESOURCE_PREFIXES.some((p) => n.startsWith(p)) || isExtendedForQuota(n),
    );
  },
  matchesScope,
  matchingScopes(obj, selectors) {
    return selectors.filter((s) => matchesScope(s, obj));
  },
  uncoveredQuotaScopes(limited, matched) {
    return limited.filter((l) => !matched.some((m) => m.scopeName === l.scopeName));
  },
  constraints(required, obj) {
    const pod = obj as Pod;
    // Upstream's backward-compatible rule: a quota on cpu or memory needs every container to state them.
    const req = new Set(required.filter((n) => VALIDATION_SET.has(n)));
    const missing = new Map<string, Set<string>>();
    for (const c of pod.spec?.containers ?? []) enforceContainer(c, req, missing);
    for (const c of pod.spec?.initContainers ?? []) enforceContainer(c, req, missing);
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((name) => `${name} for: ${[...missing.get(name)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
  usage(obj, now) {
    const pod = obj as Pod;
    const result: Usage = new Map([[POD_COUNT, QuotaQuantity.count(1)]]);
    if (!quotaV1Pod(pod, now)) return result;
    const requests = podTotal(pod, (c) => c.resources?.requests);
    const limits = podTotal(pod, (c) => c.resources?.limits);
    return add(result, computeUsage(requests, limits));
  },
};
