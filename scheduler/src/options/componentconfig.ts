// --config: a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1, YAML or JSON) decoded as
// kube-scheduler's strict decoder does it: apiVersion and kind checked, unknown fields and wrong
// types refused with the field's path, v1 defaults for what is absent, then upstream's validation.
// mkube runs its default plugins only: a profile's plugins may disable them (or restate their
// weights), extenders must be left empty, and pluginConfig may only carry VolumeBinding's args.
import { type ConfigProblem, parseDuration, readFlagFile } from '@mkube/shared/flags';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_SCHEDULER_NAME } from '../api/index.js';
import { NAMES } from '../plugins/names.js';
import { defaultVolumeBindingArgs, type VolumeBindingArgs } from '../plugins/volumebinding/args.js';
import type { PluginSelection } from '../profile.js';
import { parsePluginSelection } from './pluginselection.js';

export const CONFIG_GROUP_VERSION = 'kubescheduler.config.k8s.io/v1';
export const CONFIG_KIND = 'KubeSchedulerConfiguration';

export interface LeaderElectionConfiguration {
  readonly leaderElect: boolean;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly resourceLock: string;
  readonly resourceName: string;
  readonly resourceNamespace: string;
}

/** The parts of KubeSchedulerConfiguration mkube acts on, defaulted. */
export interface KubeSchedulerConfiguration {
  readonly parallelism: number;
  readonly leaderElection: LeaderElectionConfiguration;
  readonly clientConnection: { readonly kubeconfig: string; readonly qps: number; readonly burst: number };
  readonly enableProfiling: boolean;
  /** Accepted and validated; mkube filters every node whatever it says. */
  readonly percentageOfNodesToScore?: number;
  readonly podInitialBackoffSeconds: number;
  readonly podMaxBackoffSeconds: number;
  readonly profiles: readonly {
    readonly schedulerName: string;
    readonly volumeBindingArgs?: VolumeBindingArgs;
    readonly plugins?: PluginSelection;
  }[];
}

type FieldType = 'string' | 'bool' | 'int' | 'float' | 'duration' | 'object' | 'array' | 'pluginConfig' | 'empty';

/** Every field v1 has, with the Go type the strict decoder checks; 'empty' ones mkube cannot act on. */
const SCHEMA: Record<string, Record<string, FieldType>> = {
  '': {
    apiVersion: 'string',
    kind: 'string',
    parallelism: 'int',
    leaderElection: 'object',
    clientConnection: 'object',
    healthzBindAddress: 'string',
    metricsBindAddress: 'string',
    enableProfiling: 'bool',
    enableContentionProfiling: 'bool',
    percentageOfNodesToScore: 'int',
    podInitialBackoffSeconds: 'int',
    podMaxBackoffSeconds: 'int',
    profiles: 'array',
    extenders: 'empty',
    delayCacheUntilActive: 'bool',
  },
  leaderElection: {
    leaderElect: 'bool',
    leaseDuration: 'duration',
    renewDeadline: 'duration',
    retryPeriod: 'duration',
    resourceLock: 'string',
    resourceName: 'string',
    resourceNamespace: 'string',
  },
  clientConnection: {
    kubeconfig: 'string',
    acceptContentTypes: 'string',
    contentType: 'string',
    qps: 'float',
    burst: 'int',
  },
  profile: {
    schedulerName: 'string',
    percentageOfNodesToScore: 'int',
    plugins: 'object',
    pluginConfig: 'pluginConfig',
  },
  pluginConfig: { name: 'string', args: 'object' },
  volumeBindingArgs: { apiVersion: 'string', kind: 'string', bindTimeoutSeconds: 'int', shape: 'empty' },
};

