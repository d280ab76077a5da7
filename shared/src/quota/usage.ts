// quota.CalculateUsage: what the objects in a namespace use of a quota's hard resources, each
// evaluator summing the objects of its resource that match the quota's scopes. The controller
// writes this as status.used.
import type { KubeObject, ResourceQuotaSpec } from '../api/index.js';
import type { Evaluator } from './evaluator.js';
import { LEGACY_OBJECT_COUNT_NAMES, parseObjectCountName } from './generic.js';
import { QuotaQuantity } from './quantity.js';
import type { EvaluatorRegistry } from './registry.js';
import { add, mask, parseList, type Usage } from './resources.js';
import { scopeSelectorsOf } from './scopes.js';

/** The objects of the evaluator's resource in the namespace; undefined when they cannot be listed. */
export type NamespaceLister = (e: Evaluator, namespace: string) => readonly KubeObject[] | undefined;

export interface CalculatedUsage {
  readonly used: Usage;
  /** Evaluators whose objects could not be listed: their resources keep their last observed usage. */
  readonly unavailable: string[];
}

/** Makes sure an object count evaluator exists for every count/* (and legacy) name the quota sets. */
export function ensureEvaluators(registry: EvaluatorRegistry, names: readonly string[]): void {
  for (const n of names) {
    const gr = parseObjectCountName(n) ?? (n in LEGACY_OBJECT_COUNT_NAMES ? { group: '', resource: n } : undefined);
    if (gr) registry.get(gr.group, gr.resource);
  }
}

export function calculateUsage(
  namespace: string,
  spec: ResourceQuotaSpec | undefined,
  registry: EvaluatorRegistry,
  list: NamespaceLister,
  now: number,
): CalculatedUsage {
  const hardNames = [...parseList(spec?.hard).keys()];
  ensureEvaluators(registry, hardNames);
  const evaluators = registry.list();
  const potential = new Set(evaluators.flatMap((e) => e.matchingResources(hardNames)));
  const matched = hardNames.filter((n) => potential.has(n));
  const selectors = scopeSelectorsOf(spec);
  let used: Usage = new Map();
  const unavailable: string[] = [];
  for (const e of evaluators) {
    const names = e.matchingResources(matched);
    if (names.length === 0) continue;
    const objects = list(e, namespace);
    if (!objects) {
      unavailable.push(e.group ? `${e.resource}.${e.group}` : e.resource);
      continue;
    }
    // Each tracked resource starts at zero, so a quota nothing uses yet shows 0 rather than nothing.
    let stats: Usage = new Map(names.map((n) => [n, QuotaQuantity.ZERO]));
    for (const obj of objects) {
      if (selectors.every((s) => e.matchesScope(s, obj))) stats = add(stats, e.usage(obj, now));
    }
    used = add(used, stats);
  }
  return { used: mask(used, matched), unavailable };
}
