// core/v1 Pod and everything a PodSpec and PodStatus hold, field for field from k8s.io/api
// core/v1 generated.proto. The same tables decide which fields fieldValidation=Strict knows and
// give the typed OpenAPI schema of Pod (openapi/typed.ts): a field missing here would be dropped
// from a protobuf body and refused as unknown in a JSON one.
//
// Kinds: 'int'/'bool'/'string' are Go values JSON leaves out when zero; the *Ptr forms are Go
// pointers (and values JSON always writes), kept when zero (`runAsUser: 0` must survive). `ptr`
// marks a pointer to a struct, kept when empty (`emptyDir: {}`); `inline` a struct JSON flattens.
//
// Only tables.ts imports this file (and hands Pod out through KINDS): it reads tables.ts back.
import { type FieldSpec, inline, intOrString, type MessageSchema, msg, ptr, str, strMap, strs } from './schema.js';
import { labelSelector, objectMeta } from './tables.js';

const int = (name: string): FieldSpec => ({ name, type: 'int' });
const intPtr = (name: string): FieldSpec => ({ name, type: 'intPtr' });
const ints = (name: string): FieldSpec => ({ name, type: 'intPtr', repeated: true });
const bool = (name: string): FieldSpec => ({ name, type: 'bool' });
const boolPtr = (name: string): FieldSpec => ({ name, type: 'boolPtr' });
const strPtr = (name: string): FieldSpec => ({ name, type: 'stringPtr' });
const quantity = (name: string): FieldSpec => ({ name, type: 'quantity' });
const quantities = (name: string): FieldSpec => ({ name, type: { map: 'quantity' } });
const time = (name: string): FieldSpec => ({ name, type: 'time' });

// References and selectors.
const localObjectReference: MessageSchema = { 1: str('name') };
const typedLocalObjectReference: MessageSchema = { 1: strPtr('apiGroup'), 2: str('kind'), 3: str('name') };
const typedObjectReference: MessageSchema = { ...typedLocalObjectReference, 4: strPtr('namespace') };
const objectFieldSelector: MessageSchema = { 1: str('apiVersion'), 2: str('fieldPath') };
const resourceFieldSelector: MessageSchema = { 1: str('containerName'), 2: str('resource'), 3: quantity('divisor') };
const keySelector: MessageSchema = {
  1: inline('localObjectReference', () => localObjectReference),
  2: str('key'),
  3: boolPtr('optional'),
};
const fileKeySelector: MessageSchema = { 1: str('volumeName'), 2: str('path'), 3: str('key'), 4: boolPtr('optional') };
const envSource: MessageSchema = {
  1: inline('localObjectReference', () => localObjectReference),
  2: boolPtr('optional'),
};

// Security contexts.
export const capabilities: MessageSchema = { 1: strs('add'), 2: strs('drop') };
export const seLinuxOptions: MessageSchema = { 1: str('user'), 2: str('role'), 3: str('type'), 4: str('level') };
export const seccompProfile: MessageSchema = { 1: str('type'), 2: strPtr('localhostProfile') };
export const appArmorProfile: MessageSchema = { 1: str('type'), 2: strPtr('localhostProfile') };
export const windowsSecurityContextOptions: MessageSchema = {
  1: strPtr('gmsaCredentialSpecName'),
  2: strPtr('gmsaCredentialSpec'),
  3: strPtr('runAsUserName'),
  4: boolPtr('hostProcess'),
};
const ulimit: MessageSchema = { 1: str('name'), 2: intPtr('hard'), 3: intPtr('soft') };
export const securityContext: MessageSchema = {
  1: ptr('capabilities', () => capabilities),
  2: boolPtr('privileged'),
  3: ptr('seLinuxOptions', () => seLinuxOptions),
  10: ptr('windowsOptions', () => windowsSecurityContextOptions),
  4: intPtr('runAsUser'),
  8: intPtr('runAsGroup'),
  5: boolPtr('runAsNonRoot'),
  6: boolPtr('readOnlyRootFilesystem'),
  7: boolPtr('allowPrivilegeEscalation'),
  9: strPtr('procMount'),
  11: ptr('seccompProfile', () => seccompProfile),
  12: ptr('appArmorProfile', () => appArmorProfile),
  13: msg('ulimits', () => ulimit, true),
};
const sysctl: MessageSchema = { 1: str('name'), 2: str('value') };
export const podSecurityContext: MessageSchema = {
  1: ptr('seLinuxOptions', () => seLinuxOptions),
  8: ptr('windowsOptions', () => windowsSecurityContextOptions),
  2: intPtr('runAsUser'),
  6: intPtr('runAsGroup'),
  3: boolPtr('runAsNonRoot'),
  4: ints('supplementalGroups'),
  12: strPtr('supplementalGroupsPolicy'),
  5: intPtr('fsGroup'),
  7: msg('sysctls', () => sysctl, true),
  9: strPtr('fsGroupChangePolicy'),
  10: ptr('seccompProfile', () => seccompProfile),
  11: ptr('appArmorProfile', () => appArmorProfile),
  13: strPtr('seLinuxChangePolicy'),
};

