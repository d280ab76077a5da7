// core/v1 (k8s.io/api/core/v1/types.go): the subset of core objects mkube serves, field for field.
import type { PodCertificateKeyType } from './certificates.js';
import type { KubeObject, LabelSelector, MicroTime, ObjectMeta, Quantity, Time } from './meta.js';
import type { PreemptionPolicy } from './scheduling.js';

export type CoreConditionStatus = 'True' | 'False' | 'Unknown';

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface LocalObjectReference {
  name?: string;
}

// Namespace

export type NamespacePhase = 'Active' | 'Terminating';

export interface NamespaceCondition {
  type: string;
  status: CoreConditionStatus;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: NamespacePhase; conditions?: NamespaceCondition[] };
}

// Secret, ConfigMap, ServiceAccount

export type SecretType =
  | 'Opaque'
  | 'kubernetes.io/service-account-token'
  | 'kubernetes.io/dockercfg'
  | 'kubernetes.io/dockerconfigjson'
  | 'kubernetes.io/basic-auth'
  | 'kubernetes.io/ssh-auth'
  | 'kubernetes.io/tls'
  | 'bootstrap.kubernetes.io/token'
  | (string & {});

export interface Secret extends KubeObject {
  immutable?: boolean;
  /** Values are standard base64 (Go []byte). */
  data?: Record<string, string>;
  /** Write-only convenience: merged into `data` on write, never returned. */
  stringData?: Record<string, string>;
  type?: SecretType;
}

export interface ConfigMap extends KubeObject {
  immutable?: boolean;
  data?: Record<string, string>;
  /** Values are standard base64. */
  binaryData?: Record<string, string>;
}

export interface ServiceAccount extends KubeObject {
  secrets?: ObjectReference[];
  imagePullSecrets?: LocalObjectReference[];
  automountServiceAccountToken?: boolean;
}

// Node

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: Time;
}

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  providerID?: string;
  unschedulable?: boolean;
  taints?: Taint[];
}

export type NodeAddressType = 'Hostname' | 'InternalIP' | 'ExternalIP' | 'InternalDNS' | 'ExternalDNS';

export interface NodeAddress {
  type: NodeAddressType;
  address: string;
}

export type NodeConditionType = 'Ready' | 'MemoryPressure' | 'DiskPressure' | 'PIDPressure' | 'NetworkUnavailable';

export interface NodeCondition {
  type: NodeConditionType | (string & {});
  status: CoreConditionStatus;
  lastHeartbeatTime?: Time;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

export interface NodeDaemonEndpoints {
  kubeletEndpoint?: { Port: number };
}

export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion?: string;
  operatingSystem: string;
  architecture: string;
}

export type ResourceList = Record<string, Quantity>;

export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  phase?: string;
  conditions?: NodeCondition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: NodeDaemonEndpoints;
  nodeInfo?: NodeSystemInfo;
}

export interface Node extends KubeObject {
  spec?: NodeSpec;
  status?: NodeStatus;
}

// Pod

