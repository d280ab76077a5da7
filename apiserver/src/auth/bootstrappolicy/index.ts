// Creates the default policy at start and keeps it current (reconciliation.ReconcileClusterRole):
// missing objects are created; existing ones annotated autoupdate "true" get missing labels,
// annotations, rules, aggregation selectors and subjects added (never removed, except an
// aggregationRule the default does not have); autoupdate "false" leaves an object as the admin made
// it. An aggregated role's rules are the clusterrole-aggregation controller's and are not touched.
import type {
  AggregationRule,
  ClusterRole,
  ClusterRoleBinding,
  KubeObject,
  Role,
  RoleBinding,
} from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { DEFAULT_FEATURE_GATE, type FeatureGate } from '@mkube/shared/featuregate';
import type { Logger } from '@mkube/shared/log';
import type { Registries } from '../../registry/index.js';
import { apiserverContext } from '../../registry/strategy.js';
import {
  CLUSTER_ROLES_TO_AGGREGATE,
  DEFAULT_ROLE_BINDINGS,
  DEFAULT_ROLES,
  defaultClusterPolicy,
  RETIRED_CONTROLLER_SUBJECT,
} from './policy.js';

export {
  aggregateTo,
  CLUSTER_INFO_BINDING,
  CLUSTER_INFO_ROLE,
  CLUSTER_ROLES_TO_AGGREGATE,
  CTB_PUBLISHER,
  DEFAULT_CLUSTER_ROLE_BINDINGS,
  DEFAULT_CLUSTER_ROLES,
  DEFAULT_ROLE_BINDINGS,
  DEFAULT_ROLES,
  defaultClusterPolicy,
  KCM_USER,
  KUBELET_SERVING_APPROVER,
  NODE_POD_CERTIFICATE_REQUEST_RULE,
  NODECLIENT,
  PCR_CLEANER,
  RETIRED_CONTROLLER_SUBJECT,
  SELFNODECLIENT,
} from './policy.js';

const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';

/** JSON with object keys sorted: equal for values Go's semantic DeepEqual calls equal here. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function union<T>(
  current: readonly T[] | undefined,
  wanted: readonly T[] | undefined,
): { list: T[]; changed: boolean } {
  const list = [...(current ?? [])];
  let changed = false;
  for (const w of wanted ?? []) {
    if (!list.some((c) => canonical(c) === canonical(w))) {
      list.push(w);
      changed = true;
    }
  }
  return { list, changed };
}

async function reconcile<T extends KubeObject>(
  registries: Registries,
  resource: 'clusterroles' | 'clusterrolebindings' | 'roles' | 'rolebindings',
  wanted: T,
  merge: (current: T, wanted: T) => T | undefined,
): Promise<'created' | 'updated' | 'unchanged'> {
  const reg = registries.get('rbac.authorization.k8s.io', resource)!;
  const name = wanted.metadata.name!;
  const ns = wanted.metadata.namespace ?? '';
  // Apiservers sharing one etcd reconcile at the same time: a create that finds the object made
  // meanwhile, or an update that lost a race, reads again and re-merges (as upstream's retry).
  for (let attempt = 1; ; attempt++) {
    const raced = (e: unknown) =>
      attempt < 8 && e instanceof StatusError && (e.reason === 'AlreadyExists' || e.reason === 'Conflict');
    let current: T;
    try {
      current = (await reg.get(ns, name)) as T;
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
      try {
        await reg.create(ns, wanted, apiserverContext(), { dryRun: false });
        return 'created';
      } catch (err) {
        if (raced(err)) continue;
        throw err;
      }
    }
    if (current.metadata.annotations?.[AUTOUPDATE] === 'false') return 'unchanged';
    const meta = mergeMetadata(structuredClone(current), wanted);
    const next = merge(meta ?? structuredClone(current), wanted) ?? meta;
    if (!next) return 'unchanged';
    try {
      // `next` keeps current's resourceVersion: a write in between is a Conflict, not overwritten.
      await reg.update(ns, name, next, '', apiserverContext(), { dryRun: false });
      return 'updated';
    } catch (err) {
      if (raced(err)) continue;
      throw err;
    }
  }
}

/** Adds the labels and annotations `wanted` has and `current` lacks (the existing values win), or undefined. */
function mergeMetadata<T extends KubeObject>(current: T, wanted: T): T | undefined {
  let changed = false;
  const merged = (cur: Record<string, string> | undefined, want: Record<string, string> | undefined) => {
    const out = { ...cur };
    for (const [k, v] of Object.entries(want ?? {})) {
      if (!(k in out)) {
        out[k] = v;
        changed = true;
      }
    }
    return out;
  };
  const labels = merged(current.metadata.labels, wanted.metadata.labels);
  const annotations = merged(current.metadata.annotations, wanted.metadata.annotations);
  if (!changed) return undefined;
  return { ...current, metadata: { ...current.metadata, labels, annotations } };
}

