// Field tables of the kinds kubectl's typed clients send as protobuf (kubectl 1.32+), from
// Kubernetes' generated.proto files.

import { daemonSet, deployment, replicaSet, replicationController, scale, statefulSet } from './apps.js';
import { horizontalPodAutoscalerV1, horizontalPodAutoscalerV2 } from './autoscaling.js';
import { cronJob, job } from './batch.js';
import { pod } from './pod.js';
import {
  type FieldSpec,
  intOrString,
  intOrStringPtr,
  type MessageSchema,
  msg,
  ptr,
  str,
  strMap,
  strs,
} from './schema.js';

// k8s.io/apimachinery/pkg/apis/meta/v1
export const ownerReference: MessageSchema = {
  1: str('kind'),
  3: str('name'),
  4: str('uid'),
  5: str('apiVersion'),
  6: { name: 'controller', type: 'boolPtr' },
  7: { name: 'blockOwnerDeletion', type: 'boolPtr' },
};

export const objectMeta: MessageSchema = {
  1: str('name'),
  2: str('generateName'),
  3: str('namespace'),
  4: str('selfLink'),
  5: str('uid'),
  6: str('resourceVersion'),
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'intPtr' },
  11: strMap('labels'),
  12: strMap('annotations'),
  13: msg('ownerReferences', () => ownerReference, true),
  14: strs('finalizers'),
};

const labelSelectorRequirement: MessageSchema = { 1: str('key'), 2: str('operator'), 3: strs('values') };
export const labelSelector: MessageSchema = {
  1: strMap('matchLabels'),
  2: msg('matchExpressions', () => labelSelectorRequirement, true),
};

// meta/v1 Condition (status.conditions of Service and later kinds).
export const condition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  3: { name: 'observedGeneration', type: 'int' },
  4: { name: 'lastTransitionTime', type: 'time' },
  5: str('reason'),
  6: str('message'),
};

const preconditions: MessageSchema = { 1: str('uid'), 2: str('resourceVersion') };
export const deleteOptions: MessageSchema = {
  1: { name: 'gracePeriodSeconds', type: 'intPtr' },
  2: msg('preconditions', () => preconditions),
  3: { name: 'orphanDependents', type: 'boolPtr' },
  4: str('propagationPolicy'),
  5: strs('dryRun'),
};

// k8s.io/api/core/v1
export const objectReference: MessageSchema = {
  1: str('kind'),
  2: str('namespace'),
  3: str('name'),
  4: str('uid'),
  5: str('apiVersion'),
  6: str('resourceVersion'),
  7: str('fieldPath'),
};
const localObjectReference: MessageSchema = { 1: str('name') };

export const configMap: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: strMap('data'),
  3: { name: 'binaryData', type: { map: 'bytes' } },
  4: { name: 'immutable', type: 'boolPtr' },
};

export const secret: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: { name: 'data', type: { map: 'bytes' } },
  3: str('type'),
  4: strMap('stringData'),
  5: { name: 'immutable', type: 'boolPtr' },
};

export const serviceAccount: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('secrets', () => objectReference, true),
  3: msg('imagePullSecrets', () => localObjectReference, true),
  4: { name: 'automountServiceAccountToken', type: 'boolPtr' },
};

const namespaceCondition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  4: { name: 'lastTransitionTime', type: 'time' },
  5: str('reason'),
  6: str('message'),
};
export const namespace: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({ 1: strs('finalizers') })),
  3: msg('status', () => ({ 1: str('phase'), 2: msg('conditions', () => namespaceCondition, true) })),
};

