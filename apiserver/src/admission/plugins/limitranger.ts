// LimitRanger admission (plugin/pkg/admission/limitranger): a new pod's containers get the
// requests and limits they leave out from the namespace's Container LimitRange (defaultRequest,
// default), noted in the kubernetes.io/limit-ranger annotation; then every container, and the pod
// as a whole, must keep within each LimitRange's min, max and maxLimitRequestRatio. Pod updates are
// not looked at: containers' resources cannot change after creation anyway. Claims, created or
// resized, are held to the PersistentVolumeClaim items (limitrangerclaims.ts).
import type {
  Container,
  LimitRange,
  LimitRangeItem,
  PersistentVolumeClaim,
  Pod,
  ResourceList,
} from '@mkube/shared/api';
import { aggregateMessages, newForbidden } from '@mkube/shared/apierrors';
import {
  formatQuantity,
  Quantity,
  type QuantityFormat,
  quantityFormat,
  tryParseQuantity,
} from '@mkube/shared/quantity';
import type { LimitRangeLister } from '../../registry/core/limitrangelister.js';
import { quantityString } from '../../registry/core/resourcenames.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';
import { appliesToClaim, claimLimitErrors } from './limitrangerclaims.js';

export const LIMIT_RANGER_PLUGIN = 'LimitRanger';
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/** A quantity with the format it prints in (an Add keeps the first operand's). */
interface Q {
  readonly q: Quantity;
  readonly format: QuantityFormat;
}
type Resources = Map<string, Q>;

const ZERO: Q = { q: new Quantity(0n), format: 'DecimalSI' };
const MAX_MILLI_VALUE = Number(((1n << 63n) - 1n) / 1000n);

function toQ(v: unknown): Q {
  const s = quantityString(v);
  const q = tryParseQuantity(s);
  return q ? { q, format: quantityFormat(s) } : ZERO;
}

const show = (x: Q): string => formatQuantity(x.q, x.format);

function resources(list: ResourceList | undefined): Resources {
  return new Map(Object.entries(list ?? {}).map(([k, v]) => [k, toQ(v)]));
}

const sortedEntries = (list: ResourceList | undefined): [string, Q][] =>
  Object.keys(list ?? {})
    .sort()
    .map((k) => [k, toQ(list![k])]);

// Defaulting

/** defaultContainerResourceRequirements: the Container items' defaultRequest and default. */
function defaultRequirements(lr: LimitRange): { requests: ResourceList; limits: ResourceList } {
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest);
    Object.assign(limits, item.default);
  }
  return { requests, limits };
}

/** mergeContainerResources: what a container leaves out it gets, and the annotation says so. */
function mergeContainer(
  c: Container,
  defaults: { requests: ResourceList; limits: ResourceList },
  prefix: string,
  notes: string[],
): void {
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  const res = c.resources ?? {};
  const limits: ResourceList = { ...res.limits };
  const requests: ResourceList = { ...res.requests };
  for (const [k, v] of Object.entries(defaults.limits)) {
    if (!(k in limits)) {
      limits[k] = v;
      setLimits.push(k);
    }
  }
  for (const [k, v] of Object.entries(defaults.requests)) {
    if (!(k in requests)) {
      requests[k] = v;
      setRequests.push(k);
    }
  }
  if (setLimits.length || setRequests.length) {
    c.resources = res;
    if (Object.keys(limits).length) res.limits = limits;
    if (Object.keys(requests).length) res.requests = requests;
  }
  if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
}

/** PodMutateLimitFunc. */
function mutatePod(lr: LimitRange, pod: Pod): void {
  const defaults = defaultRequirements(lr);
  const notes: string[] = [];
  for (const c of pod.spec?.containers ?? []) mergeContainer(c, defaults, 'container', notes);
  for (const c of pod.spec?.initContainers ?? []) mergeContainer(c, defaults, 'init container', notes);
  if (!notes.length) return;
  pod.metadata.annotations = {
    ...pod.metadata.annotations,
    [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`,
  };
}

// Validation

/** requestLimitEnforcedValues: whole units, or thousandths when none would overflow. */
function enforcedValues(req: Q, lim: Q, enforced: Q): [number, number, number] {
  const whole: [number, number, number] = [req.q.value(), lim.q.value(), enforced.q.value()];
  if (whole.every((v) => v <= MAX_MILLI_VALUE))
    return [req.q.milliValue(), lim.q.milliValue(), enforced.q.milliValue()];
  return whole;
}

function minConstraint(
  type: string,
  name: string,
  enforced: Q,
  requests: Resources,
  limits: Resources,
): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = enforcedValues(req ?? ZERO, lim ?? ZERO, enforced);
  if (!req) return `minimum ${name} usage per ${type} is ${show(enforced)}.  No request is specified`;
  if (r < e) return `minimum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req)}`;
  if (lim && l < e) return `minimum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(lim)}`;
  return undefined;
}

function maxConstraint(
  type: string,
  name: string,
  enforced: Q,
  requests: Resources,
  limits: Resources,
): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = enforcedValues(req ?? ZERO, lim ?? ZERO, enforced);
  if (!lim) return `maximum ${name} usage per ${type} is ${show(enforced)}.  No limit is specified`;
  if (l > e) return `maximum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(lim)}`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req)}`;
  return undefined;
}

