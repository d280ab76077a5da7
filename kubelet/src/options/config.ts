// Raw flag values (and the --config file under them) in, one checked kubelet configuration out.
// Every problem names its flag (or the config file and its field) and all are reported together,
// so a bad CA or a malformed pin is a start-up error, not a failure on the first request.
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { NODE_RESTRICTION_LABEL_PREFIX } from '@mkube/shared/api';
import { parseBootstrapToken } from '@mkube/shared/bootstraptoken';
import { DEFAULT_FEATURE_GATE, type FeatureGate, FeatureGateError, parseFeatureGates } from '@mkube/shared/featuregate';
import { ConfigError, type ConfigProblem, type FlagValues, readCertificates } from '@mkube/shared/flags';
import { type TLSServingOptions, tlsServingOptions } from '@mkube/shared/tls';
import type { DebuggingHandlers } from '../server/debugging.js';
import { DEFAULT_STREAMING_IDLE_TIMEOUT_MS } from '../server/idle.js';
import { CONFIG_FLAG, type KubeletConfigFile, readKubeletConfigFile } from './configfile.js';
import {
  DEFAULT_NODE_STATUS_REPORT_FREQUENCY_MS,
  ENABLE_DEBUG_FLAGS_HANDLER,
  ENABLE_PROFILING_HANDLER,
  ENABLE_SYSTEM_LOG_HANDLER,
  NODE_STATUS_REPORT_FREQUENCY,
} from './v1beta1.js';

export interface TokenDiscovery {
  readonly token: string;
  readonly server: string;
  /** Lower-case hex SHA-256 pins; empty only with the unsafe skip. */
  readonly caCertHashes: readonly string[];
  readonly timeoutMs: number;
}