// Containers.
const containerPort: MessageSchema = {
  1: str('name'),
  2: int('hostPort'),
  3: intPtr('containerPort'),
  4: str('protocol'),
  5: str('hostIP'),
};
const envVarSource: MessageSchema = {
  1: ptr('fieldRef', () => objectFieldSelector),
  2: ptr('resourceFieldRef', () => resourceFieldSelector),
  3: ptr('configMapKeyRef', () => keySelector),
  4: ptr('secretKeyRef', () => keySelector),
  5: ptr('fileKeyRef', () => fileKeySelector),
};
const envVar: MessageSchema = { 1: str('name'), 2: str('value'), 3: ptr('valueFrom', () => envVarSource) };
const envFromSource: MessageSchema = {
  1: str('prefix'),
  2: ptr('configMapRef', () => envSource),
  3: ptr('secretRef', () => envSource),
};
const resourceClaim: MessageSchema = { 1: str('name'), 2: str('request') };
const resourceRequirements: MessageSchema = {
  1: quantities('limits'),
  2: quantities('requests'),
  3: msg('claims', () => resourceClaim, true),
};
const containerResizePolicy: MessageSchema = { 1: str('resourceName'), 2: str('restartPolicy') };
const containerRestartRule: MessageSchema = {
  1: str('action'),
  2: ptr('exitCodes', () => ({ 1: str('operator'), 2: ints('values') })),
};
const volumeMount: MessageSchema = {
  1: str('name'),
  2: bool('readOnly'),
  7: strPtr('recursiveReadOnly'),
  3: str('mountPath'),
  4: str('subPath'),
  5: strPtr('mountPropagation'),
  6: str('subPathExpr'),
};
const volumeDevice: MessageSchema = { 1: str('name'), 2: str('devicePath') };
const httpHeader: MessageSchema = { 1: str('name'), 2: str('value') };
const execAction: MessageSchema = { 1: strs('command') };
const httpGetAction: MessageSchema = {
  1: str('path'),
  2: intOrString('port'),
  3: str('host'),
  4: str('scheme'),
  5: msg('httpHeaders', () => httpHeader, true),
};
const tcpSocketAction: MessageSchema = { 1: intOrString('port'), 2: str('host') };
const grpcAction: MessageSchema = { 1: intPtr('port'), 2: strPtr('service') };
const probeHandler: MessageSchema = {
  1: ptr('exec', () => execAction),
  2: ptr('httpGet', () => httpGetAction),
  3: ptr('tcpSocket', () => tcpSocketAction),
  4: ptr('grpc', () => grpcAction),
};
const probe: MessageSchema = {
  1: inline('handler', () => probeHandler),
  2: int('initialDelaySeconds'),
  3: int('timeoutSeconds'),
  4: int('periodSeconds'),
  5: int('successThreshold'),
  6: int('failureThreshold'),
  7: intPtr('terminationGracePeriodSeconds'),
};
const lifecycleHandler: MessageSchema = {
  1: ptr('exec', () => execAction),
  2: ptr('httpGet', () => httpGetAction),
  3: ptr('tcpSocket', () => tcpSocketAction),
  4: ptr('sleep', () => ({ 1: intPtr('seconds') })),
};
const lifecycle: MessageSchema = {
  1: ptr('postStart', () => lifecycleHandler),
  2: ptr('preStop', () => lifecycleHandler),
  3: strPtr('stopSignal'),
};
export const container: MessageSchema = {
  1: str('name'),
  2: str('image'),
  3: strs('command'),
  4: strs('args'),
  5: str('workingDir'),
  6: msg('ports', () => containerPort, true),
  19: msg('envFrom', () => envFromSource, true),
  7: msg('env', () => envVar, true),
  8: msg('resources', () => resourceRequirements),
  23: msg('resizePolicy', () => containerResizePolicy, true),
  24: strPtr('restartPolicy'),
  25: msg('restartPolicyRules', () => containerRestartRule, true),
  9: msg('volumeMounts', () => volumeMount, true),
  21: msg('volumeDevices', () => volumeDevice, true),
  10: ptr('livenessProbe', () => probe),
  11: ptr('readinessProbe', () => probe),
  22: ptr('startupProbe', () => probe),
  12: ptr('lifecycle', () => lifecycle),
  13: str('terminationMessagePath'),
  20: str('terminationMessagePolicy'),
  14: str('imagePullPolicy'),
  15: ptr('securityContext', () => securityContext),
  16: bool('stdin'),
  17: bool('stdinOnce'),
  18: bool('tty'),
};
const ephemeralContainer: MessageSchema = {
  1: inline('ephemeralContainerCommon', () => container),
  2: str('targetContainerName'),
};