function ratioConstraint(
  type: string,
  name: string,
  enforced: Q,
  requests: Resources,
  limits: Resources,
): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l] = enforcedValues(req ?? ZERO, lim ?? ZERO, enforced);
  if (!req || r === 0) {
    return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but no request is specified or request is 0`;
  }
  if (!lim || l === 0) {
    return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but no limit is specified or limit is 0`;
  }
  let observed = l / r;
  const displayed = observed;
  let max = enforced.q.value();
  if (max <= MAX_MILLI_VALUE) {
    observed *= 1000;
    max = enforced.q.milliValue();
  }
  return observed > max
    ? `${name} max limit to request ratio per ${type} is ${show(enforced)}, but provided ratio is ${displayed.toFixed(6)}`
    : undefined;
}

/** Min, max and ratio of one item against one set of requests and limits. */
function checkItem(item: LimitRangeItem, requests: Resources, limits: Resources, errs: string[]): void {
  const type = item.type;
  const add = (e: string | undefined) => {
    if (e) errs.push(e);
  };
  for (const [k, v] of sortedEntries(item.min)) add(minConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.max)) add(maxConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.maxLimitRequestRatio)) add(ratioConstraint(type, k, v, requests, limits));
}

function addInto(into: Resources, from: Resources): void {
  for (const [k, v] of from) {
    const cur = into.get(k);
    into.set(k, cur ? { q: cur.q.add(v.q), format: cur.format } : v);
  }
}

function maxInto(into: Resources, from: Resources): void {
  for (const [k, v] of from) {
    const cur = into.get(k);
    if (!cur || v.q.compare(cur.q) > 0) into.set(k, v);
  }
}

/**
 * podRequests / podLimits: the containers' sum, sidecars (restartable init containers) included,
 * or the largest init container's (plus the sidecars started before it) when that is more.
 */
function podTotal(pod: Pod, of: 'requests' | 'limits'): Resources {
  const total: Resources = new Map();
  for (const c of pod.spec?.containers ?? []) addInto(total, resources(c.resources?.[of]));
  const sidecars: Resources = new Map();
  const init: Resources = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = resources(c.resources?.[of]);
    let effective: Resources;
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      effective = sidecars;
    } else {
      effective = new Map();
      addInto(effective, own);
      addInto(effective, sidecars);
    }
    maxInto(init, effective);
  }
  maxInto(total, init);
  return total;
}

/** PodValidateLimitFunc: the messages of every violated bound, in the order upstream checks them. */
function validatePod(lr: LimitRange, pod: Pod): string[] {
  const errs: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === 'Container') {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        checkItem(item, resources(c.resources?.requests), resources(c.resources?.limits), errs);
      }
    }
    if (item.type === 'Pod') checkItem(item, podTotal(pod, 'requests'), podTotal(pod, 'limits'), errs);
  }
  return errs;
}

// The plugin

/** SupportsAttributes: pod creates only (containers cannot change on update), no subresources. */
const applies = (a: AdmissionAttributes): boolean =>
  !a.subresource && a.operation === 'CREATE' && a.group === '' && a.resource === 'pods' && a.kind === 'Pod';

/** Validation runs once a generated name is drawn, so the refusal names the pod by it. */
const forbidden = (a: AdmissionAttributes, why: string) =>
  newForbidden({ group: a.group, resource: a.resource }, a.name, why);

export function limitRanger(lister: LimitRangeLister): AdmissionPlugin {
  return {
    name: LIMIT_RANGER_PLUGIN,
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async admit(a) {
      if (!applies(a)) return;
      const pod = a.object as Pod | undefined;
      if (!pod?.spec) return;
      for (const lr of await lister.list(a.namespace)) mutatePod(lr, pod);
    },
    async validate(a) {
      if (appliesToClaim(a) && a.object) {
        for (const lr of await lister.list(a.namespace)) {
          const errs = claimLimitErrors(lr, a.object as PersistentVolumeClaim);
          if (errs.length) throw forbidden(a, aggregateMessages(errs));
        }
        return;
      }
      if (!applies(a)) return;
      const pod = a.object as Pod | undefined;
      if (!pod?.spec) return;
      for (const lr of await lister.list(a.namespace)) {
        const errs = validatePod(lr, pod);
        if (errs.length) throw forbidden(a, aggregateMessages(errs));
      }
    },
  };
}