export interface KubeletConfig {
  readonly nodeName: string;
  readonly nodeIPs: readonly string[];
  readonly rootDir: string;
  readonly certDir: string;
  readonly kubeconfigFile: string;
  readonly bootstrapKubeconfigFile?: string;
  readonly discovery?: TokenDiscovery;
  readonly rotateCertificates: boolean;
  readonly rotateServerCertificates: boolean;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  /** tlsMinVersion and tlsCipherSuites (--tls-min-version, --tls-cipher-suites). */
  readonly tls: TLSServingOptions;
  /** --config: the file and the known fields in it that mkube does not implement. */
  readonly configFile?: {
    readonly path: string;
    readonly ignoredFields: readonly string[];
    /** Set when the file decoded only leniently (unknown fields, repeated keys). */
    readonly strictError?: string;
  };
  readonly address: string;
  readonly port: number;
  readonly clientCAFile?: string;
  readonly clientCAPem?: string;
  readonly anonymousAuth: boolean;
  readonly webhookAuthentication: boolean;
  readonly authenticationCacheTtlMs: number;
  readonly authorizationMode: 'AlwaysAllow' | 'Webhook';
  readonly authorizedTtlMs: number;
  readonly unauthorizedTtlMs: number;
  readonly podManifestPath?: string;
  readonly nodeLeaseDurationSeconds: number;
  readonly nodeStatusUpdateFrequencyMs: number;
  /** nodeStatusReportFrequency (the file only): an unchanged status is still written this often. */
  readonly nodeStatusReportFrequencyMs: number;
  readonly syncFrequencyMs: number;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly verbosity: number;
  /** --protect-kernel-defaults: refuse to start while a kernel tunable differs from the kubelet's. */
  readonly protectKernelDefaults: boolean;
  /** eventRecordQPS and eventBurst as the event client applies them (0 is client-go's 5 and 10). */
  readonly eventRateLimit: { readonly qps: number; readonly burst: number };
  /** --streaming-connection-idle-timeout (streamingConnectionIdleTimeout); 0: none. */
  readonly streamingConnectionIdleTimeoutMs: number;
  /** enableDebuggingHandlers, enableSystemLogHandler, enableProfilingHandler, enableDebugFlagsHandler. */
  readonly debugging: DebuggingHandlers;
  /** --feature-gates (or featureGates in --config): ClusterTrustBundleProjection, PodCertificateRequest. */
  readonly featureGates: FeatureGate;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PIN_RE = /^sha256:([0-9a-f]{64})$/i;

/** The host's first non-loopback IPv4 (what the kubelet reports without --node-ip), else loopback. */
export function defaultNodeIP(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function str(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function list(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v.filter((s) => s !== '') : [];
}

/** The flags over the --config file: a flag given on the command line wins, else the file's value. */
function layered(cmdline: FlagValues, given: ReadonlySet<string>, file: KubeletConfigFile): FlagValues {
  const out: FlagValues = { ...cmdline };
  for (const [flag, v] of Object.entries(file.values)) if (!given.has(flag)) out[flag] = v;
  return out;
}

/** A problem with a value the file gave is the file's: it names --config, the file and the field. */
function blameFile(p: ConfigProblem, file: KubeletConfigFile | undefined, given: ReadonlySet<string>): ConfigProblem {
  const field = file && !given.has(p.flag) ? file.fields.get(p.flag) : undefined;
  if (!file || !field) return p;
  const what = p.file ? `${field} ${JSON.stringify(p.file)}` : field;
  return { code: p.code, flag: CONFIG_FLAG, file: file.path, message: `${what}: ${p.message}` };
}

/**
 * Checks the flags (`given`: those on the command line, which override the --config file) into the
 * kubelet's configuration. Throws ConfigError with every problem.
 */
export function loadKubeletConfig(cmdline: FlagValues, given: ReadonlySet<string> = new Set()): KubeletConfig {
  const problems: ConfigProblem[] = [];
  const configName = str(cmdline, CONFIG_FLAG);
  const file = configName ? readKubeletConfigFile(configName, problems) : undefined;
  const flags = file ? layered(cmdline, given, file) : cmdline;
  const bad = (flag: string, message: string) => problems.push({ code: 'BAD_VALUE', flag, message });

  const nodeName = (str(flags, 'hostname-override') ?? hostname()).toLowerCase();
  if (nodeName.length > 253 || !DNS1123_SUBDOMAIN.test(nodeName))
    bad('hostname-override', `node name ${JSON.stringify(nodeName)} is not a valid DNS-1123 subdomain`);

  const nodeIPs = list(flags, 'node-ip');
  for (const ip of nodeIPs) if (isIP(ip) === 0) bad('node-ip', `${JSON.stringify(ip)} is not an IP address`);

  const rootDir = resolve(str(flags, 'root-dir') ?? '/var/lib/kubelet');
  const certDir = resolve(str(flags, 'cert-dir') ?? join(rootDir, 'pki'));
  const kubeconfigFile = str(flags, 'kubeconfig');
  if (!kubeconfigFile) problems.push({ code: 'REQUIRED', flag: 'kubeconfig', message: 'is required' });
  const bootstrapKubeconfigFile = str(flags, 'bootstrap-kubeconfig');

  let discovery: TokenDiscovery | undefined;
  const token = str(flags, 'bootstrap-token');
  if (token) {
    if (!parseBootstrapToken(token))
      bad('bootstrap-token', 'the bootstrap token does not match the format [a-z0-9]{6}.[a-z0-9]{16}');
    const server = str(flags, 'server');
    if (!server) problems.push({ code: 'REQUIRED', flag: 'server', message: 'is required with --bootstrap-token' });
    else if (!/^https:\/\/[^/?#]+\/?$/.test(server)) bad('server', `${JSON.stringify(server)} is not an https:// URL`);
    if (!bootstrapKubeconfigFile)
      problems.push({
        code: 'REQUIRED',
        flag: 'bootstrap-kubeconfig',
        message: 'is required with --bootstrap-token (token discovery writes it)',
      });
    const pins: string[] = [];
    for (const p of list(flags, 'discovery-token-ca-cert-hash')) {
      const m = PIN_RE.exec(p);
      if (!m) bad('discovery-token-ca-cert-hash', `${JSON.stringify(p)} is not of the form sha256:<64 hex digits>`);
      else pins.push(m[1]!.toLowerCase());
    }
    if (pins.length === 0 && flags['discovery-token-unsafe-skip-ca-verification'] !== true)
      bad(
        'discovery-token-ca-cert-hash',
        'token discovery without a CA pin is unsafe: give --discovery-token-ca-cert-hash or --discovery-token-unsafe-skip-ca-verification',
      );
    discovery = {
      token,
      server: (server ?? '').replace(/\/$/, ''),
      caCertHashes: pins,
      timeoutMs: flags['discovery-timeout'] as number,
    };
  }

  const tlsCertFile = str(flags, 'tls-cert-file');
  const tlsPrivateKeyFile = str(flags, 'tls-private-key-file');
  if (Boolean(tlsCertFile) !== Boolean(tlsPrivateKeyFile))
    bad(tlsCertFile ? 'tls-private-key-file' : 'tls-cert-file', 'is required when the other of the pair is given');

  const tls = tlsServingOptions(str(flags, 'tls-min-version'), list(flags, 'tls-cipher-suites'), problems);

  const clientCAFile = str(flags, 'client-ca-file');
  const clientCAPem = readCertificates('client-ca-file', clientCAFile ?? '', problems).pem;

  const mode = str(flags, 'authorization-mode') ?? 'Webhook';
  if (mode !== 'AlwaysAllow' && mode !== 'Webhook')
    bad('authorization-mode', `unknown authorization mode ${JSON.stringify(mode)} (AlwaysAllow or Webhook)`);

  const port = flags.port as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) bad('port', `${port} is not a port number`);
  const address = str(flags, 'address') ?? '0.0.0.0';
  if (isIP(address) === 0) bad('address', `${JSON.stringify(address)} is not an IP address`);

  if (!((flags['sync-frequency'] as number) > 0)) bad('sync-frequency', 'must be positive');
  if (!((flags['node-status-update-frequency'] as number) > 0)) bad('node-status-update-frequency', 'must be positive');
  // Without --config the v1beta1 default stands (upstream defaults before the flag is applied).
  const reportMs =
    (flags[NODE_STATUS_REPORT_FREQUENCY] as number | undefined) ?? DEFAULT_NODE_STATUS_REPORT_FREQUENCY_MS;
  if (!(reportMs > 0)) bad(NODE_STATUS_REPORT_FREQUENCY, 'must be positive');
  const leaseSeconds = flags['node-lease-duration-seconds'] as number;
  if (!(leaseSeconds > 0)) bad('node-lease-duration-seconds', 'must be positive');

  const nodeLabels: Record<string, string> = {};
  for (const kv of list(flags, 'node-labels')) {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (!key) bad('node-labels', `${JSON.stringify(kv)} is not key=value`);
    else if (key.startsWith(NODE_RESTRICTION_LABEL_PREFIX) || key.includes(`.${NODE_RESTRICTION_LABEL_PREFIX}`))
      bad('node-labels', `${key}: the kubelet may not set labels under ${NODE_RESTRICTION_LABEL_PREFIX}`);
    else nodeLabels[key] = eq < 0 ? '' : kv.slice(eq + 1);
  }

  const readOnlyPort = flags['read-only-port'] as number | undefined;
  if (readOnlyPort)
    bad(
      'read-only-port',
      `${readOnlyPort} is not supported: mkube's kubelet serves no read-only port (it would answer without authentication or authorization); set it to 0 or leave it out`,
    );
  const eventQps = (flags['event-qps'] as number | undefined) ?? 50;
  if (eventQps < 0)
    bad('event-qps', `invalid configuration: eventRecordQPS (--event-qps) ${eventQps} must not be a negative number`);
  const eventBurst = (flags['event-burst'] as number | undefined) ?? 100;
  if (eventBurst < 0)
    bad('event-burst', `invalid configuration: eventBurst (--event-burst) ${eventBurst} must not be a negative number`);
  const idleMs =
    (flags['streaming-connection-idle-timeout'] as number | undefined) ?? DEFAULT_STREAMING_IDLE_TIMEOUT_MS;
  if (idleMs < 0) bad('streaming-connection-idle-timeout', 'must not be negative');

  let featureGates: FeatureGate = DEFAULT_FEATURE_GATE;
  try {
    featureGates = parseFeatureGates(list(flags, 'feature-gates'));
  } catch (e) {
    if (!(e instanceof FeatureGateError)) throw e;
    bad('feature-gates', e.message);
  }

  if (problems.length > 0) throw new ConfigError(problems.map((p) => blameFile(p, file, given)));
  return {
    nodeName,
    nodeIPs: nodeIPs.length > 0 ? nodeIPs : [defaultNodeIP()],
    rootDir,
    certDir,
    kubeconfigFile: resolve(kubeconfigFile!),
    ...(bootstrapKubeconfigFile ? { bootstrapKubeconfigFile: resolve(bootstrapKubeconfigFile) } : {}),
    ...(discovery ? { discovery } : {}),
    rotateCertificates: flags['rotate-certificates'] === true,
    rotateServerCertificates: flags['rotate-server-certificates'] === true,
    ...(tlsCertFile ? { tlsCertFile: resolve(tlsCertFile), tlsPrivateKeyFile: resolve(tlsPrivateKeyFile!) } : {}),
    tls,
    ...(file
      ? {
          configFile: {
            path: file.path,
            ignoredFields: file.ignoredFields,
            ...(file.strictError ? { strictError: file.strictError } : {}),
          },
        }
      : {}),
    address,
    port,
    ...(clientCAFile ? { clientCAFile, clientCAPem } : {}),
    anonymousAuth: flags['anonymous-auth'] === true,
    webhookAuthentication: flags['authentication-token-webhook'] === true,
    authenticationCacheTtlMs: flags['authentication-token-webhook-cache-ttl'] as number,
    authorizationMode: mode as KubeletConfig['authorizationMode'],
    authorizedTtlMs: flags['authorization-webhook-cache-authorized-ttl'] as number,
    unauthorizedTtlMs: flags['authorization-webhook-cache-unauthorized-ttl'] as number,
    ...(str(flags, 'pod-manifest-path') ? { podManifestPath: resolve(str(flags, 'pod-manifest-path')!) } : {}),
    nodeLeaseDurationSeconds: leaseSeconds,
    nodeStatusUpdateFrequencyMs: flags['node-status-update-frequency'] as number,
    nodeStatusReportFrequencyMs: reportMs,
    syncFrequencyMs: flags['sync-frequency'] as number,
    nodeLabels,
    verbosity: (flags.v as number) ?? 0,
    streamingConnectionIdleTimeoutMs: idleMs,
    protectKernelDefaults: flags['protect-kernel-defaults'] === true,
    // client-go's rest.Config: a QPS or burst of 0 is its default, 5 and 10.
    eventRateLimit: { qps: eventQps || 5, burst: eventBurst || 10 },
    debugging: {
      enabled: flags['enable-debugging-handlers'] !== false,
      systemLog: flags[ENABLE_SYSTEM_LOG_HANDLER] !== false,
      profiling: flags[ENABLE_PROFILING_HANDLER] !== false,
      debugFlags: flags[ENABLE_DEBUG_FLAGS_HANDLER] !== false,
    },
    featureGates,
  };
}