const GO_TYPES: Record<FieldType, string> = {
  string: 'string',
  bool: 'bool',
  int: 'int32',
  float: 'float32',
  duration: 'v1.Duration',
  object: 'struct',
  array: '[]v1.KubeSchedulerProfile',
  pluginConfig: '[]v1.PluginConfig',
  empty: 'list',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Invalid extends Error {}

/** Checks `obj`'s fields against `schema`, naming each bad one by its path. */
function checkFields(obj: Record<string, unknown>, schema: Record<string, FieldType>, path: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const at = path ? `${path}.${k}` : k;
    const t = schema[k];
    if (!t) throw new Invalid(`strict decoding error: unknown field "${at}"`);
    if (v === null) continue;
    const ok =
      t === 'string'
        ? typeof v === 'string'
        : t === 'bool'
          ? typeof v === 'boolean'
          : t === 'int'
            ? Number.isInteger(v)
            : t === 'float'
              ? typeof v === 'number'
              : t === 'duration'
                ? typeof v === 'string'
                : t === 'object'
                  ? isObject(v)
                  : Array.isArray(v) || (t === 'empty' && isObject(v));
    if (!ok) {
      const what = Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
      throw new Invalid(
        `json: cannot unmarshal ${what} into Go struct field ${CONFIG_KIND}.${at} of type ${GO_TYPES[t]}`,
      );
    }
    if (t === 'empty' && (Array.isArray(v) ? v.length > 0 : Object.keys(v as object).length > 0)) {
      throw new Invalid(`${at}: not supported: mkube's scheduler runs the default plugins only`);
    }
  }
}

/** A profile's pluginConfig: VolumeBinding's args, defaulted; any other plugin's is refused. */
function volumeBindingArgsOf(raw: unknown, at: string): VolumeBindingArgs | undefined {
  if (!Array.isArray(raw)) return undefined;
  let out: VolumeBindingArgs | undefined;
  raw.forEach((pc, j) => {
    const here = `${at}.pluginConfig[${j}]`;
    if (!isObject(pc)) throw new Invalid(`${here}: must be an object`);
    checkFields(pc, SCHEMA.pluginConfig!, here);
    if (pc.name !== NAMES.VolumeBinding)
      throw new Invalid(`${here}.name: not supported: mkube's scheduler takes args for ${NAMES.VolumeBinding} only`);
    const args = isObject(pc.args) ? pc.args : {};
    checkFields(args, SCHEMA.volumeBindingArgs!, `${here}.args`);
    const d = defaultVolumeBindingArgs();
    out = {
      bindTimeoutSeconds: typeof args.bindTimeoutSeconds === 'number' ? args.bindTimeoutSeconds : d.bindTimeoutSeconds,
    };
  });
  return out;
}

function duration(v: unknown, dflt: number, at: string): number {
  if (v === undefined || v === null) return dflt;
  try {
    return parseDuration(String(v));
  } catch (e) {
    throw new Invalid(`${at}: ${(e as Error).message}`);
  }
}

/** The decoded and defaulted file, or its one decoding problem; validation problems are all listed. */
export function decodeSchedulerConfiguration(text: string): KubeSchedulerConfiguration {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Invalid(`couldn't decode as KubeSchedulerConfiguration: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new Invalid("Object 'Kind' is missing");
  const { apiVersion, kind } = doc;
  if (!kind) throw new Invalid("Object 'Kind' is missing");
  if (apiVersion !== CONFIG_GROUP_VERSION || kind !== CONFIG_KIND) {
    throw new Invalid(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion ?? '')}`);
  }
  checkFields(doc, SCHEMA['']!, '');
  const le = isObject(doc.leaderElection) ? doc.leaderElection : {};
  checkFields(le, SCHEMA.leaderElection!, 'leaderElection');
  const cc = isObject(doc.clientConnection) ? doc.clientConnection : {};
  checkFields(cc, SCHEMA.clientConnection!, 'clientConnection');
  const rawProfiles = Array.isArray(doc.profiles) ? doc.profiles : [];
  rawProfiles.forEach((p, i) => {
    if (!isObject(p)) throw new Invalid(`profiles[${i}]: must be an object`);
    checkFields(p, SCHEMA.profile!, `profiles[${i}]`);
  });
  const argsOf = (p: Record<string, unknown>, i: number) => {
    const args = volumeBindingArgsOf(p.pluginConfig, `profiles[${i}]`);
    let plugins: PluginSelection | undefined;
    try {
      plugins = parsePluginSelection(p.plugins, `profiles[${i}].plugins`);
    } catch (e) {
      throw new Invalid((e as Error).message);
    }
    return { ...(args ? { volumeBindingArgs: args } : {}), ...(plugins ? { plugins } : {}) };
  };
  const profiles =
    rawProfiles.length === 0
      ? [{ schedulerName: DEFAULT_SCHEDULER_NAME }]
      : rawProfiles.map((p, i) => ({
          ...argsOf(p as Record<string, unknown>, i),
          // Only a lone profile gets the default name; validation wants every other one named.
          schedulerName:
            typeof p.schedulerName === 'string'
              ? p.schedulerName
              : rawProfiles.length === 1
                ? DEFAULT_SCHEDULER_NAME
                : '',
        }));
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
  return {
    parallelism: num(doc.parallelism, 16),
    leaderElection: {
      leaderElect: typeof le.leaderElect === 'boolean' ? le.leaderElect : true,
      leaseDurationMs: duration(le.leaseDuration, 15_000, 'leaderElection.leaseDuration'),
      renewDeadlineMs: duration(le.renewDeadline, 10_000, 'leaderElection.renewDeadline'),
      retryPeriodMs: duration(le.retryPeriod, 2_000, 'leaderElection.retryPeriod'),
      resourceLock: typeof le.resourceLock === 'string' && le.resourceLock ? le.resourceLock : 'leases',
      resourceName: typeof le.resourceName === 'string' && le.resourceName ? le.resourceName : 'kube-scheduler',
      resourceNamespace:
        typeof le.resourceNamespace === 'string' && le.resourceNamespace ? le.resourceNamespace : 'kube-system',
    },
    clientConnection: {
      kubeconfig: typeof cc.kubeconfig === 'string' ? cc.kubeconfig : '',
      qps: num(cc.qps, 50),
      burst: num(cc.burst, 100),
    },
    enableProfiling: typeof doc.enableProfiling === 'boolean' ? doc.enableProfiling : true,
    ...(typeof doc.percentageOfNodesToScore === 'number'
      ? { percentageOfNodesToScore: doc.percentageOfNodesToScore }
      : {}),
    podInitialBackoffSeconds: num(doc.podInitialBackoffSeconds, 1),
    podMaxBackoffSeconds: num(doc.podMaxBackoffSeconds, 10),
    profiles,
  };
}