// Volumes.
const keyToPath: MessageSchema = { 1: str('key'), 2: str('path'), 3: intPtr('mode') };
const downwardAPIVolumeFile: MessageSchema = {
  1: str('path'),
  2: ptr('fieldRef', () => objectFieldSelector),
  3: ptr('resourceFieldRef', () => resourceFieldSelector),
  4: intPtr('mode'),
};
const volumeProjection: MessageSchema = {
  1: ptr('secret', () => ({
    1: inline('localObjectReference', () => localObjectReference),
    2: msg('items', () => keyToPath, true),
    4: boolPtr('optional'),
  })),
  2: ptr('downwardAPI', () => ({ 1: msg('items', () => downwardAPIVolumeFile, true) })),
  3: ptr('configMap', () => ({
    1: inline('localObjectReference', () => localObjectReference),
    2: msg('items', () => keyToPath, true),
    4: boolPtr('optional'),
  })),
  4: ptr('serviceAccountToken', () => ({ 1: str('audience'), 2: intPtr('expirationSeconds'), 3: str('path') })),
  5: ptr('clusterTrustBundle', () => ({
    1: strPtr('name'),
    2: strPtr('signerName'),
    3: ptr('labelSelector', () => labelSelector),
    5: boolPtr('optional'),
    4: str('path'),
  })),
  6: ptr('podCertificate', () => ({
    1: str('signerName'),
    2: str('keyType'),
    3: intPtr('maxExpirationSeconds'),
    4: str('credentialBundlePath'),
    5: str('keyPath'),
    6: str('certificateChainPath'),
    7: strMap('userAnnotations'),
  })),
};
const nodeSelectorRequirement: MessageSchema = { 1: str('key'), 2: str('operator'), 3: strs('values') };
const nodeSelectorTerm: MessageSchema = {
  1: msg('matchExpressions', () => nodeSelectorRequirement, true),
  2: msg('matchFields', () => nodeSelectorRequirement, true),
};
const nodeSelector: MessageSchema = { 1: msg('nodeSelectorTerms', () => nodeSelectorTerm, true) };
export const persistentVolumeClaimSpec: MessageSchema = {
  1: strs('accessModes'),
  4: ptr('selector', () => labelSelector),
  2: msg('resources', () => ({ 1: quantities('limits'), 2: quantities('requests') })),
  3: str('volumeName'),
  5: strPtr('storageClassName'),
  6: strPtr('volumeMode'),
  7: ptr('dataSource', () => typedLocalObjectReference),
  8: ptr('dataSourceRef', () => typedObjectReference),
  9: strPtr('volumeAttributesClassName'),
};
const secretRef = () => localObjectReference;
/** VolumeSource, inlined in Volume. */
const volumeSource: MessageSchema = {
  1: ptr('hostPath', () => ({ 1: str('path'), 2: strPtr('type') })),
  2: ptr('emptyDir', () => ({ 1: str('medium'), 2: quantity('sizeLimit') })),
  3: ptr('gcePersistentDisk', () => ({ 1: str('pdName'), 2: str('fsType'), 3: int('partition'), 4: bool('readOnly') })),
  4: ptr('awsElasticBlockStore', () => ({
    1: str('volumeID'),
    2: str('fsType'),
    3: int('partition'),
    4: bool('readOnly'),
  })),
  5: ptr('gitRepo', () => ({ 1: str('repository'), 2: str('revision'), 3: str('directory') })),
  6: ptr('secret', () => ({
    1: str('secretName'),
    2: msg('items', () => keyToPath, true),
    3: intPtr('defaultMode'),
    4: boolPtr('optional'),
  })),
  7: ptr('nfs', () => ({ 1: str('server'), 2: str('path'), 3: bool('readOnly') })),
  8: ptr('iscsi', () => ({
    1: str('targetPortal'),
    2: str('iqn'),
    3: intPtr('lun'),
    4: str('iscsiInterface'),
    5: str('fsType'),
    6: bool('readOnly'),
    7: strs('portals'),
    8: bool('chapAuthDiscovery'),
    11: bool('chapAuthSession'),
    10: ptr('secretRef', secretRef),
    12: strPtr('initiatorName'),
  })),
  9: ptr('glusterfs', () => ({ 1: str('endpoints'), 2: str('path'), 3: bool('readOnly') })),
  10: ptr('persistentVolumeClaim', () => ({ 1: str('claimName'), 2: bool('readOnly') })),
  11: ptr('rbd', () => ({
    1: strs('monitors'),
    2: str('image'),
    3: str('fsType'),
    4: str('pool'),
    5: str('user'),
    6: str('keyring'),
    7: ptr('secretRef', secretRef),
    8: bool('readOnly'),
  })),
  12: ptr('flexVolume', () => ({
    1: str('driver'),
    2: str('fsType'),
    3: ptr('secretRef', secretRef),
    4: bool('readOnly'),
    5: strMap('options'),
  })),
  13: ptr('cinder', () => ({
    1: str('volumeID'),
    2: str('fsType'),
    3: bool('readOnly'),
    4: ptr('secretRef', secretRef),
  })),
  14: ptr('cephfs', () => ({
    1: strs('monitors'),
    2: str('path'),
    3: str('user'),
    4: str('secretFile'),
    5: ptr('secretRef', secretRef),
    6: bool('readOnly'),
  })),
  15: ptr('flocker', () => ({ 1: str('datasetName'), 2: str('datasetUUID') })),
  16: ptr('downwardAPI', () => ({ 1: msg('items', () => downwardAPIVolumeFile, true), 2: intPtr('defaultMode') })),
  17: ptr('fc', () => ({
    1: strs('targetWWNs'),
    2: intPtr('lun'),
    3: str('fsType'),
    4: bool('readOnly'),
    5: strs('wwids'),
  })),
  18: ptr('azureFile', () => ({ 1: str('secretName'), 2: str('shareName'), 3: bool('readOnly') })),
  19: ptr('configMap', () => ({
    1: inline('localObjectReference', () => localObjectReference),
    2: msg('items', () => keyToPath, true),
    3: intPtr('defaultMode'),
    4: boolPtr('optional'),
  })),
  20: ptr('vsphereVolume', () => ({
    1: str('volumePath'),
    2: str('fsType'),
    3: str('storagePolicyName'),
    4: str('storagePolicyID'),
  })),
  21: ptr('quobyte', () => ({
    1: str('registry'),
    2: str('volume'),
    3: bool('readOnly'),
    4: str('user'),
    5: str('group'),
    6: str('tenant'),
  })),
  22: ptr('azureDisk', () => ({
    1: str('diskName'),
    2: str('diskURI'),
    3: strPtr('cachingMode'),
    4: strPtr('fsType'),
    5: boolPtr('readOnly'),
    6: strPtr('kind'),
  })),
  23: ptr('photonPersistentDisk', () => ({ 1: str('pdID'), 2: str('fsType') })),
  26: ptr('projected', () => ({ 1: msg('sources', () => volumeProjection, true), 2: intPtr('defaultMode') })),
  24: ptr('portworxVolume', () => ({ 1: str('volumeID'), 2: str('fsType'), 3: bool('readOnly') })),
  25: ptr('scaleIO', () => ({
    1: str('gateway'),
    2: str('system'),
    3: ptr('secretRef', secretRef),
    4: bool('sslEnabled'),
    5: str('protectionDomain'),
    6: str('storagePool'),
    7: str('storageMode'),
    8: str('volumeName'),
    9: str('fsType'),
    10: bool('readOnly'),
  })),
  27: ptr('storageos', () => ({
    1: str('volumeName'),
    2: str('volumeNamespace'),
    3: str('fsType'),
    4: bool('readOnly'),
    5: ptr('secretRef', secretRef),
  })),
  28: ptr('csi', () => ({
    1: str('driver'),
    2: boolPtr('readOnly'),
    3: strPtr('fsType'),
    4: strMap('volumeAttributes'),
    5: ptr('nodePublishSecretRef', secretRef),
  })),
  29: ptr('ephemeral', () => ({
    1: ptr('volumeClaimTemplate', () => ({
      1: msg('metadata', () => objectMeta),
      2: msg('spec', () => persistentVolumeClaimSpec),
    })),
  })),
  30: ptr('image', () => ({ 1: str('reference'), 2: str('pullPolicy') })),
};
const volume: MessageSchema = { 1: str('name'), 2: inline('volumeSource', () => volumeSource) };