const servicePort: MessageSchema = {
  1: str('name'),
  2: str('protocol'),
  3: { name: 'port', type: 'int' },
  4: intOrString('targetPort'),
  5: { name: 'nodePort', type: 'int' },
  6: str('appProtocol'),
};
const sessionAffinityConfig: MessageSchema = {
  1: msg('clientIP', () => ({ 1: { name: 'timeoutSeconds', type: 'intPtr' } })),
};
// Numbers 6, 15 and 16 (16 was topologyKeys) are no longer in the proto.
const serviceSpec: MessageSchema = {
  1: msg('ports', () => servicePort, true),
  2: strMap('selector'),
  3: str('clusterIP'),
  4: str('type'),
  5: strs('externalIPs'),
  7: str('sessionAffinity'),
  8: str('loadBalancerIP'),
  9: strs('loadBalancerSourceRanges'),
  10: str('externalName'),
  11: str('externalTrafficPolicy'),
  12: { name: 'healthCheckNodePort', type: 'int' },
  13: { name: 'publishNotReadyAddresses', type: 'bool' },
  14: msg('sessionAffinityConfig', () => sessionAffinityConfig),
  17: str('ipFamilyPolicy'),
  18: strs('clusterIPs'),
  19: strs('ipFamilies'),
  20: { name: 'allocateLoadBalancerNodePorts', type: 'boolPtr' },
  21: str('loadBalancerClass'),
  22: str('internalTrafficPolicy'),
  23: str('trafficDistribution'),
};
const portStatus: MessageSchema = { 1: { name: 'port', type: 'int' }, 2: str('protocol'), 3: str('error') };
const loadBalancerIngress: MessageSchema = {
  1: str('ip'),
  2: str('hostname'),
  3: str('ipMode'),
  4: msg('ports', () => portStatus, true),
};
export const service: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => serviceSpec),
  3: msg('status', () => ({
    1: msg('loadBalancer', () => ({ 1: msg('ingress', () => loadBalancerIngress, true) })),
    2: msg('conditions', () => condition, true),
  })),
};

const endpointAddress: MessageSchema = {
  1: str('ip'),
  2: msg('targetRef', () => objectReference),
  3: str('hostname'),
  4: str('nodeName'),
};
const endpointPort: MessageSchema = {
  1: str('name'),
  2: { name: 'port', type: 'int' },
  3: str('protocol'),
  4: str('appProtocol'),
};
const endpointSubset: MessageSchema = {
  1: msg('addresses', () => endpointAddress, true),
  2: msg('notReadyAddresses', () => endpointAddress, true),
  3: msg('ports', () => endpointPort, true),
};
export const endpoints: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('subsets', () => endpointSubset, true),
};

// k8s.io/api/rbac/v1
export const policyRule: MessageSchema = {
  1: strs('verbs'),
  2: strs('apiGroups'),
  3: strs('resources'),
  4: strs('resourceNames'),
  5: strs('nonResourceURLs'),
};
const subject: MessageSchema = { 1: str('kind'), 2: str('apiGroup'), 3: str('name'), 4: str('namespace') };
const roleRef: MessageSchema = { 1: str('apiGroup'), 2: str('kind'), 3: str('name') };
export const role: MessageSchema = { 1: msg('metadata', () => objectMeta), 2: msg('rules', () => policyRule, true) };
export const clusterRole: MessageSchema = {
  ...role,
  3: msg('aggregationRule', () => ({ 1: msg('clusterRoleSelectors', () => labelSelector, true) })),
};
export const roleBinding: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('subjects', () => subject, true),
  3: msg('roleRef', () => roleRef),
};

// k8s.io/api/coordination/v1
export const leaseSpec: MessageSchema = {
  1: str('holderIdentity'),
  2: { name: 'leaseDurationSeconds', type: 'intPtr' },
  3: { name: 'acquireTime', type: 'microtime' },
  4: { name: 'renewTime', type: 'microtime' },
  5: { name: 'leaseTransitions', type: 'intPtr' },
  6: str('strategy'),
  7: str('preferredHolder'),
};
export const lease: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => leaseSpec),
};

// k8s.io/api/certificates/v1
const extraValue = (): MessageSchema => ({ 1: strs('items') });
export const csrCondition: MessageSchema = {
  1: str('type'),
  2: str('reason'),
  3: str('message'),
  4: { name: 'lastUpdateTime', type: 'time' },
  5: { name: 'lastTransitionTime', type: 'time' },
  6: str('status'),
};
export const csrSpec: MessageSchema = {
  1: { name: 'request', type: 'bytes' },
  2: str('username'),
  3: str('uid'),
  4: strs('groups'),
  5: strs('usages'),
  6: { name: 'extra', type: { map: { message: extraValue } } },
  7: str('signerName'),
  8: { name: 'expirationSeconds', type: 'intPtr' },
};
export const csrStatus: MessageSchema = {
  1: msg('conditions', () => csrCondition, true),
  2: { name: 'certificate', type: 'bytes' },
};
export const certificateSigningRequest: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => csrSpec),
  3: msg('status', () => csrStatus),
};

