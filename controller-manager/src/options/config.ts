// Raw flag values in, one checked configuration out: the kubeconfig resolved, every CA file read
// and its key matched, the controller list understood. All problems are reported together and
// name the flag and file, so a bad CA is a clear start-up error rather than a signer that fails
// on its first CSR.
import type { KeyObject } from 'node:crypto';
import { SIGNER } from '@mkube/shared/api';
import { DEFAULT_FEATURE_GATE, type FeatureGate, FeatureGateError, parseFeatureGates } from '@mkube/shared/featuregate';
import { ConfigError, type ConfigProblem, type FlagValues, readFlagFile } from '@mkube/shared/flags';
import { loadKubeconfig, type ResolvedCredentials, resolveCredentials } from '@mkube/shared/kubeconfig';
import { CertificateAuthority, PkiError, parseCertificatePem, parsePrivateKeyPem } from '@mkube/shared/pki';
import { cidrBlockList } from '../certificates/servingapprover.js';
import type { LeaderElectionConfig } from '../leaderelection/index.js';
import { enabledControllers } from './controllers.js';
import { loadPVBinderConfig, type PVBinderConfig } from './persistentvolume.js';
import { type HPAControllerConfig, loadHPAConfig } from './podautoscaler.js';
import { loadServiceAccountKey, SERVICE_ACCOUNT_KEY_FLAG } from './serviceaccountkey.js';
import { loadSecureServing, type SecureServingConfig } from './serving.js';

export interface ControllerManagerConfig {
  readonly kubeconfigFile: string;
  readonly credentials: ResolvedCredentials;
  readonly enabled: ReadonlySet<string>;
  /** --feature-gates: controllers that need a gate that is off do not start. */
  readonly featureGates: FeatureGate;
  /** --profiling: /debug/pprof on the secure port (for whom the delegated authorizer allows). */
  readonly profiling: boolean;
  /** signerName → its CA; empty when no signing files were given (csrsigning then does not run). */
  readonly authorities: ReadonlyMap<string, CertificateAuthority>;
  /** The files behind `authorities`, which the signer reads again when they change. */
  readonly signingFiles: readonly SigningFiles[];
  readonly signingDurationMs: number;
  readonly rootCA: string;
  /** --service-account-private-key-file, parsed; without it serviceaccount-token-controller does not start. */
  readonly serviceAccountPrivateKey?: KeyObject;
  /**
   * --use-service-account-credentials: each controller authenticates as its ServiceAccount in
   * kube-system (a TokenRequest token) instead of as the controller-manager.
   */
  readonly useServiceAccountCredentials: boolean;
  /** --concurrent-serviceaccount-token-syncs: the tokens controller's workers per queue. */
  readonly concurrentServiceAccountTokenSyncs: number;
  /** --legacy-service-account-token-clean-up-period. */
  readonly legacyTokenCleanUpPeriodMs: number;
  /** --concurrent-gc-syncs: the garbage collector's workers per queue. */
  readonly concurrentGcSyncs: number;
  /** --concurrent-replicaset-syncs, --concurrent-rc-syncs, --concurrent-deployment-syncs. */
  readonly concurrentReplicaSetSyncs: number;
  readonly concurrentRCSyncs: number;
  readonly concurrentDeploymentSyncs: number;
  /** --concurrent-daemonset-syncs, --concurrent-statefulset-syncs. */
  readonly concurrentDaemonSetSyncs: number;
  readonly concurrentStatefulSetSyncs: number;
  /** --concurrent-job-syncs, --concurrent-cron-job-syncs, --concurrent-ttl-after-finished-syncs. */
  readonly concurrentJobSyncs: number;
  readonly concurrentCronJobSyncs: number;
  readonly concurrentTTLAfterFinishedSyncs: number;
  /** --concurrent-ephemeralvolume-syncs. */
  readonly concurrentEphemeralVolumeSyncs: number;
  /** --concurrent-resource-quota-syncs, --resource-quota-sync-period. */
  readonly concurrentResourceQuotaSyncs: number;
  readonly resourceQuotaSyncPeriodMs: number;
  /** The --horizontal-pod-autoscaler-* flags and --concurrent-horizontal-pod-autoscaler-syncs. */
  readonly hpa: HPAControllerConfig;
  /** --pvclaimbinder-sync-period, --enable-dynamic-provisioning, --enable-hostpath-provisioner. */
  readonly pvBinder: PVBinderConfig;
  /** The --leader-elect* settings (the identity is the process's own, chosen at start). */
  readonly leaderElection?: Omit<LeaderElectionConfig, 'identity' | 'releaseOnCancel'>;
  readonly nodeMonitorGracePeriodMs: number;
  /** --node-eviction-rate: nodes per second that may get a NoExecute taint. */
  readonly nodeEvictionRate: number;
  /** --secondary-node-eviction-rate, --unhealthy-zone-threshold, --large-cluster-size-threshold. */
  readonly secondaryNodeEvictionRate: number;
  readonly unhealthyZoneThreshold: number;
  readonly largeClusterSizeThreshold: number;
  /** --node-monitor-period */
  readonly nodeMonitorPeriodMs: number;
  /** --terminated-pod-gc-threshold (0 or less: off). */
  readonly terminatedPodGCThreshold: number;
  readonly servingCsrAllowedCidrs: readonly string[];
  readonly servingCsrMaxExpirationSeconds: number;
  /** HTTPS on --secure-port (undefined with --secure-port=0). */
  readonly secureServing?: SecureServingConfig;
  readonly verbosity: number;
}

