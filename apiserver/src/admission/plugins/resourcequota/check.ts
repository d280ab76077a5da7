// CheckRequest (k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go): whether one
// request fits every quota of its namespace that matches it, and the quotas as they would be after
// it (status.used raised by what it costs). A refusal is thrown with upstream's message.
import type { KubeObject, ResourceQuota, ScopedResourceSelectorRequirement } from '@mkube/shared/api';
import { newForbidden, newNonStatusError } from '@mkube/shared/apierrors';
import {
  add,
  type Evaluator,
  formatScopes,
  lessThanOrEqual,
  mask,
  matches,
  negativeNames,
  parseList,
  prettyPrint,
  prettyPrintNames,
  quotaScopeSelectors,
  removeZeros,
  resourceNames,
  subtractNonNegative,
  toList,
  type Usage,
} from '@mkube/shared/quota';
import type { AdmissionAttributes } from '../../types.js';
import type { LimitedResource } from './config.js';

/** admission.NewForbidden: the object's own name (its generateName before one is drawn). */
function forbidden(a: AdmissionAttributes, why: string) {
  const m = a.object?.metadata;
  const name = m?.name || m?.generateName || a.name || 'Unknown';
  return newForbidden({ group: a.group, resource: a.resource }, name, why);
}

/** limitedByDefault: the consumed resource names a limited resource's matchContains names. */
function limitedByDefault(usage: Usage, limited: readonly LimitedResource[]): string[] {
  const out = new Set<string>();
  for (const l of limited) {
    for (const [name, v] of usage) {
      if (v.sign() === 1 && l.matchContains.some((c) => name.includes(c))) out.add(name);
    }
  }
  return [...out];
}

export function checkRequest(
  quotas: readonly ResourceQuota[],
  a: AdmissionAttributes,
  e: Evaluator,
  limited: readonly LimitedResource[],
  now: number,
): ResourceQuota[] {
  const obj = a.object as KubeObject;
  const limitedScopes: ScopedResourceSelectorRequirement[] = limited.flatMap((l) =>
    e.matchingScopes(obj, l.matchScopes),
  );
  const forResource = limited.filter((l) => l.apiGroup === a.group && l.resource === a.resource);
  const limitedNames = forResource.length ? limitedByDefault(e.usage(obj, now), forResource) : [];

  const interesting: number[] = [];
  const restrictedResources = new Set<string>();
  const restrictedScopes: ScopedResourceSelectorRequirement[] = [];
  for (const [i, q] of quotas.entries()) {
    restrictedScopes.push(...e.matchingScopes(obj, quotaScopeSelectors(q)));
    const hard = parseList(q.status?.hard);
    if (!matches(e, q, obj, hard)) continue;
    const restricted = e.matchingResources(resourceNames(hard));
    const why = e.constraints(restricted, obj);
    if (why) throw forbidden(a, `failed quota: ${q.metadata?.name ?? ''}: ${why}`);
    const used = q.status?.used ?? {};
    // Every constrained resource needs an observed usage (the controller's first sync) to count from.
    if (restricted.some((r) => !(r in used))) {
      throw forbidden(
        a,
        `status unknown for quota: ${q.metadata?.name ?? ''}, resources: ${prettyPrintNames(restricted)}`,
      );
    }
    interesting.push(i);
    for (const r of restricted) restrictedResources.add(r);
  }

  const input = e.usage(obj, now);
  const negative = negativeNames(input);
  if (negative.length) throw forbidden(a, `quota usage is negative for resource(s): ${prettyPrintNames(negative)}`);

  const deltas = new Map<number, Usage>(interesting.map((i) => [i, input]));
  let deltaWithoutQuota: Usage = a.operation === 'CREATE' && interesting.length === 0 ? input : new Map();
  if (a.operation === 'UPDATE') {
    const prev = a.oldObject;
    if (!prev) throw forbidden(a, 'unable to get previous usage since prior version of object was not found');
    if (prev.metadata?.resourceVersion) {
      // An update is charged only what it adds, to the quotas the old object counted against too.
      const delta = subtractNonNegative(input, e.usage(prev, now));
      if (interesting.length === 0) deltaWithoutQuota = delta;
      for (const i of interesting) {
        if (matches(e, quotas[i]!, prev, parseList(quotas[i]!.status?.hard))) deltas.set(i, delta);
      }
    } else if (interesting.length === 0) {
      deltaWithoutQuota = input;
    }
  }
  for (const [i, d] of deltas) {
    const nonZero = removeZeros(d);
    if (nonZero.size) deltas.set(i, nonZero);
    else deltas.delete(i);
  }
  if (interesting.length ? deltas.size === 0 : removeZeros(deltaWithoutQuota).size === 0) return [...quotas];

  const uncovered = limitedNames.filter((n) => !restrictedResources.has(n)).sort();
  if (uncovered.length) throw forbidden(a, `insufficient quota to consume: ${uncovered.join(',')}`);
  const uncoveredScopes = e.uncoveredQuotaScopes(limitedScopes, restrictedScopes);
  // Upstream returns this one as a plain error: the client gets a 500 with no reason.
  if (uncoveredScopes.length)
    throw newNonStatusError(`insufficient quota to match these scopes: ${formatScopes(uncoveredScopes)}`);
  if (interesting.length === 0) return [...quotas];

  const out = quotas.map((q) => structuredClone(q));
  for (const i of interesting) {
    const q = out[i]!;
    const delta = deltas.get(i);
    if (!delta) continue;
    const hard = parseList(q.status?.hard);
    const used = parseList(q.status?.used);
    const requested = mask(delta, hard.keys());
    const next = add(used, requested);
    if (a.subresource !== 'status') {
      const { allowed, exceeded } = lessThanOrEqual(mask(next, requested.keys()), hard);
      if (!allowed) {
        throw forbidden(
          a,
          `exceeded quota: ${q.metadata?.name ?? ''}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
        );
      }
    }
    q.status = { ...q.status, used: toList(next) };
  }
  return out;
}