/** v1.MirrorPodAnnotationKey: a static pod's mirror in the API carries its kubelet-side uid here. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** v1.TerminationMessagePathDefault. */
export const TERMINATION_MESSAGE_PATH_DEFAULT = '/dev/termination-log';

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface SecretVolumeSource {
  secretName?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface ConfigMapVolumeSource {
  name?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface ServiceAccountTokenProjection {
  audience?: string;
  expirationSeconds?: number;
  path: string;
}

/**
 * A ClusterTrustBundle's certificates as one file (gate ClusterTrustBundleProjection): one bundle by
 * name, or every bundle of a signer that the label selector matches (null matches none, `{}` all).
 */
export interface ClusterTrustBundleProjection {
  name?: string;
  signerName?: string;
  labelSelector?: LabelSelector;
  optional?: boolean;
  path: string;
}

/**
 * A certificate for the pod from a PodCertificateRequest signer (gate PodCertificateRequest): the kubelet
 * makes the key, asks, and keeps the files fresh. At least one of the three paths.
 */
export interface PodCertificateProjection {
  signerName: string;
  keyType: PodCertificateKeyType | (string & {});
  maxExpirationSeconds?: number;
  /** The PKCS#8 key then the chain, leaf first, in one file. */
  credentialBundlePath?: string;
  keyPath?: string;
  certificateChainPath?: string;
  /** 1.35: copied into the request's spec.unverifiedUserAnnotations. */
  userAnnotations?: Record<string, string>;
}

export interface VolumeProjection {
  secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  serviceAccountToken?: ServiceAccountTokenProjection;
  downwardAPI?: { items?: { path: string; fieldRef?: { apiVersion?: string; fieldPath: string }; mode?: number }[] };
  clusterTrustBundle?: ClusterTrustBundleProjection;
  podCertificate?: PodCertificateProjection;
}

/** The volume sources mkube's types spell out; every other core/v1 source stays an open object. */
export const VOLUME_SOURCE_NAMES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;

export type VolumeSourceName = (typeof VOLUME_SOURCE_NAMES)[number];

export interface Volume {
  name: string;
  secret?: SecretVolumeSource;
  configMap?: ConfigMapVolumeSource;
  projected?: { sources: VolumeProjection[]; defaultMode?: number };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: { medium?: string; sizeLimit?: Quantity };
  hostPath?: { path: string; type?: string };
  downwardAPI?: {
    items?: { path: string; fieldRef?: { apiVersion?: string; fieldPath: string }; mode?: number }[];
    defaultMode?: number;
  };
  /** The other sources (nfs, csi, ephemeral, iscsi…): kept as sent; PodSecurity's restricted level looks at which is set. */
  [source: string]: unknown;
}

export interface EnvVarSource {
  fieldRef?: { apiVersion?: string; fieldPath: string };
  configMapKeyRef?: { name?: string; key: string; optional?: boolean };
  secretKeyRef?: { name?: string; key: string; optional?: boolean };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

export interface ContainerPort {
  name?: string;
  hostPort?: number;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  hostIP?: string;
}

export interface VolumeMount {
  name: string;
  readOnly?: boolean;
  mountPath: string;
  subPath?: string;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  imagePullPolicy?: 'Always' | 'Never' | 'IfNotPresent';
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  resources?: { limits?: ResourceList; requests?: ResourceList };
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  /** Init containers only: Always makes it a restartable init container (a sidecar). */
  restartPolicy?: 'Always';
  lifecycle?: Lifecycle;
  /** Where the container may write why it ended; defaults to /dev/termination-log. */
  terminationMessagePath?: string;
  /** File (the default) or FallbackToLogsOnError: the log's tail when the file is empty and it failed. */
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

/** core/v1 LifecycleHandler: what a postStart or preStop hook does (exactly one). */
export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  /** Deprecated upstream and not run by the kubelet. */
  tcpSocket?: TCPSocketAction;
  sleep?: { seconds: number };
}

export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
}

// Container probes (core/v1 Probe and its handlers): the kubelet runs them; exactly one handler each.

export interface ExecAction {
  command?: string[];
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPGetAction {
  path?: string;
  /** A number, or the name of one of the container's ports. */
  port: number | string;
  /** Defaults to the pod IP. */
  host?: string;
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: HTTPHeader[];
}

export interface TCPSocketAction {
  port: number | string;
  host?: string;
}

export interface GRPCAction {
  port: number;
  /** The service name in the grpc.health.v1 request (empty: the server's overall health). */
  service?: string;
}

export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

// Security contexts (core/v1 SecurityContext, PodSecurityContext and their parts). mkube's kubelet
// runs containers as host processes and enforces none of these; the apiserver validates them and
// PodSecurity admission judges them.

export type Capability = string;

export interface Capabilities {
  add?: Capability[];
  drop?: Capability[];
}

export interface SELinuxOptions {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

export type SeccompProfileType = 'Unconfined' | 'RuntimeDefault' | 'Localhost';

export interface SeccompProfile {
  type: SeccompProfileType | (string & {});
  localhostProfile?: string;
}

export type AppArmorProfileType = 'Unconfined' | 'RuntimeDefault' | 'Localhost';

export interface AppArmorProfile {
  type: AppArmorProfileType | (string & {});
  localhostProfile?: string;
}

export interface WindowsSecurityContextOptions {
  gmsaCredentialSpecName?: string;
  gmsaCredentialSpec?: string;
  runAsUserName?: string;
  hostProcess?: boolean;
}

export type ProcMountType = 'Default' | 'Unmasked';

export interface SecurityContext {
  capabilities?: Capabilities;
  privileged?: boolean;
  seLinuxOptions?: SELinuxOptions;
  windowsOptions?: WindowsSecurityContextOptions;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  procMount?: ProcMountType | (string & {});
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
}

export interface Sysctl {
  name: string;
  value: string;
}

export interface PodSecurityContext {
  seLinuxOptions?: SELinuxOptions;
  windowsOptions?: WindowsSecurityContextOptions;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  supplementalGroupsPolicy?: 'Merge' | 'Strict' | (string & {});
  fsGroup?: number;
  sysctls?: Sysctl[];
  fsGroupChangePolicy?: 'OnRootMismatch' | 'Always' | (string & {});
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
  seLinuxChangePolicy?: string;
}

/** An ephemeral container (pods/ephemeralcontainers): a Container plus the one it targets. */
export interface EphemeralContainer extends Container {
  targetContainerName?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: TaintEffect;
  tolerationSeconds?: number;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  volumes?: Volume[];
  initContainers?: Container[];
  containers: Container[];
  restartPolicy?: RestartPolicy;
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  /** Deprecated alias of serviceAccountName. */
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  nodeName?: string;
  /** Names that hold the pod back from scheduling until each is removed. */
  schedulingGates?: PodSchedulingGate[];
  affinity?: Affinity;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  /** RuntimeClass overhead, added to the containers' requests when the pod is placed. */
  overhead?: ResourceList;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostUsers?: boolean;
  shareProcessNamespace?: boolean;
  securityContext?: PodSecurityContext;
  ephemeralContainers?: EphemeralContainer[];
  runtimeClassName?: string;
  os?: { name: string };
  imagePullSecrets?: LocalObjectReference[];
  hostname?: string;
  /** With hostname, the pod's DNS name `<hostname>.<subdomain>.<namespace>.svc` (a StatefulSet's serviceName). */
  subdomain?: string;
  tolerations?: Toleration[];
  /** A PriorityClass's name; Priority admission fills in the default class when empty. */
  priorityClassName?: string;
  /** Set by Priority admission from the class: a pod may give it only if it is the same. */
  priority?: number;
  /** PreemptLowerPriority or Never, from the class as priority is (any string until validated). */
  preemptionPolicy?: PreemptionPolicy | (string & {});
  schedulerName?: string;
  /** ClusterFirst (the default), ClusterFirstWithHostNet, Default or None. */
  dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  /** The resolver settings; required, with a nameserver, when dnsPolicy is None. */
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name?: string; value?: string }[] };
  /** Whether Service environment variables are injected; defaults to true. */
  enableServiceLinks?: boolean;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export type PodConditionType =
  | 'PodScheduled'
  | 'PodReadyToStartContainers'
  | 'Initialized'
  | 'ContainersReady'
  | 'Ready';

export interface PodCondition {
  type: PodConditionType | (string & {});
  status: CoreConditionStatus;
  lastProbeTime?: Time | null;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: Time };
  terminated?: {
    exitCode: number;
    signal?: number;
    reason?: string;
    message?: string;
    startedAt?: Time;
    finishedAt?: Time;
    containerID?: string;
  };
}

export interface ContainerStatus {
  name: string;
  state?: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
}

export interface PodIP {
  ip: string;
}

export interface PodSchedulingGate {
  name: string;
}

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator | (string & {});
  values?: string[];
}

/** Requirements ANDed; an empty term matches no node. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  /** Only `metadata.name` is a field a node can be selected by. */
  matchFields?: NodeSelectorRequirement[];
}

