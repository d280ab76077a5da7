// clusterrole-aggregation-controller (k8s pkg/controller/clusterroleaggregation): a ClusterRole with
// an aggregationRule gets as `rules` the union of the rules of every other ClusterRole whose labels
// match one of its selectors — per selector the matching roles by name, each rule once, in that
// order — written only when it differs from what the role holds. Any ClusterRole event queues every
// aggregated role (the set is small and who feeds whom is not known), so a labelled role's change,
// a removed label or a hand-edited aggregated role is put right.
import type { ClusterRole, PolicyRule } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

/** Upstream starts it with 5 workers. */
export const AGGREGATION_WORKERS = 5;

/** A rule as equality.Semantic compares it: every field, absent and empty lists alike, key order aside. */
function ruleKey(r: PolicyRule): string {
  return JSON.stringify([
    r.verbs ?? [],
    r.apiGroups ?? [],
    r.resources ?? [],
    r.resourceNames ?? [],
    r.nonResourceURLs ?? [],
  ]);
}

export function sameRules(a: readonly PolicyRule[] | undefined, b: readonly PolicyRule[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((r, i) => ruleKey(r) === ruleKey(y[i]!));
}

/**
 * The rules `role` aggregates from `all` (syncClusterRole): for each selector in turn, the matching
 * roles sorted by name, `role` itself skipped, each rule added unless an equal one already is.
 * Throws a BadRequest StatusError for a selector that does not convert.
 */
export function aggregateRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const s of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const selector = labelSelectorFromObject(s);
    const matching = all
      .filter((r) => selector.matches(r.metadata.labels))
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
    for (const other of matching) {
      if (other.metadata.name === role.metadata.name) continue;
      for (const rule of other.rules ?? []) {
        const key = ruleKey(rule);
        if (seen.has(key)) continue;
        seen.add(key);
        rules.push(rule);
      }
    }
  }
  return rules;
}

export class ClusterRoleAggregationController implements Controller {
  readonly name = 'clusterrole-aggregation-controller';
  readonly queue = new WorkQueue('ClusterRoleAggregator');

  constructor(
    readonly client: KubeClient,
    readonly clusterRoles: SharedInformer<ClusterRole>,
    readonly log: Logger,
  ) {
    const enqueue = () => this.enqueueAggregated();
    clusterRoles.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue });
  }

  /** Every ClusterRole that has an aggregationRule. */
  enqueueAggregated(): void {
    for (const r of this.clusterRoles.store.list()) {
      if (r.aggregationRule && r.metadata.name) this.queue.add(r.metadata.name);
    }
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, AGGREGATION_WORKERS, (name) => this.sync(name), this.log, signal);
  }

  async sync(name: string): Promise<void> {
    const role = this.clusterRoles.store.get(name);
    if (!role?.aggregationRule) return;
    const rules = aggregateRules(role, this.clusterRoles.store.list());
    if (sameRules(rules, role.rules)) return;
    // Upstream applies server-side and falls back to this update where apply is not served (mkube):
    // the cached copy with the new rules; a Conflict (the role changed meanwhile) retries the key.
    try {
      await this.client.resource<ClusterRole>(RESOURCES.clusterroles).update({ ...role, rules });
      this.log.info({ clusterrole: name, rules: rules.length }, 'aggregated rules written');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
