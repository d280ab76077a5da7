// KubeletConfiguration (kubelet.config.k8s.io/v1beta1): the fields mkube's kubelet takes, each as
// the flag it stands for with upstream's default (SetDefaults_KubeletConfiguration, which applies
// to an absent or zero field), and every other field of the type, accepted and ignored.
import { DEFAULT_STREAMING_IDLE_TIMEOUT_MS } from '../server/idle.js';

export const GROUP_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const KIND = 'KubeletConfiguration';

/** nodeStatusReportFrequency's key among the flag values: the kubelet has no such flag. */
export const NODE_STATUS_REPORT_FREQUENCY = 'node-status-report-frequency';
/** The handlers' switches with no flag upstream: the file is the only way to set them. */
export const ENABLE_SYSTEM_LOG_HANDLER = 'enable-system-log-handler';
export const ENABLE_PROFILING_HANDLER = 'enable-profiling-handler';
export const ENABLE_DEBUG_FLAGS_HANDLER = 'enable-debug-flags-handler';

/** nodeStatusReportFrequency when neither it nor nodeStatusUpdateFrequency is set. */
export const DEFAULT_NODE_STATUS_REPORT_FREQUENCY_MS = 5 * 60_000;

/** How a field is decoded: its JSON shape, as Go's decoder checks it. */
export type FieldType = 'string' | 'path' | 'bool' | 'int32' | 'duration' | 'strings' | 'boolMap';

export interface MappedField {
  readonly flag: string;
  readonly type: FieldType;
  /** The v1beta1 default for an absent or zero value; absent: the zero value stands. */
  readonly default?: string | boolean | number;
}

/** Field path (dotted) → the flag it sets. The objects on the way are decoded strictly too. */
export const MAPPED_FIELDS: Readonly<Record<string, MappedField>> = {
  address: { flag: 'address', type: 'string', default: '0.0.0.0' },
  port: { flag: 'port', type: 'int32', default: 10250 },
  tlsCertFile: { flag: 'tls-cert-file', type: 'path' },
  tlsPrivateKeyFile: { flag: 'tls-private-key-file', type: 'path' },
  tlsCipherSuites: { flag: 'tls-cipher-suites', type: 'strings' },
  tlsMinVersion: { flag: 'tls-min-version', type: 'string' },
  rotateCertificates: { flag: 'rotate-certificates', type: 'bool', default: false },
  serverTLSBootstrap: { flag: 'rotate-server-certificates', type: 'bool', default: false },
  'authentication.x509.clientCAFile': { flag: 'client-ca-file', type: 'path' },
  'authentication.webhook.enabled': { flag: 'authentication-token-webhook', type: 'bool', default: true },
  'authentication.webhook.cacheTTL': {
    flag: 'authentication-token-webhook-cache-ttl',
    type: 'duration',
    default: 120_000,
  },
  'authentication.anonymous.enabled': { flag: 'anonymous-auth', type: 'bool', default: false },
  'authorization.mode': { flag: 'authorization-mode', type: 'string', default: 'Webhook' },
  'authorization.webhook.cacheAuthorizedTTL': {
    flag: 'authorization-webhook-cache-authorized-ttl',
    type: 'duration',
    default: 300_000,
  },
  'authorization.webhook.cacheUnauthorizedTTL': {
    flag: 'authorization-webhook-cache-unauthorized-ttl',
    type: 'duration',
    default: 30_000,
  },
  staticPodPath: { flag: 'pod-manifest-path', type: 'path' },
  nodeStatusUpdateFrequency: { flag: 'node-status-update-frequency', type: 'duration', default: 10_000 },
  // No flag of its own upstream: the file is the only way to set it (the name stands in for one).
  // Its default depends on nodeStatusUpdateFrequency's, so the decoder applies it (not `default`).
  nodeStatusReportFrequency: { flag: NODE_STATUS_REPORT_FREQUENCY, type: 'duration' },
  nodeLeaseDurationSeconds: { flag: 'node-lease-duration-seconds', type: 'int32', default: 40 },
  featureGates: { flag: 'feature-gates', type: 'boolMap' },
  syncFrequency: { flag: 'sync-frequency', type: 'duration', default: 60_000 },
  enableDebuggingHandlers: { flag: 'enable-debugging-handlers', type: 'bool', default: true },
  protectKernelDefaults: { flag: 'protect-kernel-defaults', type: 'bool' },
  // A pointer upstream (nil: 50; an explicit 0 stands, and means client-go's 5): no default here, so
  // the decoder keeps a 0, and the configuration applies 50 to an absent one.
  eventRecordQPS: { flag: 'event-qps', type: 'int32' },
  eventBurst: { flag: 'event-burst', type: 'int32', default: 100 },
  streamingConnectionIdleTimeout: {
    flag: 'streaming-connection-idle-timeout',
    type: 'duration',
    default: DEFAULT_STREAMING_IDLE_TIMEOUT_MS,
  },
  enableSystemLogHandler: { flag: ENABLE_SYSTEM_LOG_HANDLER, type: 'bool', default: true },
  enableProfilingHandler: { flag: ENABLE_PROFILING_HANDLER, type: 'bool', default: true },
  enableDebugFlagsHandler: { flag: ENABLE_DEBUG_FLAGS_HANDLER, type: 'bool', default: true },
};

