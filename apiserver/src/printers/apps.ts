// printDeployment, printReplicaSet, printReplicationController, printDaemonSet, printStatefulSet,
// printControllerRevision and printPodTemplate
// (k/k pkg/printers/internalversion/printers.go). The server prints wide, so the template's
// containers, images and selector are always there; kubectl shows them with `-o wide`.
import type {
  ControllerRevision,
  DaemonSet,
  Deployment,
  PodTemplate,
  ReplicaSet,
  ReplicationController,
  StatefulSet,
} from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { containerCells, formatLabelSelector, formatLabels, selectorString } from './format.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const CONTAINERS_COLUMN = col('Containers', 'Names of each container in the template.', { priority: 1 });
const IMAGES_COLUMN = col('Images', 'Images referenced by each container in the template.', { priority: 1 });
const READY_COLUMN = col('Ready', 'Number of the pod with ready state');
const selectorColumn = (description: string) => col('Selector', description, { priority: 1 });

export const deploymentPrinter: Printer = printer<Deployment>({
  columns: [
    NAME_COLUMN,
    READY_COLUMN,
    col(
      'Up-to-date',
      'Total number of non-terminating pods targeted by this deployment that have the desired template spec.',
    ),
    col(
      'Available',
      'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn(
      "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
    ),
  ],
  cells: (o, now) => [
    o.metadata.name,
    `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    o.status?.updatedReplicas ?? 0,
    o.status?.availableReplicas ?? 0,
    timestampSince(o.metadata.creationTimestamp, now),
    ...containerCells(o.spec?.template?.spec?.containers),
    selectorString(o.spec?.selector, '<invalid>'),
  ],
});

export const replicaSetPrinter: Printer = printer<ReplicaSet>({
  columns: [
    NAME_COLUMN,
    col('Desired', 'Replicas is the number of desired pods. Defaults to 1.', { type: 'integer' }),
    col('Current', 'Replicas is the most recently observed number of non-terminating pods.', { type: 'integer' }),
    col('Ready', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', {
      type: 'integer',
    }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn(
      "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels.",
    ),
  ],
  cells: (o, now) => replicaCells(o, now, formatLabelSelector(o.spec?.selector)),
});

/** printReplicationController: a ReplicaSet's columns, the selector being a plain label map. */
export const replicationControllerPrinter: Printer = printer<ReplicationController>({
  columns: [
    NAME_COLUMN,
    col(
      'Desired',
      'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
      { type: 'integer' },
    ),
    col(
      'Current',
      'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
      { type: 'integer' },
    ),
    col('Ready', 'The number of ready replicas for this replication controller.', { type: 'integer' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn(
      'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    ),
  ],
  cells: (o, now) => replicaCells(o, now, formatLabels(o.spec?.selector)),
});

/** A ReplicaSet's or ReplicationController's cells: the two differ only in how the selector prints. */
function replicaCells(o: ReplicaSet | ReplicationController, now: Date, selector: string): unknown[] {
  return [
    o.metadata.name,
    o.spec?.replicas ?? 0,
    o.status?.replicas ?? 0,
    o.status?.readyReplicas ?? 0,
    timestampSince(o.metadata.creationTimestamp, now),
    ...containerCells(o.spec?.template?.spec?.containers),
    selector,
  ];
}

export const daemonSetPrinter: Printer = printer<DaemonSet>({
  columns: [
    NAME_COLUMN,
    col(
      'Desired',
      'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
      { type: 'integer' },
    ),
    col(
      'Current',
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
      { type: 'integer' },
    ),
    col(
      'Ready',
      'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
      { type: 'integer' },
    ),
    col('Up-to-date', 'The total number of nodes that are running updated daemon pod', { type: 'integer' }),
    col(
      'Available',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
      { type: 'integer' },
    ),
    col(
      'Node Selector',
      "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
    ),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn(
      "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels.",
    ),
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.status?.desiredNumberScheduled ?? 0,
    o.status?.currentNumberScheduled ?? 0,
    o.status?.numberReady ?? 0,
    o.status?.updatedNumberScheduled ?? 0,
    o.status?.numberAvailable ?? 0,
    formatLabels(o.spec?.template?.spec?.nodeSelector),
    timestampSince(o.metadata.creationTimestamp, now),
    ...containerCells(o.spec?.template?.spec?.containers),
    formatLabelSelector(o.spec?.selector),
  ],
});

export const statefulSetPrinter: Printer = printer<StatefulSet>({
  columns: [NAME_COLUMN, READY_COLUMN, AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells: (o, now) => [
    o.metadata.name,
    `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    timestampSince(o.metadata.creationTimestamp, now),
    ...containerCells(o.spec?.template?.spec?.containers),
  ],
});

/** formatResourceName: `<kind>.<group>/<name>` lower-cased, as `daemonset.apps/web`. */
function controllerName(o: ControllerRevision): string {
  const ref = o.metadata.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = group ? `${ref.kind}.${group}` : (ref.kind ?? '');
  return kind ? `${kind.toLowerCase()}/${ref.name}` : (ref.name ?? '');
}

export const controllerRevisionPrinter: Printer = printer<ControllerRevision>({
  columns: [
    NAME_COLUMN,
    col('Controller', 'Controller of the object'),
    col('Revision', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    controllerName(o),
    o.revision ?? 0,
    timestampSince(o.metadata.creationTimestamp, now),
  ],
});

/** printPodTemplate: the template's containers, images and pod labels, all shown by default. */
export const podTemplatePrinter: Printer = printer<PodTemplate>({
  columns: [
    NAME_COLUMN,
    col('Containers', 'Names of each container in the template.'),
    col('Images', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'The labels for the pod template.'),
  ],
  cells: (o) => [
    o.metadata.name,
    ...containerCells(o.template?.spec?.containers),
    formatLabels(o.template?.metadata?.labels),
  ],
});