/** ValidateKubeSchedulerConfiguration's checks, in its words (field path: problem). */
export function validateSchedulerConfiguration(c: KubeSchedulerConfiguration): string[] {
  const errs: string[] = [];
  if (c.parallelism <= 0)
    errs.push(`parallelism: Invalid value: ${c.parallelism}: should be an integer value greater than zero`);
  const pct = c.percentageOfNodesToScore;
  if (pct !== undefined && (pct < 0 || pct > 100))
    errs.push(`percentageOfNodesToScore: Invalid value: ${pct}: not in valid range [0-100]`);
  if (c.podInitialBackoffSeconds <= 0)
    errs.push(`podInitialBackoffSeconds: Invalid value: ${c.podInitialBackoffSeconds}: must be greater than 0`);
  if (c.podMaxBackoffSeconds < c.podInitialBackoffSeconds)
    errs.push(
      `podMaxBackoffSeconds: Invalid value: ${c.podMaxBackoffSeconds}: must be greater than or equal to PodInitialBackoffSeconds`,
    );
  const seen = new Set<string>();
  c.profiles.forEach((p, i) => {
    const timeout = p.volumeBindingArgs?.bindTimeoutSeconds;
    if (timeout !== undefined && timeout < 0)
      errs.push(
        `profiles[${i}].pluginConfig[${NAMES.VolumeBinding}].args.bindTimeoutSeconds: Invalid value: ${timeout}: invalid BindTimeoutSeconds, should not be a negative value`,
      );
    if (!p.schedulerName) errs.push(`profiles[${i}].schedulerName: Required value`);
    else if (seen.has(p.schedulerName))
      errs.push(`profiles[${i}].schedulerName: Duplicate value: ${JSON.stringify(p.schedulerName)}`);
    seen.add(p.schedulerName);
  });
  if (c.clientConnection.burst < 0)
    errs.push(`clientConnection.burst: Invalid value: ${c.clientConnection.burst}: must be non-negative`);
  return errs;
}

/** The file named by --config, decoded and validated; problems name the flag, the file and the field. */
export function loadSchedulerConfigFile(
  file: string,
  problems: ConfigProblem[],
): KubeSchedulerConfiguration | undefined {
  const text = readFlagFile('config', file, problems);
  if (text === undefined) return undefined;
  let cfg: KubeSchedulerConfiguration;
  try {
    cfg = decodeSchedulerConfiguration(text);
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    problems.push({ code: 'BAD_VALUE', flag: 'config', file, message: e.message });
    return undefined;
  }
  const errs = validateSchedulerConfiguration(cfg);
  for (const message of errs) problems.push({ code: 'BAD_VALUE', flag: 'config', file, message });
  return errs.length === 0 ? cfg : undefined;
}