// k8s.io/api/authentication/v1
const userInfo: MessageSchema = {
  1: str('username'),
  2: str('uid'),
  3: strs('groups'),
  4: { name: 'extra', type: { map: { message: extraValue } } },
};
const boundObjectReference: MessageSchema = { 1: str('kind'), 2: str('apiVersion'), 3: str('name'), 4: str('uid') };
export const tokenRequest: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({
    1: strs('audiences'),
    3: msg('boundObjectRef', () => boundObjectReference),
    4: { name: 'expirationSeconds', type: 'intPtr' },
  })),
  3: msg('status', () => ({ 1: str('token'), 2: { name: 'expirationTimestamp', type: 'time' } })),
};
export const tokenReview: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({ 1: str('token'), 2: strs('audiences') }), false, 'TokenReviewSpec'),
  3: msg('status', () => ({
    1: { name: 'authenticated', type: 'bool' },
    2: msg('user', () => userInfo),
    3: str('error'),
    4: strs('audiences'),
  })),
};
export const selfSubjectReview: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('status', () => ({ 1: msg('userInfo', () => userInfo) })),
};

// k8s.io/api/authorization/v1
const fieldSelectorRequirement: MessageSchema = { 1: str('key'), 2: str('operator'), 3: strs('values') };
export const resourceAttributes: MessageSchema = {
  1: str('namespace'),
  2: str('verb'),
  3: str('group'),
  4: str('version'),
  5: str('resource'),
  6: str('subresource'),
  7: str('name'),
  8: msg(
    'fieldSelector',
    () => ({
      1: str('rawSelector'),
      2: msg('requirements', () => fieldSelectorRequirement, true, 'FieldSelectorRequirement'),
    }),
    false,
    'FieldSelectorAttributes',
  ),
  9: msg(
    'labelSelector',
    () => ({
      1: str('rawSelector'),
      2: msg('requirements', () => labelSelectorRequirement, true, 'LabelSelectorRequirement'),
    }),
    false,
    'LabelSelectorAttributes',
  ),
};
const nonResourceAttributes: MessageSchema = { 1: str('path'), 2: str('verb') };
export const accessReviewStatus: MessageSchema = {
  1: { name: 'allowed', type: 'bool' },
  2: str('reason'),
  3: str('evaluationError'),
  4: { name: 'denied', type: 'bool' },
};
const attributes = {
  resource: msg('resourceAttributes', () => resourceAttributes, false, 'ResourceAttributes'),
  nonResource: msg('nonResourceAttributes', () => nonResourceAttributes, false, 'NonResourceAttributes'),
};
export const selfSubjectAccessReview: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({ 1: attributes.resource, 2: attributes.nonResource }), false, 'SelfSubjectAccessReviewSpec'),
  3: msg('status', () => accessReviewStatus),
};
export const subjectAccessReviewSpec: MessageSchema = {
  1: attributes.resource,
  2: attributes.nonResource,
  3: str('user'),
  4: strs('groups'),
  5: { name: 'extra', type: { map: { message: extraValue } }, goType: 'ExtraValue' },
  6: str('uid'),
};
export const subjectAccessReview: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => subjectAccessReviewSpec, false, 'SubjectAccessReviewSpec'),
  3: msg('status', () => accessReviewStatus),
};
export const selfSubjectRulesReview: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({ 1: str('namespace') }), false, 'SelfSubjectRulesReviewSpec'),
};

// k8s.io/api/core/v1: what a scheduler posts to pods/binding (and the legacy bindings).
export const binding: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('target', () => objectReference),
};

// k8s.io/api/policy/v1
export const eviction: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('deleteOptions', () => deleteOptions),
};

