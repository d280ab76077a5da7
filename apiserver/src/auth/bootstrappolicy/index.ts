// Creates the default policy at start and keeps it current (reconciliation.ReconcileClusterRole):
// missing objects are created; existing ones annotated autoupdate "true" get missing rules and
// subjects added (never removed); autoupdate "false" leaves an object as the admin made it.
import type { ClusterRole, ClusterRoleBinding, KubeObject, Role, RoleBinding } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import type { Registries } from '../../registry/index.js';
import {
  DEFAULT_CLUSTER_ROLE_BINDINGS,
  DEFAULT_CLUSTER_ROLES,
  DEFAULT_ROLE_BINDINGS,
  DEFAULT_ROLES,
} from './policy.js';

export {
  CLUSTER_INFO_BINDING,
  CLUSTER_INFO_ROLE,
  DEFAULT_CLUSTER_ROLE_BINDINGS,
  DEFAULT_CLUSTER_ROLES,
  DEFAULT_ROLE_BINDINGS,
  DEFAULT_ROLES,
  KCM_USER,
  KUBELET_SERVING_APPROVER,
  NODECLIENT,
  SELFNODECLIENT,
} from './policy.js';

const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const CTX = () => ({ user: { username: 'system:apiserver', groups: ['system:masters'] }, now: new Date() });

function union<T>(
  current: readonly T[] | undefined,
  wanted: readonly T[] | undefined,
): { list: T[]; changed: boolean } {
  const list = [...(current ?? [])];
  let changed = false;
  for (const w of wanted ?? []) {
    if (!list.some((c) => JSON.stringify(c) === JSON.stringify(w))) {
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
        await reg.create(ns, wanted, CTX(), { dryRun: false });
        return 'created';
      } catch (err) {
        if (raced(err)) continue;
        throw err;
      }
    }
    if (current.metadata.annotations?.[AUTOUPDATE] === 'false') return 'unchanged';
    const next = merge(structuredClone(current), wanted);
    if (!next) return 'unchanged';
    try {
      // `next` keeps current's resourceVersion: a write in between is a Conflict, not overwritten.
      await reg.update(ns, name, next, '', CTX(), { dryRun: false });
      return 'updated';
    } catch (err) {
      if (raced(err)) continue;
      throw err;
    }
  }
}

export async function reconcileBootstrapPolicy(registries: Registries, log: Logger): Promise<void> {
  for (const r of DEFAULT_CLUSTER_ROLES) {
    const outcome = await reconcile<ClusterRole>(registries, 'clusterroles', r, (cur, want) => {
      const { list, changed } = union(cur.rules, want.rules);
      return changed ? { ...cur, rules: list } : undefined;
    });
    if (outcome !== 'unchanged') log.info({ clusterrole: r.metadata.name, outcome }, 'bootstrap policy');
  }
  for (const b of DEFAULT_CLUSTER_ROLE_BINDINGS) {
    const outcome = await reconcile<ClusterRoleBinding>(registries, 'clusterrolebindings', b, (cur, want) => {
      const { list, changed } = union(cur.subjects, want.subjects);
      return changed ? { ...cur, subjects: list } : undefined;
    });
    if (outcome !== 'unchanged') log.info({ clusterrolebinding: b.metadata.name, outcome }, 'bootstrap policy');
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