// Scheduling.
const podAffinityTerm: MessageSchema = {
  1: ptr('labelSelector', () => labelSelector),
  2: strs('namespaces'),
  3: str('topologyKey'),
  4: ptr('namespaceSelector', () => labelSelector),
  5: strs('matchLabelKeys'),
  6: strs('mismatchLabelKeys'),
};
const weightedPodAffinityTerm: MessageSchema = {
  1: intPtr('weight'),
  2: msg('podAffinityTerm', () => podAffinityTerm),
};
const podAffinity: MessageSchema = {
  1: msg('requiredDuringSchedulingIgnoredDuringExecution', () => podAffinityTerm, true),
  2: msg('preferredDuringSchedulingIgnoredDuringExecution', () => weightedPodAffinityTerm, true),
};
const affinity: MessageSchema = {
  1: ptr('nodeAffinity', () => ({
    1: ptr('requiredDuringSchedulingIgnoredDuringExecution', () => nodeSelector),
    2: msg(
      'preferredDuringSchedulingIgnoredDuringExecution',
      () => ({ 1: intPtr('weight'), 2: msg('preference', () => nodeSelectorTerm) }),
      true,
    ),
  })),
  2: ptr('podAffinity', () => podAffinity),
  3: ptr('podAntiAffinity', () => podAffinity),
};
const toleration: MessageSchema = {
  1: str('key'),
  2: str('operator'),
  3: str('value'),
  4: str('effect'),
  5: intPtr('tolerationSeconds'),
};
const topologySpreadConstraint: MessageSchema = {
  1: intPtr('maxSkew'),
  2: str('topologyKey'),
  3: str('whenUnsatisfiable'),
  4: ptr('labelSelector', () => labelSelector),
  5: intPtr('minDomains'),
  6: strPtr('nodeAffinityPolicy'),
  7: strPtr('nodeTaintsPolicy'),
  8: strs('matchLabelKeys'),
};