/** Terms ORed. */
export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

/**
 * Pods matched by labelSelector in the term's namespaces (none and no namespaceSelector: the pod's
 * own), counted per value of topologyKey on their nodes. matchLabelKeys/mismatchLabelKeys take the
 * pod's own values for those keys into the selector (as `In` / `NotIn`).
 */
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
  namespaceSelector?: LabelSelector;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

/** PodAffinity and PodAntiAffinity have the same shape. */
export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

export interface Affinity {
  nodeAffinity?: NodeAffinity;
  podAffinity?: PodAffinity;
  podAntiAffinity?: PodAffinity;
}

export type NodeInclusionPolicy = 'Honor' | 'Ignore';

/** How unevenly matching pods may spread over the values of topologyKey (maxSkew), and what to do if not. */
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: LabelSelector;
  minDomains?: number;
  /** Honor (default): only nodes the pod's node affinity/selector admits count as domains. */
  nodeAffinityPolicy?: NodeInclusionPolicy;
  /** Ignore (default): tainted nodes count as domains whatever the pod tolerates. */
  nodeTaintsPolicy?: NodeInclusionPolicy;
  matchLabelKeys?: string[];
}

export interface PodStatus {
  phase?: PodPhase;
  /** The node a preempting scheduler made room on (mkube's scheduler does not preempt). */
  nominatedNodeName?: string;
  conditions?: PodCondition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  hostIPs?: PodIP[];
  podIP?: string;
  podIPs?: PodIP[];
  startTime?: Time;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  ephemeralContainerStatuses?: ContainerStatus[];
}

/** core/v1 PodTemplateSpec: the pods a workload controller creates (apps/v1, batch/v1). */
export interface PodTemplateSpec {
  metadata?: Partial<ObjectMeta>;
  spec?: PodSpec;
}

/** core/v1 PodTemplate: a template stored on its own (`kubectl get podtemplates`). */
export interface PodTemplate extends KubeObject {
  template?: PodTemplateSpec;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: PodStatus;
}

/** core/v1 Binding (pods/binding). */
export interface Binding extends KubeObject {
  target: ObjectReference;
}

// Event (core/v1)