/**
 * A ClusterRole brought to the default (computeReconciledRole with union): missing rules added —
 * none for an aggregated default, whose rules are the aggregation controller's — missing
 * aggregation selectors added, and an aggregationRule the default does not have removed.
 */
export function reconcileClusterRole(cur: ClusterRole, want: ClusterRole): ClusterRole | undefined {
  let next: ClusterRole | undefined;
  const { list, changed } = union(cur.rules, want.rules);
  if (changed) next = { ...cur, rules: list };
  const aggregation = reconcileAggregationRule(cur.aggregationRule, want.aggregationRule);
  if (aggregation.changed) {
    const { aggregationRule: _drop, ...rest } = next ?? cur;
    next = aggregation.rule ? { ...rest, aggregationRule: aggregation.rule } : rest;
  }
  return next;
}

function reconcileAggregationRule(
  cur: AggregationRule | undefined,
  want: AggregationRule | undefined,
): { changed: boolean; rule?: AggregationRule } {
  if (!want) return cur ? { changed: true } : { changed: false, rule: cur };
  const { list, changed } = union(cur?.clusterRoleSelectors, want.clusterRoleSelectors);
  return changed || !cur
    ? { changed: true, rule: { ...cur, clusterRoleSelectors: list } }
    : { changed: false, rule: cur };
}

/**
 * Before reconciling (primeAggregatedClusterRoles): a role that has become aggregated, found still
 * plain — made by hand before mkube had it — has its rules copied to the role now carrying them, so
 * the aggregation that replaces them keeps them.
 */
async function primeAggregatedClusterRoles(registries: Registries, log: Logger): Promise<void> {
  const reg = registries.get('rbac.authorization.k8s.io', 'clusterroles')!;
  const get = async (name: string) => {
    try {
      return (await reg.get('', name)) as ClusterRole;
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  };
  for (const [oldName, newName] of Object.entries(CLUSTER_ROLES_TO_AGGREGATE)) {
    if (await get(newName)) continue;
    const existing = await get(oldName);
    if (!existing || existing.aggregationRule) continue;
    log.info({ clusterrole: oldName, to: newName }, 'bootstrap policy: migrating rules of a role now aggregated');
    const { labels, annotations } = existing.metadata;
    const copy: ClusterRole = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: newName, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
      ...(existing.rules ? { rules: existing.rules } : {}),
    };
    try {
      await reg.create('', copy, apiserverContext(), { dryRun: false });
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}

/** A controller's binding: its only subject is the controller's ServiceAccount in kube-system. */
const isControllerBinding = (b: ClusterRoleBinding): boolean =>
  b.subjects?.length === 1 && b.subjects[0]!.kind === 'ServiceAccount' && b.subjects[0]!.namespace === 'kube-system';

export async function reconcileBootstrapPolicy(
  registries: Registries,
  log: Logger,
  gates: FeatureGate = DEFAULT_FEATURE_GATE,
): Promise<void> {
  await primeAggregatedClusterRoles(registries, log);
  const policy = defaultClusterPolicy(gates);
  for (const r of policy.clusterRoles) {
    const outcome = await reconcile<ClusterRole>(registries, 'clusterroles', r, reconcileClusterRole);
    if (outcome !== 'unchanged') log.info({ clusterrole: r.metadata.name, outcome }, 'bootstrap policy');
  }
  const retired = canonical(RETIRED_CONTROLLER_SUBJECT);
  const stillRetired: string[] = [];
  for (const b of policy.clusterRoleBindings) {
    const outcome = await reconcile<ClusterRoleBinding>(registries, 'clusterrolebindings', b, (cur, want) => {
      if (isControllerBinding(want) && (cur.subjects ?? []).some((s) => canonical(s) === retired)) {
        stillRetired.push(cur.metadata.name!);
      }
      const { list, changed } = union(cur.subjects, want.subjects);
      return changed ? { ...cur, subjects: list } : undefined;
    });
    if (outcome !== 'unchanged') log.info({ clusterrolebinding: b.metadata.name, outcome }, 'bootstrap policy');
  }
  if (stillRetired.length > 0) {
    log.warn(
      { clusterrolebindings: stillRetired },
      `${stillRetired.length === 1 ? 'a controller role binding still names' : `${stillRetired.length} controller role bindings still name`} User ${RETIRED_CONTROLLER_SUBJECT.name}, which an earlier mkube added and upstream's policy does not: it may approve and sign certificates. With the controller-manager on --use-service-account-credentials (mkube up's default), remove it: kubectl edit clusterrolebinding <name>`,
    );
  }
  for (const r of DEFAULT_ROLES) {
    await reconcile<Role>(registries, 'roles', r, (cur, want) => {
      const { list, changed } = union(cur.rules, want.rules);
      return changed ? { ...cur, rules: list } : undefined;
    });
  }
  for (const b of DEFAULT_ROLE_BINDINGS) {
    await reconcile<RoleBinding>(registries, 'rolebindings', b, (cur, want) => {
      const { list, changed } = union(cur.subjects, want.subjects);
      return changed ? { ...cur, subjects: list } : undefined;
    });
  }
}