export const podSpec: MessageSchema = {
  1: msg('volumes', () => volume, true),
  20: msg('initContainers', () => container, true),
  2: msg('containers', () => container, true),
  34: msg('ephemeralContainers', () => ephemeralContainer, true),
  3: str('restartPolicy'),
  4: intPtr('terminationGracePeriodSeconds'),
  5: intPtr('activeDeadlineSeconds'),
  6: str('dnsPolicy'),
  7: strMap('nodeSelector'),
  8: str('serviceAccountName'),
  9: str('serviceAccount'),
  21: boolPtr('automountServiceAccountToken'),
  10: str('nodeName'),
  11: bool('hostNetwork'),
  12: bool('hostPID'),
  13: bool('hostIPC'),
  27: boolPtr('shareProcessNamespace'),
  14: ptr('securityContext', () => podSecurityContext),
  15: msg('imagePullSecrets', () => localObjectReference, true),
  16: str('hostname'),
  17: str('subdomain'),
  18: ptr('affinity', () => affinity),
  19: str('schedulerName'),
  22: msg('tolerations', () => toleration, true),
  23: msg('hostAliases', () => ({ 1: str('ip'), 2: strs('hostnames') }), true),
  24: str('priorityClassName'),
  25: intPtr('priority'),
  26: ptr('dnsConfig', () => ({
    1: strs('nameservers'),
    2: strs('searches'),
    3: msg('options', () => ({ 1: str('name'), 2: strPtr('value') }), true),
  })),
  28: msg('readinessGates', () => ({ 1: str('conditionType') }), true),
  29: strPtr('runtimeClassName'),
  30: boolPtr('enableServiceLinks'),
  31: strPtr('preemptionPolicy'),
  32: quantities('overhead'),
  33: msg('topologySpreadConstraints', () => topologySpreadConstraint, true),
  35: boolPtr('setHostnameAsFQDN'),
  36: ptr('os', () => ({ 1: str('name') })),
  37: boolPtr('hostUsers'),
  38: msg('schedulingGates', () => ({ 1: str('name') }), true),
  39: msg(
    'resourceClaims',
    () => ({ 1: str('name'), 3: strPtr('resourceClaimName'), 4: strPtr('resourceClaimTemplateName') }),
    true,
  ),
  40: ptr('resources', () => resourceRequirements),
  41: strPtr('hostnameOverride'),
  42: ptr('workloadRef', () => ({ 1: str('name'), 2: str('podGroup'), 3: str('podGroupReplicaKey') })),
};

