// Raw flags (and --config's KubeSchedulerConfiguration) in, one checked configuration out, as
// kube-scheduler's Options.Config builds it: without --config the deprecated flags and the leader
// election flags make the component config; with --config the file does, and only leader election
// flags given on the command line override it. Every problem is reported at once.
import type { LeaderElectionConfig } from '@mkube/controller-manager/leaderelection';
import { ConfigError, type ConfigProblem, type FlagValues } from '@mkube/shared/flags';
import { loadKubeconfig, type ResolvedCredentials, resolveCredentials } from '@mkube/shared/kubeconfig';
import { DEFAULT_SCHEDULER_NAME } from '../api/index.js';
import type { VolumeBindingArgs } from '../plugins/volumebinding/args.js';
import type { PluginSelection } from '../profile.js';
import { type KubeSchedulerConfiguration, loadSchedulerConfigFile } from './componentconfig.js';
import { loadSchedulerServing, type SecureServingConfig } from './serving.js';

export interface SchedulerConfig {
  /** Where the kubeconfig came from (the flag or clientConnection.kubeconfig). */
  readonly kubeconfigFile: string;
  readonly credentials: ResolvedCredentials;
  /** clientConnection.qps and burst: the scheduler's writes (bindings, status) wait for a token. */
  readonly qps: number;
  readonly burst: number;
  /** The profiles' schedulerNames: pods naming one of them are this scheduler's. */
  readonly profiles: readonly string[];
  /** A profile's `plugins` (which run, score weights), by schedulerName; absent: the defaults. */
  readonly pluginSelections?: Readonly<Record<string, PluginSelection>>;
  /** VolumeBindingArgs given in a profile's pluginConfig, by schedulerName. */
  readonly volumeBindingArgs?: Readonly<Record<string, VolumeBindingArgs>>;
  readonly podInitialBackoffMs: number;
  readonly podMaxBackoffMs: number;
  readonly podMaxInUnschedulablePodsDurationMs: number;
  readonly percentageOfNodesToScore?: number;
  /** The --leader-elect* settings (the identity is the process's own, chosen at start). */
  readonly leaderElection?: Omit<LeaderElectionConfig, 'identity' | 'releaseOnCancel'>;
  /** --profiling or enableProfiling: /debug/pprof on the secure port. */
  readonly profiling: boolean;
  readonly secureServing?: SecureServingConfig;
  readonly configFile?: string;
  readonly verbosity: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The component config the flags alone make (no --config): v1 defaults plus the deprecated flags. */
function fromFlags(flags: FlagValues): KubeSchedulerConfiguration {
  return {
    parallelism: 16,
    leaderElection: leaderElectionFromFlags(flags),
    clientConnection: {
      kubeconfig: str(flags.kubeconfig),
      qps: Number(flags['kube-api-qps']),
      burst: Number(flags['kube-api-burst']),
    },
    enableProfiling: flags.profiling !== false,
    podInitialBackoffSeconds: 1,
    podMaxBackoffSeconds: 10,
    profiles: [{ schedulerName: DEFAULT_SCHEDULER_NAME }],
  };
}

function leaderElectionFromFlags(flags: FlagValues): KubeSchedulerConfiguration['leaderElection'] {
  return {
    leaderElect: flags['leader-elect'] !== false,
    leaseDurationMs: Number(flags['leader-elect-lease-duration']),
    renewDeadlineMs: Number(flags['leader-elect-renew-deadline']),
    retryPeriodMs: Number(flags['leader-elect-retry-period']),
    resourceLock: str(flags['leader-elect-resource-lock']),
    resourceName: str(flags['leader-elect-resource-name']),
    resourceNamespace: str(flags['leader-elect-resource-namespace']),
  };
}

/** ApplyLeaderElectionTo: the leader election flags given on the command line win over the file. */
function overrideLeaderElection(
  file: KubeSchedulerConfiguration['leaderElection'],
  flags: FlagValues,
  given: ReadonlySet<string>,
): KubeSchedulerConfiguration['leaderElection'] {
  const f = leaderElectionFromFlags(flags);
  const pick = <K extends keyof typeof f>(flag: string, key: K) => (given.has(flag) ? f[key] : file[key]);
  return {
    leaderElect: pick('leader-elect', 'leaderElect'),
    leaseDurationMs: pick('leader-elect-lease-duration', 'leaseDurationMs'),
    renewDeadlineMs: pick('leader-elect-renew-deadline', 'renewDeadlineMs'),
    retryPeriodMs: pick('leader-elect-retry-period', 'retryPeriodMs'),
    resourceLock: pick('leader-elect-resource-lock', 'resourceLock'),
    resourceName: pick('leader-elect-resource-name', 'resourceName'),
    resourceNamespace: pick('leader-elect-resource-namespace', 'resourceNamespace'),
  };
}

export async function loadSchedulerConfig(flags: FlagValues, given: ReadonlySet<string>): Promise<SchedulerConfig> {
  const problems: ConfigProblem[] = [];
  const configFile = str(flags.config);
  let cc: KubeSchedulerConfiguration | undefined = fromFlags(flags);
  if (configFile) {
    const file = loadSchedulerConfigFile(configFile, problems);
    cc = file && { ...file, leaderElection: overrideLeaderElection(file.leaderElection, flags, given) };
  }
  const kubeconfigFile = cc?.clientConnection.kubeconfig ?? '';
  const kubeconfigFlag = configFile ? 'config' : 'kubeconfig';
  let credentials: ResolvedCredentials | undefined;
  if (cc && !kubeconfigFile) {
    problems.push({
      code: 'REQUIRED',
      flag: kubeconfigFlag,
      ...(configFile ? { file: configFile } : {}),
      message: configFile
        ? 'clientConnection.kubeconfig: required: the scheduler reaches the apiserver through it'
        : 'required: the scheduler reaches the apiserver through it',
    });
  } else if (cc) {
    try {
      credentials = await resolveCredentials(await loadKubeconfig(kubeconfigFile));
    } catch (e) {
      problems.push({ code: 'BAD_VALUE', flag: kubeconfigFlag, file: kubeconfigFile, message: (e as Error).message });
    }
  }
  const le = cc?.leaderElection;
  if (le && le.resourceLock !== 'leases') {
    problems.push({
      code: 'NOT_SUPPORTED',
      flag: 'leader-elect-resource-lock',
      message: `${JSON.stringify(le.resourceLock)} is not supported: only "leases"`,
    });
  }
  if (le?.leaderElect) {
    const { leaseDurationMs: lease, renewDeadlineMs: renew, retryPeriodMs: retry } = le;
    if (!(lease > renew && renew > retry * 1.2 && retry > 0)) {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'leader-elect-lease-duration',
        message: 'need lease-duration > renew-deadline > 1.2 × retry-period > 0',
      });
    }
  }
  const unschedulableMs = Number(flags['pod-max-in-unschedulable-pods-duration']);
  if (!(unschedulableMs > 0)) {
    problems.push({ code: 'BAD_VALUE', flag: 'pod-max-in-unschedulable-pods-duration', message: 'must be positive' });
  }
  if (!configFile) {
    if (!(Number(flags['kube-api-qps']) >= 0))
      problems.push({ code: 'BAD_VALUE', flag: 'kube-api-qps', message: 'must not be negative' });
    if (!(Number(flags['kube-api-burst']) >= 0))
      problems.push({ code: 'BAD_VALUE', flag: 'kube-api-burst', message: 'must not be negative' });
  }
  const secureServing = await loadSchedulerServing(flags, problems);

  if (problems.length > 0 || !cc || !credentials || !le) throw new ConfigError(problems);
  return {
    kubeconfigFile,
    credentials,
    qps: cc.clientConnection.qps,
    burst: cc.clientConnection.burst,
    profiles: cc.profiles.map((p) => p.schedulerName),
    pluginSelections: Object.fromEntries(cc.profiles.flatMap((p) => (p.plugins ? [[p.schedulerName, p.plugins]] : []))),
    volumeBindingArgs: Object.fromEntries(
      cc.profiles.flatMap((p) => (p.volumeBindingArgs ? [[p.schedulerName, p.volumeBindingArgs]] : [])),
    ),
    podInitialBackoffMs: cc.podInitialBackoffSeconds * 1000,
    podMaxBackoffMs: cc.podMaxBackoffSeconds * 1000,
    podMaxInUnschedulablePodsDurationMs: unschedulableMs,
    ...(cc.percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore: cc.percentageOfNodesToScore } : {}),
    leaderElection: le.leaderElect
      ? {
          namespace: le.resourceNamespace,
          name: le.resourceName,
          leaseDurationMs: le.leaseDurationMs,
          renewDeadlineMs: le.renewDeadlineMs,
          retryPeriodMs: le.retryPeriodMs,
        }
      : undefined,
    profiling: cc.enableProfiling,
    ...(secureServing ? { secureServing } : {}),
    ...(configFile ? { configFile } : {}),
    verbosity: Number(flags.v ?? 0),
  };
}