export interface EventSource {
  component?: string;
  host?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface Event extends KubeObject {
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: EventSource;
  firstTimestamp?: Time | null;
  lastTimestamp?: Time | null;
  count?: number;
  type?: EventType | (string & {});
  eventTime?: MicroTime | null;
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
  related?: ObjectReference;
  series?: { count?: number; lastObservedTime?: MicroTime };
}

/** Query parameters of `GET …/pods/{name}/log`. */
export interface PodLogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  sinceSeconds?: number;
  sinceTime?: Time;
  timestamps?: boolean;
  tailLines?: number;
  limitBytes?: number;
  insecureSkipTLSVerifyBackend?: boolean;
}

/** Query parameters of `…/pods/{name}/exec` (`command` repeats). */
export interface PodExecOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
  container?: string;
  command: string[];
}

// Service, Endpoints

/** A port number or a named port (k8s.io/apimachinery intstr.IntOrString). */
export type IntOrString = number | string;

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type IPFamily = 'IPv4' | 'IPv6';
export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
export type ServiceTrafficPolicy = 'Cluster' | 'Local';

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  appProtocol?: string;
  port: number;
  targetPort?: IntOrString;
  nodePort?: number;
}

export interface SessionAffinityConfig {
  clientIP?: { timeoutSeconds?: number };
}

export interface ServiceSpec {
  ports?: ServicePort[];
  selector?: Record<string, string>;
  /** "None" for a headless Service. */
  clusterIP?: string;
  clusterIPs?: string[];
  type?: ServiceType;
  externalIPs?: string[];
  sessionAffinity?: 'None' | 'ClientIP';
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  externalName?: string;
  externalTrafficPolicy?: ServiceTrafficPolicy;
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  sessionAffinityConfig?: SessionAffinityConfig;
  ipFamilies?: IPFamily[];
  ipFamilyPolicy?: IPFamilyPolicy;
  allocateLoadBalancerNodePorts?: boolean;
  loadBalancerClass?: string;
  internalTrafficPolicy?: ServiceTrafficPolicy;
  trafficDistribution?: string;
}

export interface PortStatus {
  port: number;
  protocol: Protocol;
  error?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: 'VIP' | 'Proxy';
  ports?: PortStatus[];
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
  conditions?: {
    type: string;
    status: CoreConditionStatus;
    observedGeneration?: number;
    lastTransitionTime: Time;
    reason: string;
    message: string;
  }[];
}

export interface Service extends KubeObject {
  spec?: ServiceSpec;
  status?: ServiceStatus;
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: Protocol;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

/** v1 ComponentStatus (deprecated in v1.19+): a control plane component's health as the apiserver probes it. */
export interface ComponentCondition {
  type: 'Healthy';
  status: 'True' | 'False' | 'Unknown';
  message?: string;
  error?: string;
}

export interface ComponentStatus extends KubeObject {
  conditions?: ComponentCondition[];
}

// LimitRange and ResourceQuota: per-namespace resource policy, enforced at admission.

/** Which object a LimitRangeItem constrains: each container, a pod's sum, or a claim's storage. */
export type LimitType = 'Pod' | 'Container' | 'PersistentVolumeClaim';

export interface LimitRangeItem {
  type: LimitType;
  max?: ResourceList;
  min?: ResourceList;
  /** The limit a container gets when it names none (Container type only). */
  default?: ResourceList;
  /** The request a container gets when it names none (Container type only). */
  defaultRequest?: ResourceList;
  /** The largest limit/request ratio allowed per resource. */
  maxLimitRequestRatio?: ResourceList;
}

export interface LimitRangeSpec {
  limits: LimitRangeItem[];
}

export interface LimitRange extends KubeObject {
  spec?: LimitRangeSpec;
}

/** The pod classes a quota can be narrowed to (k8s.io/api core/v1 ResourceQuotaScope). */
export type ResourceQuotaScope =
  | 'Terminating'
  | 'NotTerminating'
  | 'BestEffort'
  | 'NotBestEffort'
  | 'PriorityClass'
  | 'CrossNamespacePodAffinity'
  | 'VolumeAttributesClass';

export type ScopeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface ScopedResourceSelectorRequirement {
  scopeName: ResourceQuotaScope;
  operator: ScopeSelectorOperator;
  values?: string[];
}

export interface ScopeSelector {
  matchExpressions?: ScopedResourceSelectorRequirement[];
}

export interface ResourceQuotaSpec {
  hard?: ResourceList;
  scopes?: ResourceQuotaScope[];
  scopeSelector?: ScopeSelector;
}

export interface ResourceQuotaStatus {
  hard?: ResourceList;
  used?: ResourceList;
}

export interface ResourceQuota extends KubeObject {
  spec?: ResourceQuotaSpec;
  status?: ResourceQuotaStatus;
}
