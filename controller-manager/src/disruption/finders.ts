// The disruption controller's finders (pkg/controller/disruption: getPodReplicaSet, getPodDeployment,
// getPodReplicationController, getPodStatefulSet): from a pod's controller reference to the scale its controller wants, so a
// percentage or maxUnavailable budget counts the pods that should exist, not only those that do.
// A ReplicaSet a Deployment controls answers with the Deployment's scale; a reference whose uid is
// not the object's, or to a kind none knows, finds nothing.
import type {
  Deployment,
  KubeObject,
  OwnerReference,
  ReplicaSet,
  ReplicationController,
  StatefulSet,
} from '@mkube/shared/api';
import { controllerOf } from '@mkube/shared/controller';
import type { SharedInformer } from '../informers/index.js';

export interface ControllerAndScale {
  readonly uid: string;
  readonly scale: number;
}

/** Looks an object up by namespace and name (an informer's store). */
export type Getter<T> = (namespace: string, name: string) => T | undefined;

export type Finder = (ref: OwnerReference, namespace: string) => ControllerAndScale | undefined;

/** An informer's cache as a Getter (upstream's listers). */
export function storeGetter<T extends KubeObject>(informer: SharedInformer<T>): Getter<T> {
  return (namespace, name) => informer.store.get(`${namespace}/${name}`);
}

const APPS = ['apps', 'extensions'];

/** verifyGroupKind: the reference names `kind` in one of `groups`. */
function isGroupKind(ref: OwnerReference, kind: string, groups: readonly string[]): boolean {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0]! : '';
  return ref.kind === kind && groups.includes(group);
}

export function workloadFinders(
  replicaSets: Getter<ReplicaSet>,
  deployments: Getter<Deployment>,
  statefulSets: Getter<StatefulSet>,
  replicationControllers: Getter<ReplicationController>,
): Finder[] {
  const replicaSetOf = (ref: OwnerReference, ns: string) => {
    if (!isGroupKind(ref, 'ReplicaSet', APPS)) return undefined;
    const rs = replicaSets(ns, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  };
  const getPodReplicaSet: Finder = (ref, ns) => {
    const rs = replicaSetOf(ref, ns);
    // A Deployment's ReplicaSet is counted through the Deployment (getPodDeployment).
    if (!rs || controllerOf(rs)?.kind === 'Deployment') return undefined;
    return { uid: rs.metadata.uid ?? '', scale: rs.spec?.replicas ?? 1 };
  };
  const getPodDeployment: Finder = (ref, ns) => {
    const rs = replicaSetOf(ref, ns);
    const owner = rs && controllerOf(rs);
    if (!owner || !isGroupKind(owner, 'Deployment', APPS)) return undefined;
    const d = deployments(ns, owner.name);
    return d && d.metadata.uid === owner.uid ? { uid: d.metadata.uid ?? '', scale: d.spec?.replicas ?? 1 } : undefined;
  };
  const getPodReplicationController: Finder = (ref, ns) => {
    if (!isGroupKind(ref, 'ReplicationController', [''])) return undefined;
    const rc = replicationControllers(ns, ref.name);
    return rc && rc.metadata.uid === ref.uid
      ? { uid: rc.metadata.uid ?? '', scale: rc.spec?.replicas ?? 1 }
      : undefined;
  };
  const getPodStatefulSet: Finder = (ref, ns) => {
    if (!isGroupKind(ref, 'StatefulSet', ['apps'])) return undefined;
    const ss = statefulSets(ns, ref.name);
    return ss && ss.metadata.uid === ref.uid
      ? { uid: ss.metadata.uid ?? '', scale: ss.spec?.replicas ?? 1 }
      : undefined;
  };
  return [getPodReplicaSet, getPodDeployment, getPodReplicationController, getPodStatefulSet];
}
