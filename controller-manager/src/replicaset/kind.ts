// The kinds the replicaset controller runs over. Upstream's replication manager
// (pkg/controller/replication) is the ReplicaSet controller fed ReplicationControllers converted to
// ReplicaSets; here the controller reads the few things that differ from one of these descriptors
// instead: the owner reference it writes, where the objects live, and how a selector is read (an RC's
// is a plain label map).
import type {
  KubeObject,
  PodTemplateSpec,
  ReplicaSet,
  ReplicaSetStatus,
  ReplicationController,
} from '@mkube/shared/api';
import { type LabelsSelector, labelSelectorFromObject, labelSelectorFromSet } from '@mkube/shared/selectors';
import { RESOURCES } from '../informers/index.js';

/** What a ReplicaSet and a ReplicationController have alike: all but the selector's type. */
export interface Replicated extends KubeObject {
  spec?: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: unknown;
    template?: PodTemplateSpec;
  };
  status?: ReplicaSetStatus;
}

export interface ReplicatedKind<T extends Replicated> {
  /** The controller's name (--controllers), its ServiceAccount and its Events' source. */
  readonly controllerName: string;
  readonly serviceAccount: string;
  readonly eventSource: string;
  readonly queueName: string;
  /** The controller ownerReference it puts on its pods. */
  readonly ref: { readonly apiVersion: string; readonly kind: string };
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  /** The pods it selects; throws when the selector does not parse (validation forbids it). */
  selector(o: T): LabelsSelector;
  /** No requirement at all: upstream's listers match no pod to it (GetPodReplicaSets). */
  selectsNothing(o: T): boolean;
}

export const REPLICASET_CONTROLLER = 'replicaset-controller';

export const REPLICA_SET: ReplicatedKind<ReplicaSet> = {
  controllerName: REPLICASET_CONTROLLER,
  serviceAccount: 'replicaset-controller',
  eventSource: REPLICASET_CONTROLLER,
  queueName: 'replicaset',
  ref: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  resource: RESOURCES.replicasets,
  selector: (rs) => labelSelectorFromObject(rs.spec?.selector),
  selectsNothing: (rs) =>
    Object.keys(rs.spec?.selector?.matchLabels ?? {}).length + (rs.spec?.selector?.matchExpressions?.length ?? 0) === 0,
};

/** kube-controller-manager's name for it (alias `replicationcontroller`). */
export const REPLICATION_CONTROLLER_CONTROLLER = 'replicationcontroller-controller';

/** NewReplicationManager: its own ServiceAccount, Event source and queue name. */
export const REPLICATION_CONTROLLER: ReplicatedKind<ReplicationController> = {
  controllerName: REPLICATION_CONTROLLER_CONTROLLER,
  serviceAccount: 'replication-controller',
  eventSource: 'replication-controller',
  queueName: 'replicationmanager',
  ref: { apiVersion: 'v1', kind: 'ReplicationController' },
  resource: RESOURCES.replicationcontrollers,
  selector: (rc) => labelSelectorFromSet(rc.spec?.selector ?? {}),
  selectsNothing: (rc) => Object.keys(rc.spec?.selector ?? {}).length === 0,
};