// Status.
const containerState: MessageSchema = {
  1: ptr('waiting', () => ({ 1: str('reason'), 2: str('message') })),
  2: ptr('running', () => ({ 1: time('startedAt') })),
  3: ptr('terminated', () => ({
    1: intPtr('exitCode'),
    2: int('signal'),
    3: str('reason'),
    4: str('message'),
    5: time('startedAt'),
    6: time('finishedAt'),
    7: str('containerID'),
  })),
};
const containerStatus: MessageSchema = {
  1: str('name'),
  2: msg('state', () => containerState),
  3: msg('lastState', () => containerState),
  4: boolPtr('ready'),
  5: intPtr('restartCount'),
  6: strPtr('image'),
  7: strPtr('imageID'),
  8: str('containerID'),
  9: boolPtr('started'),
  10: quantities('allocatedResources'),
  11: ptr('resources', () => resourceRequirements),
  12: msg(
    'volumeMounts',
    () => ({ 1: str('name'), 2: str('mountPath'), 3: bool('readOnly'), 4: strPtr('recursiveReadOnly') }),
    true,
  ),
  13: ptr('user', () => ({
    1: ptr('linux', () => ({ 1: intPtr('uid'), 2: intPtr('gid'), 3: ints('supplementalGroups') })),
  })),
  14: msg(
    'allocatedResourcesStatus',
    () => ({
      1: str('name'),
      2: msg('resources', () => ({ 1: str('resourceID'), 2: str('health'), 6: strPtr('message') }), true),
    }),
    true,
  ),
  15: strPtr('stopSignal'),
};
const podCondition: MessageSchema = {
  1: str('type'),
  7: int('observedGeneration'),
  2: str('status'),
  3: time('lastProbeTime'),
  4: time('lastTransitionTime'),
  5: str('reason'),
  6: str('message'),
};
export const podStatus: MessageSchema = {
  17: int('observedGeneration'),
  1: str('phase'),
  2: msg('conditions', () => podCondition, true),
  3: str('message'),
  4: str('reason'),
  11: str('nominatedNodeName'),
  5: str('hostIP'),
  16: msg('hostIPs', () => ({ 1: str('ip') }), true),
  6: str('podIP'),
  12: msg('podIPs', () => ({ 1: str('ip') }), true),
  7: time('startTime'),
  10: msg('initContainerStatuses', () => containerStatus, true),
  8: msg('containerStatuses', () => containerStatus, true),
  9: str('qosClass'),
  13: msg('ephemeralContainerStatuses', () => containerStatus, true),
  14: str('resize'),
  15: msg('resourceClaimStatuses', () => ({ 1: str('name'), 2: strPtr('resourceClaimName') }), true),
  18: ptr('extendedResourceClaimStatus', () => ({
    1: msg('requestMappings', () => ({ 1: str('containerName'), 2: str('resourceName'), 3: str('requestName') }), true),
    2: str('resourceClaimName'),
  })),
  19: quantities('allocatedResources'),
  20: ptr('resources', () => resourceRequirements),
};

export const pod: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => podSpec),
  3: msg('status', () => podStatus),
};
