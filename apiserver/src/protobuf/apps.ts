// apps/v1 Deployment, ReplicaSet, DaemonSet and StatefulSet, core/v1 ReplicationController and
// autoscaling/v1 Scale, field for field from k8s.io/api apps/v1, core/v1 and autoscaling/v1
// generated.proto as of 1.33 (kubectl 1.32+ sends `kubectl create deployment` as protobuf). The pod
// template is pod.ts's PodSpec.
//
// ControllerRevision has no table: its `data` is a runtime.RawExtension (any JSON document), which
// these tables cannot describe; it stays JSON-only and unchecked below its metadata.
//
// Only tables.ts imports this file (and hands the kinds out through KINDS): it reads tables.ts back.
import { persistentVolumeClaimSpec, podSpec } from './pod.js';
import { type FieldSpec, intOrStringPtr, type MessageSchema, msg, ptr, str, strMap, strs } from './schema.js';
import { labelSelector, objectMeta } from './tables.js';

const int = (name: string): FieldSpec => ({ name, type: 'int' });
const intPtr = (name: string): FieldSpec => ({ name, type: 'intPtr' });
const bool = (name: string): FieldSpec => ({ name, type: 'bool' });
const strPtr = (name: string): FieldSpec => ({ name, type: 'stringPtr' });
const time = (name: string): FieldSpec => ({ name, type: 'time' });
const quantities = (name: string): FieldSpec => ({ name, type: { map: 'quantity' } });

// k8s.io/api/core/v1 PodTemplateSpec and PersistentVolumeClaim (StatefulSet claim templates).
const podTemplateSpec: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => podSpec),
};
const persistentVolumeClaimCondition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  3: time('lastProbeTime'),
  4: time('lastTransitionTime'),
  5: str('reason'),
  6: str('message'),
};
const persistentVolumeClaimStatus: MessageSchema = {
  1: str('phase'),
  2: strs('accessModes'),
  3: quantities('capacity'),
  4: msg('conditions', () => persistentVolumeClaimCondition, true),
  5: quantities('allocatedResources'),
  7: strMap('allocatedResourceStatuses'),
  8: strPtr('currentVolumeAttributesClassName'),
  9: msg('modifyVolumeStatus', () => ({ 1: str('targetVolumeAttributesClassName'), 2: str('status') })),
};
const persistentVolumeClaim: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => persistentVolumeClaimSpec),
  3: msg('status', () => persistentVolumeClaimStatus),
};

/** DeploymentCondition (lastUpdateTime 6, lastTransitionTime 7). */
const deploymentCondition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  6: time('lastUpdateTime'),
  7: time('lastTransitionTime'),
  4: str('reason'),
  5: str('message'),
};
/** ReplicaSetCondition, DaemonSetCondition, StatefulSetCondition and ReplicationControllerCondition. */
const workloadCondition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  3: time('lastTransitionTime'),
  4: str('reason'),
  5: str('message'),
};

const deploymentSpec: MessageSchema = {
  1: intPtr('replicas'),
  2: msg('selector', () => labelSelector),
  3: msg('template', () => podTemplateSpec),
  4: msg('strategy', () => ({
    1: str('type'),
    2: msg('rollingUpdate', () => ({ 1: intOrStringPtr('maxUnavailable'), 2: intOrStringPtr('maxSurge') })),
  })),
  5: int('minReadySeconds'),
  6: intPtr('revisionHistoryLimit'),
  7: bool('paused'),
  9: intPtr('progressDeadlineSeconds'),
};
const deploymentStatus: MessageSchema = {
  1: int('observedGeneration'),
  2: int('replicas'),
  3: int('updatedReplicas'),
  7: int('readyReplicas'),
  4: int('availableReplicas'),
  5: int('unavailableReplicas'),
  9: intPtr('terminatingReplicas'),
  6: msg('conditions', () => deploymentCondition, true),
  8: intPtr('collisionCount'),
};
export const deployment: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => deploymentSpec),
  3: msg('status', () => deploymentStatus),
};