// k8s.io/api/policy/v1
const podDisruptionBudgetSpec: MessageSchema = {
  1: intOrStringPtr('minAvailable'),
  2: msg('selector', () => labelSelector),
  3: intOrStringPtr('maxUnavailable'),
  4: str('unhealthyPodEvictionPolicy'),
};
const podDisruptionBudgetStatus: MessageSchema = {
  1: { name: 'observedGeneration', type: 'int' },
  2: { name: 'disruptedPods', type: { map: 'time' } },
  3: { name: 'disruptionsAllowed', type: 'int' },
  4: { name: 'currentHealthy', type: 'int' },
  5: { name: 'desiredHealthy', type: 'int' },
  6: { name: 'expectedPods', type: 'int' },
  7: msg('conditions', () => condition, true),
};
export const podDisruptionBudget: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => podDisruptionBudgetSpec),
  3: msg('status', () => podDisruptionBudgetStatus),
};

// k8s.io/api/flowcontrol/v1
const flowcontrolCondition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  3: { name: 'lastTransitionTime', type: 'time' },
  4: str('reason'),
  5: str('message'),
};
const flowcontrolStatus: MessageSchema = { 1: msg('conditions', () => flowcontrolCondition, true) };
const flowcontrolSubject: MessageSchema = {
  1: str('kind'),
  2: ptr('user', () => ({ 1: str('name') })),
  3: ptr('group', () => ({ 1: str('name') })),
  4: ptr('serviceAccount', () => ({ 1: str('namespace'), 2: str('name') })),
};
const resourcePolicyRule: MessageSchema = {
  1: strs('verbs'),
  2: strs('apiGroups'),
  3: strs('resources'),
  4: { name: 'clusterScope', type: 'bool' },
  5: strs('namespaces'),
};
const nonResourcePolicyRule: MessageSchema = { 1: strs('verbs'), 6: strs('nonResourceURLs') };
const policyRulesWithSubjects: MessageSchema = {
  1: msg('subjects', () => flowcontrolSubject, true),
  2: msg('resourceRules', () => resourcePolicyRule, true),
  3: msg('nonResourceRules', () => nonResourcePolicyRule, true),
};
const flowSchemaSpec: MessageSchema = {
  1: msg('priorityLevelConfiguration', () => ({ 1: str('name') })),
  2: { name: 'matchingPrecedence', type: 'int' },
  3: ptr('distinguisherMethod', () => ({ 1: str('type') })),
  4: msg('rules', () => policyRulesWithSubjects, true),
};
export const flowSchema: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => flowSchemaSpec),
  3: msg('status', () => flowcontrolStatus),
};
const queuingConfiguration: MessageSchema = {
  1: { name: 'queues', type: 'int' },
  2: { name: 'handSize', type: 'int' },
  3: { name: 'queueLengthLimit', type: 'int' },
};
const limitedPriorityLevelConfiguration: MessageSchema = {
  1: { name: 'nominalConcurrencyShares', type: 'intPtr' },
  2: msg('limitResponse', () => ({ 1: str('type'), 2: ptr('queuing', () => queuingConfiguration) })),
  3: { name: 'lendablePercent', type: 'intPtr' },
  4: { name: 'borrowingLimitPercent', type: 'intPtr' },
};
const priorityLevelConfigurationSpec: MessageSchema = {
  1: str('type'),
  2: ptr('limited', () => limitedPriorityLevelConfiguration),
  3: ptr('exempt', () => ({
    1: { name: 'nominalConcurrencyShares', type: 'intPtr' },
    2: { name: 'lendablePercent', type: 'intPtr' },
  })),
};
export const priorityLevelConfiguration: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => priorityLevelConfigurationSpec),
  3: msg('status', () => flowcontrolStatus),
};

// k8s.io/api/scheduling/v1
export const priorityClass: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: { name: 'value', type: 'int' },
  3: { name: 'globalDefault', type: 'bool' },
  4: str('description'),
  5: { name: 'preemptionPolicy', type: 'stringPtr' },
};

// core/v1 LimitRange and ResourceQuota: every ResourceList is a map<string, Quantity>.
const quantities = (name: string): FieldSpec => ({ name, type: { map: 'quantity' } });