/** Objects whose every member is a mapped field (their unknown members are unknown fields). */
export const MAPPED_OBJECTS: readonly string[] = [
  'authentication',
  'authentication.x509',
  'authentication.webhook',
  'authentication.anonymous',
  'authorization',
  'authorization.webhook',
];

/** readOnlyPort: mkube serves no unauthenticated port, so only 0 (the default) is accepted. */
export const READ_ONLY_PORT = 'readOnlyPort';

/** Every other top-level field of the v1beta1 type: accepted, not implemented by mkube. */
export const IGNORED_FIELDS: ReadonlySet<string> = new Set([
  'enableServer',
  'podLogsDir',
  'fileCheckFrequency',
  'httpCheckFrequency',
  'staticPodURL',
  'staticPodURLHeader',
  'tlsCurvePreferences',
  'registryPullQPS',
  'registryBurst',
  'imagePullCredentialsVerificationPolicy',
  'preloadedImagesVerificationAllowlist',
  'enableContentionProfiling',
  'healthzPort',
  'healthzBindAddress',
  'oomScoreAdj',
  'clusterDomain',
  'clusterDNS',
  'imageMinimumGCAge',
  'imageMaximumGCAge',
  'imageGCHighThresholdPercent',
  'imageGCLowThresholdPercent',
  'volumeStatsAggPeriod',
  'kubeletCgroups',
  'systemCgroups',
  'cgroupRoot',
  'cgroupsPerQOS',
  'cgroupDriver',
  'cpuManagerPolicy',
  'singleProcessOOMKill',
  'cpuManagerPolicyOptions',
  'cpuManagerReconcilePeriod',
  'draManagerReconcilePeriod',
  'memoryManagerPolicy',
  'topologyManagerPolicy',
  'topologyManagerScope',
  'topologyManagerPolicyOptions',
  'qosReserved',
  'runtimeRequestTimeout',
  'hairpinMode',
  'maxPods',
  'podCIDR',
  'podPidsLimit',
  'resolvConf',
  'runOnce',
  'cpuCFSQuota',
  'cpuCFSQuotaPeriod',
  'nodeStatusMaxImages',
  'maxOpenFiles',
  'contentType',
  'kubeAPIQPS',
  'kubeAPIBurst',
  'serializeImagePulls',
  'maxParallelImagePulls',
  'evictionHard',
  'evictionSoft',
  'evictionSoftGracePeriod',
  'evictionPressureTransitionPeriod',
  'evictionMaxPodGracePeriod',
  'evictionMinimumReclaim',
  'mergeDefaultEvictionSettings',
  'podsPerCore',
  'enableControllerAttachDetach',
  'makeIPTablesUtilChains',
  'iptablesMasqueradeBit',
  'iptablesDropBit',
  'failSwapOn',
  'memorySwap',
  'containerLogMaxSize',
  'containerLogMaxFiles',
  'containerLogMaxWorkers',
  'containerLogMonitorInterval',
  'configMapAndSecretChangeDetectionStrategy',
  'systemReserved',
  'kubeReserved',
  'reservedSystemCPUs',
  'showHiddenMetricsForVersion',
  'systemReservedCgroup',
  'kubeReservedCgroup',
  'enforceNodeAllocatable',
  'allowedUnsafeSysctls',
  'volumePluginDir',
  'providerID',
  'kernelMemcgNotification',
  'logging',
  'enableSystemLogQuery',
  'shutdownGracePeriod',
  'shutdownGracePeriodCriticalPods',
  'shutdownGracePeriodByPodPriority',
  'crashLoopBackOff',
  'reservedMemory',
  'enableDebugFlagsHandler',
  'seccompDefault',
  'memoryThrottlingFactor',
  'memoryReservationPolicy',
  'registerWithTaints',
  'registerNode',
  'tracing',
  'localStorageCapacityIsolation',
  'containerRuntimeEndpoint',
  'imageServiceEndpoint',
  'failCgroupV1',
  'userNamespaces',
  'podHousekeepingPeriod',
]);