const replicaSetSpec: MessageSchema = {
  1: intPtr('replicas'),
  4: int('minReadySeconds'),
  2: msg('selector', () => labelSelector),
  3: msg('template', () => podTemplateSpec),
};
const replicaSetStatus: MessageSchema = {
  1: int('replicas'),
  2: int('fullyLabeledReplicas'),
  4: int('readyReplicas'),
  5: int('availableReplicas'),
  7: intPtr('terminatingReplicas'),
  3: int('observedGeneration'),
  6: msg('conditions', () => workloadCondition, true),
};
export const replicaSet: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => replicaSetSpec),
  3: msg('status', () => replicaSetStatus),
};

// core/v1: a ReplicaSet's numbering, with a map selector and a template pointer.
const replicationControllerSpec: MessageSchema = {
  1: intPtr('replicas'),
  4: int('minReadySeconds'),
  2: strMap('selector'),
  3: ptr('template', () => podTemplateSpec),
};
const replicationControllerStatus: MessageSchema = {
  1: int('replicas'),
  2: int('fullyLabeledReplicas'),
  4: int('readyReplicas'),
  5: int('availableReplicas'),
  3: int('observedGeneration'),
  6: msg('conditions', () => workloadCondition, true),
};
export const replicationController: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => replicationControllerSpec),
  3: msg('status', () => replicationControllerStatus),
};

const daemonSetSpec: MessageSchema = {
  1: msg('selector', () => labelSelector),
  2: msg('template', () => podTemplateSpec),
  3: msg('updateStrategy', () => ({
    1: str('type'),
    2: msg('rollingUpdate', () => ({ 1: intOrStringPtr('maxUnavailable'), 2: intOrStringPtr('maxSurge') })),
  })),
  4: int('minReadySeconds'),
  6: intPtr('revisionHistoryLimit'),
};
const daemonSetStatus: MessageSchema = {
  1: int('currentNumberScheduled'),
  2: int('numberMisscheduled'),
  3: int('desiredNumberScheduled'),
  4: int('numberReady'),
  5: int('observedGeneration'),
  6: int('updatedNumberScheduled'),
  7: int('numberAvailable'),
  8: int('numberUnavailable'),
  9: intPtr('collisionCount'),
  10: msg('conditions', () => workloadCondition, true),
};
export const daemonSet: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => daemonSetSpec),
  3: msg('status', () => daemonSetStatus),
};

const statefulSetSpec: MessageSchema = {
  1: intPtr('replicas'),
  2: msg('selector', () => labelSelector),
  3: msg('template', () => podTemplateSpec),
  4: msg('volumeClaimTemplates', () => persistentVolumeClaim, true),
  5: str('serviceName'),
  6: str('podManagementPolicy'),
  7: msg('updateStrategy', () => ({
    1: str('type'),
    2: msg('rollingUpdate', () => ({ 1: intPtr('partition'), 2: intOrStringPtr('maxUnavailable') })),
  })),
  8: intPtr('revisionHistoryLimit'),
  9: int('minReadySeconds'),
  10: msg('persistentVolumeClaimRetentionPolicy', () => ({ 1: str('whenDeleted'), 2: str('whenScaled') })),
  11: msg('ordinals', () => ({ 1: int('start') })),
};
const statefulSetStatus: MessageSchema = {
  1: int('observedGeneration'),
  2: int('replicas'),
  3: int('readyReplicas'),
  4: int('currentReplicas'),
  5: int('updatedReplicas'),
  6: str('currentRevision'),
  7: str('updateRevision'),
  9: intPtr('collisionCount'),
  10: msg('conditions', () => workloadCondition, true),
  11: int('availableReplicas'),
};
export const statefulSet: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => statefulSetSpec),
  3: msg('status', () => statefulSetStatus),
};

// k8s.io/api/autoscaling/v1: the body of /scale.
export const scale: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({ 1: int('replicas') })),
  3: msg('status', () => ({ 1: int('replicas'), 2: str('selector') })),
};