const limitRangeItem: MessageSchema = {
  1: str('type'),
  2: quantities('max'),
  3: quantities('min'),
  4: quantities('default'),
  5: quantities('defaultRequest'),
  6: quantities('maxLimitRequestRatio'),
};

export const limitRange: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({ 1: msg('limits', () => limitRangeItem, true) })),
};

const scopedResourceSelectorRequirement: MessageSchema = { 1: str('scopeName'), 2: str('operator'), 3: strs('values') };

const resourceQuotaSpec: MessageSchema = {
  1: quantities('hard'),
  2: strs('scopes'),
  3: ptr('scopeSelector', () => ({ 1: msg('matchExpressions', () => scopedResourceSelectorRequirement, true) })),
};

export const resourceQuota: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => resourceQuotaSpec),
  3: msg('status', () => ({ 1: quantities('hard'), 2: quantities('used') })),
};

/** apiVersion/kind → table; anything absent is refused as an unsupported media type. */
export const KINDS: Readonly<Record<string, MessageSchema>> = {
  'v1/ConfigMap': configMap,
  'v1/Secret': secret,
  'v1/ServiceAccount': serviceAccount,
  'v1/Namespace': namespace,
  'v1/Service': service,
  'v1/Endpoints': endpoints,
  'v1/LimitRange': limitRange,
  'v1/ResourceQuota': resourceQuota,
  // A getter: pod.ts reads this module's meta tables back, so its table is taken once both are loaded.
  get 'v1/Pod'() {
    return pod;
  },
  'v1/Binding': binding,
  // Getters for the same reason as Pod's: batch.ts reads this module's tables back.
  get 'batch/v1/Job'() {
    return job;
  },
  get 'batch/v1/CronJob'() {
    return cronJob;
  },
  // Getters for the same reason as Pod's: apps.ts reads this module's tables back.
  get 'apps/v1/Deployment'() {
    return deployment;
  },
  get 'apps/v1/ReplicaSet'() {
    return replicaSet;
  },
  get 'v1/ReplicationController'() {
    return replicationController;
  },
  get 'apps/v1/DaemonSet'() {
    return daemonSet;
  },
  get 'apps/v1/StatefulSet'() {
    return statefulSet;
  },
  get 'autoscaling/v1/Scale'() {
    return scale;
  },
  // Getters for the same reason as Pod's: autoscaling.ts reads this module's tables back.
  get 'autoscaling/v2/HorizontalPodAutoscaler'() {
    return horizontalPodAutoscalerV2;
  },
  get 'autoscaling/v1/HorizontalPodAutoscaler'() {
    return horizontalPodAutoscalerV1;
  },
  'rbac.authorization.k8s.io/v1/Role': role,
  'rbac.authorization.k8s.io/v1/ClusterRole': clusterRole,
  'rbac.authorization.k8s.io/v1/RoleBinding': roleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': roleBinding,
  'coordination.k8s.io/v1/Lease': lease,
  'certificates.k8s.io/v1/CertificateSigningRequest': certificateSigningRequest,
  'authentication.k8s.io/v1/TokenRequest': tokenRequest,
  'authentication.k8s.io/v1/TokenReview': tokenReview,
  'authentication.k8s.io/v1/SelfSubjectReview': selfSubjectReview,
  'authorization.k8s.io/v1/SelfSubjectAccessReview': selfSubjectAccessReview,
  'authorization.k8s.io/v1/SubjectAccessReview': subjectAccessReview,
  'authorization.k8s.io/v1/LocalSubjectAccessReview': subjectAccessReview,
  'authorization.k8s.io/v1/SelfSubjectRulesReview': selfSubjectRulesReview,
  'policy/v1/Eviction': eviction,
  'policy/v1/PodDisruptionBudget': podDisruptionBudget,
  'flowcontrol.apiserver.k8s.io/v1/FlowSchema': flowSchema,
  'flowcontrol.apiserver.k8s.io/v1/PriorityLevelConfiguration': priorityLevelConfiguration,
  'scheduling.k8s.io/v1/PriorityClass': priorityClass,
  'meta.k8s.io/v1/DeleteOptions': deleteOptions,
  'v1/DeleteOptions': deleteOptions,
};