export interface SigningFiles {
  /** The flags' common prefix, e.g. `cluster-signing` or `cluster-signing-kubelet-serving`. */
  readonly prefix: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly signers: readonly string[];
  /** What was read at start-up. */
  readonly loaded: SigningCA;
}

export interface SigningCA {
  readonly ca: CertificateAuthority;
  readonly certPem: string;
  readonly keyPem: string;
}

const PER_SIGNER: readonly { flag: string; signer: string }[] = [
  { flag: 'cluster-signing-kubelet-serving', signer: SIGNER.kubeletServing },
  { flag: 'cluster-signing-kubelet-client', signer: SIGNER.kubeAPIServerClientKubelet },
  { flag: 'cluster-signing-kube-apiserver-client', signer: SIGNER.kubeAPIServerClient },
  { flag: 'cluster-signing-legacy-unknown', signer: SIGNER.legacyUnknown },
];

/** A signer's CA from its --<prefix>-cert-file and -key-file; undefined (and problems) when unusable. */
export function loadSigningCA(
  prefix: string,
  certFile: string,
  keyFile: string,
  problems: ConfigProblem[],
): SigningCA | undefined {
  const cert = readFlagFile(`${prefix}-cert-file`, certFile, problems);
  const key = readFlagFile(`${prefix}-key-file`, keyFile, problems);
  if (cert === undefined || key === undefined) return undefined;
  try {
    parseCertificatePem(cert);
  } catch (e) {
    problems.push({
      code: 'BAD_CERTIFICATE',
      flag: `${prefix}-cert-file`,
      file: certFile,
      message: (e as Error).message,
    });
    return undefined;
  }
  try {
    parsePrivateKeyPem(key);
  } catch (e) {
    problems.push({
      code: 'BAD_PRIVATE_KEY',
      flag: `${prefix}-key-file`,
      file: keyFile,
      message: (e as Error).message,
    });
    return undefined;
  }
  try {
    return { ca: CertificateAuthority.fromPem(cert, key), certPem: cert, keyPem: key };
  } catch (e) {
    const mismatch = e instanceof PkiError && e.code === 'KeyMismatch';
    problems.push({
      code: mismatch ? 'KEY_MISMATCH' : 'BAD_CERTIFICATE',
      flag: `${prefix}-cert-file`,
      file: certFile,
      message: mismatch ? `does not match --${prefix}-key-file ${JSON.stringify(keyFile)}` : (e as Error).message,
    });
    return undefined;
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A --concurrent-*-syncs count: at least one worker. */
function workers(flags: FlagValues, flag: string, problems: ConfigProblem[]): number {
  const n = Number(flags[flag]);
  if (!Number.isInteger(n) || n < 1)
    problems.push({ code: 'BAD_VALUE', flag, message: `must be at least 1 (got ${flags[flag]})` });
  return n;
}

export async function loadControllerManagerConfig(
  flags: FlagValues,
  given: ReadonlySet<string>,
): Promise<ControllerManagerConfig> {
  const problems: ConfigProblem[] = [];
  const kubeconfigFile = str(flags.kubeconfig);
  let credentials: ResolvedCredentials | undefined;
  if (!kubeconfigFile) {
    problems.push({
      code: 'REQUIRED',
      flag: 'kubeconfig',
      message: 'required: the controller-manager reaches the apiserver through it',
    });
  } else {
    try {
      credentials = await resolveCredentials(await loadKubeconfig(kubeconfigFile));
    } catch (e) {
      problems.push({ code: 'BAD_VALUE', flag: 'kubeconfig', file: kubeconfigFile, message: (e as Error).message });
    }
  }

  const { enabled, problems: ctl } = enabledControllers((flags.controllers as string[]) ?? ['*']);
  for (const m of ctl) problems.push({ code: 'BAD_VALUE', flag: 'controllers', message: m });
  let featureGates: FeatureGate = DEFAULT_FEATURE_GATE;
  try {
    featureGates = parseFeatureGates((flags['feature-gates'] as string[] | undefined) ?? []);
  } catch (e) {
    if (!(e instanceof FeatureGateError)) throw e;
    problems.push({ code: 'BAD_VALUE', flag: 'feature-gates', message: e.message });
  }

  const authorities = new Map<string, CertificateAuthority>();
  const signingFiles: SigningFiles[] = [];
  const allCert = str(flags['cluster-signing-cert-file']);
  const allKey = str(flags['cluster-signing-key-file']);
  const specific = PER_SIGNER.filter((p) => str(flags[`${p.flag}-cert-file`]) || str(flags[`${p.flag}-key-file`]));
  if (allCert || allKey) {
    if (specific.length > 0) {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'cluster-signing-cert-file',
        message: `may not be combined with the per-signer flags (--${specific[0]!.flag}-cert-file/-key-file)`,
      });
    } else if (!allCert || !allKey) {
      problems.push({
        code: 'REQUIRED',
        flag: allCert ? 'cluster-signing-key-file' : 'cluster-signing-cert-file',
        message: 'cert and key files must be specified together',
      });
    } else {
      const loaded = loadSigningCA('cluster-signing', allCert, allKey, problems);
      if (loaded) {
        const signers = PER_SIGNER.map((p) => p.signer);
        for (const s of signers) authorities.set(s, loaded.ca);
        signingFiles.push({ prefix: 'cluster-signing', certFile: allCert, keyFile: allKey, signers, loaded });
      }
    }
  }
  for (const p of specific) {
    const cert = str(flags[`${p.flag}-cert-file`]);
    const key = str(flags[`${p.flag}-key-file`]);
    if (!cert || !key) {
      problems.push({
        code: 'REQUIRED',
        flag: `${p.flag}-${cert ? 'key' : 'cert'}-file`,
        message: 'cert and key files must be specified together',
      });
      continue;
    }
    const loaded = loadSigningCA(p.flag, cert, key, problems);
    if (loaded) {
      authorities.set(p.signer, loaded.ca);
      signingFiles.push({ prefix: p.flag, certFile: cert, keyFile: key, signers: [p.signer], loaded });
    }
  }

  let rootCA = '';
  const rootFile = str(flags['root-ca-file']);
  if (rootFile) rootCA = readFlagFile('root-ca-file', rootFile, problems) ?? '';
  else rootCA = credentials?.caPem ?? '';
  const saKeyFile = str(flags[SERVICE_ACCOUNT_KEY_FLAG]);
  const serviceAccountPrivateKey = saKeyFile ? loadServiceAccountKey(saKeyFile, problems) : undefined;
  const gcSyncs = workers(flags, 'concurrent-gc-syncs', problems);
  const cleanUpPeriod = Number(flags['legacy-service-account-token-clean-up-period']);
  if (!(cleanUpPeriod > 0))
    problems.push({
      code: 'BAD_VALUE',
      flag: 'legacy-service-account-token-clean-up-period',
      message: 'must be greater than 0',
    });
  const tokenSyncs = workers(flags, 'concurrent-serviceaccount-token-syncs', problems);
  const replicaSetSyncs = workers(flags, 'concurrent-replicaset-syncs', problems);
  const rcSyncs = workers(flags, 'concurrent-rc-syncs', problems);
  const deploymentSyncs = workers(flags, 'concurrent-deployment-syncs', problems);
  const daemonSetSyncs = workers(flags, 'concurrent-daemonset-syncs', problems);
  const statefulSetSyncs = workers(flags, 'concurrent-statefulset-syncs', problems);
  const jobSyncs = workers(flags, 'concurrent-job-syncs', problems);
  const cronJobSyncs = workers(flags, 'concurrent-cron-job-syncs', problems);
  const ttlSyncs = workers(flags, 'concurrent-ttl-after-finished-syncs', problems);
  const ephemeralSyncs = workers(flags, 'concurrent-ephemeralvolume-syncs', problems);
  const quotaSyncs = workers(flags, 'concurrent-resource-quota-syncs', problems);
  const quotaSyncPeriod = Number(flags['resource-quota-sync-period']);
  if (!(quotaSyncPeriod > 0))
    problems.push({ code: 'BAD_VALUE', flag: 'resource-quota-sync-period', message: 'must be greater than 0' });
  const hpa = loadHPAConfig(flags, problems);
  const pvBinder = loadPVBinderConfig(flags, problems);

  if (str(flags['leader-elect-resource-lock']) !== 'leases') {
    problems.push({
      code: 'NOT_SUPPORTED',
      flag: 'leader-elect-resource-lock',
      message: `${JSON.stringify(flags['leader-elect-resource-lock'])} is not supported: only "leases"`,
    });
  }
  const lease = Number(flags['leader-elect-lease-duration']);
  const renew = Number(flags['leader-elect-renew-deadline']);
  const retry = Number(flags['leader-elect-retry-period']);
  if (flags['leader-elect'] && !(lease > renew && renew > retry * 1.2 && retry > 0)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'leader-elect-lease-duration',
      message: 'need lease-duration > renew-deadline > 1.2 × retry-period > 0',
    });
  }
  const cidrs = (flags['serving-csr-allowed-cidrs'] as string[]) ?? [];
  try {
    cidrBlockList(cidrs);
  } catch (e) {
    problems.push({ code: 'BAD_VALUE', flag: 'serving-csr-allowed-cidrs', message: (e as Error).message });
  }
  const duration =
    given.has('cluster-signing-duration') || !given.has('experimental-cluster-signing-duration')
      ? Number(flags['cluster-signing-duration'])
      : Number(flags['experimental-cluster-signing-duration']);
  if (!(duration > 0))
    problems.push({ code: 'BAD_VALUE', flag: 'cluster-signing-duration', message: 'must be positive' });

  for (const flag of ['node-eviction-rate', 'secondary-node-eviction-rate', 'large-cluster-size-threshold'])
    if (!(Number(flags[flag]) >= 0)) problems.push({ code: 'BAD_VALUE', flag, message: 'must not be negative' });
  const threshold = Number(flags['unhealthy-zone-threshold']);
  if (!(threshold > 0 && threshold <= 1))
    problems.push({ code: 'BAD_VALUE', flag: 'unhealthy-zone-threshold', message: 'must be in (0, 1]' });
  const secureServing = await loadSecureServing(flags, problems);

  if (problems.length > 0 || !credentials) throw new ConfigError(problems);
  return {
    kubeconfigFile,
    credentials,
    enabled,
    featureGates,
    profiling: flags.profiling !== false,
    authorities,
    signingFiles,
    signingDurationMs: duration,
    rootCA,
    ...(serviceAccountPrivateKey ? { serviceAccountPrivateKey } : {}),
    useServiceAccountCredentials: flags['use-service-account-credentials'] === true,
    concurrentServiceAccountTokenSyncs: tokenSyncs,
    concurrentGcSyncs: gcSyncs,
    concurrentReplicaSetSyncs: replicaSetSyncs,
    concurrentRCSyncs: rcSyncs,
    concurrentDeploymentSyncs: deploymentSyncs,
    concurrentDaemonSetSyncs: daemonSetSyncs,
    concurrentStatefulSetSyncs: statefulSetSyncs,
    concurrentJobSyncs: jobSyncs,
    concurrentCronJobSyncs: cronJobSyncs,
    concurrentTTLAfterFinishedSyncs: ttlSyncs,
    concurrentEphemeralVolumeSyncs: ephemeralSyncs,
    concurrentResourceQuotaSyncs: quotaSyncs,
    resourceQuotaSyncPeriodMs: quotaSyncPeriod,
    hpa,
    pvBinder,
    legacyTokenCleanUpPeriodMs: cleanUpPeriod,
    leaderElection: flags['leader-elect']
      ? {
          namespace: str(flags['leader-elect-resource-namespace']),
          name: str(flags['leader-elect-resource-name']),
          leaseDurationMs: lease,
          renewDeadlineMs: renew,
          retryPeriodMs: retry,
        }
      : undefined,
    nodeMonitorGracePeriodMs: Number(flags['node-monitor-grace-period']),
    nodeEvictionRate: Number(flags['node-eviction-rate']),
    secondaryNodeEvictionRate: Number(flags['secondary-node-eviction-rate']),
    unhealthyZoneThreshold: threshold,
    largeClusterSizeThreshold: Number(flags['large-cluster-size-threshold']),
    nodeMonitorPeriodMs: Number(flags['node-monitor-period']),
    terminatedPodGCThreshold: Number(flags['terminated-pod-gc-threshold']),
    servingCsrAllowedCidrs: cidrs,
    servingCsrMaxExpirationSeconds: Math.floor(Number(flags['serving-csr-max-expiration']) / 1000),
    ...(secureServing ? { secureServing } : {}),
    verbosity: Number(flags.v ?? 0),
  };
}
