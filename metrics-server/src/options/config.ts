// Raw flags in, one checked configuration out (metrics-server's Options.ServerConfig): the kubeconfig
// for the apiserver and, unless --kubelet-client-* say otherwise, the kubelets; how kubelets are
// found and verified; the secure port with delegated auth (--kubeconfig stands in for the
// authentication and authorization kubeconfigs, as upstream). Every problem is reported at once.
import { loadSecureServingAs, type SecureServingConfig } from '@mkube/controller-manager/options';
import { ConfigError, type ConfigProblem, type FlagValues, readCertificates, readKeyPair } from '@mkube/shared/flags';
import { loadKubeconfig, type ResolvedCredentials, resolveCredentials } from '@mkube/shared/kubeconfig';
import { parseLabelSelector } from '@mkube/shared/selectors';
import { DEFAULT_ADDRESS_TYPES } from './flags.js';

export interface KubeletClientConfig {
  readonly port: number;
  readonly useNodeStatusPort: boolean;
  readonly addressTypes: readonly string[];
  /** Absent with --kubelet-insecure-tls: the serving certificate is not verified. */
  readonly caPem?: string;
  readonly insecure: boolean;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly token?: string;
  readonly timeoutMs: number;
}

export interface MetricsServerConfig {
  readonly kubeconfigFile: string;
  readonly credentials: ResolvedCredentials;
  readonly resolutionMs: number;
  readonly kubelet: KubeletClientConfig;
  readonly nodeSelector: string;
  readonly secureServing?: SecureServingConfig;
  readonly verbosity: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const MIN_RESOLUTION_MS = 10_000;
/** k8s.io/apiserver's self-signed pair name in --cert-dir. */
const PAIR_NAME = 'apiserver';

function serving(flags: FlagValues, problems: ConfigProblem[]): Promise<SecureServingConfig | undefined> {
  const kubeconfig = str(flags.kubeconfig);
  const withDelegation: FlagValues = {
    ...flags,
    'authentication-kubeconfig': str(flags['authentication-kubeconfig']) || kubeconfig,
    'authorization-kubeconfig': str(flags['authorization-kubeconfig']) || kubeconfig,
  };
  return loadSecureServingAs(PAIR_NAME, withDelegation, problems);
}

export async function loadMetricsServerConfig(flags: FlagValues): Promise<MetricsServerConfig> {
  const problems: ConfigProblem[] = [];
  const kubeconfigFile = str(flags.kubeconfig);
  let credentials: ResolvedCredentials | undefined;
  if (!kubeconfigFile) {
    problems.push({ code: 'REQUIRED', flag: 'kubeconfig', message: 'required: mkube has no in-cluster config' });
  } else {
    try {
      credentials = await resolveCredentials(await loadKubeconfig(kubeconfigFile));
    } catch (e) {
      problems.push({ code: 'BAD_VALUE', flag: 'kubeconfig', file: kubeconfigFile, message: (e as Error).message });
    }
  }
  const resolutionMs = Number(flags['metric-resolution']);
  if (!(resolutionMs >= MIN_RESOLUTION_MS)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'metric-resolution',
      message: 'metric-resolution should be a time duration at least 10s',
    });
  }
  const port = Number(flags['kubelet-port']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'kubelet-port',
      message: `${port} must be between 1 and 65535, inclusive`,
    });
  }
  const addressTypes = (flags['kubelet-preferred-address-types'] as string[] | undefined) ?? DEFAULT_ADDRESS_TYPES;
  for (const t of addressTypes) {
    if (!DEFAULT_ADDRESS_TYPES.includes(t)) {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'kubelet-preferred-address-types',
        message: `invalid address type ${JSON.stringify(t)}, one of ${DEFAULT_ADDRESS_TYPES.join(', ')} expected`,
      });
    }
  }
  const insecure = flags['kubelet-insecure-tls'] === true;
  const caFile = str(flags['kubelet-certificate-authority']);
  if (insecure && caFile) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'kubelet-insecure-tls',
      message: 'cannot use both --kubelet-certificate-authority and --kubelet-insecure-tls',
    });
  }
  const caPem = caFile ? readCertificates('kubelet-certificate-authority', caFile, problems).pem : credentials?.caPem;
  const certFile = str(flags['kubelet-client-certificate']);
  const keyFile = str(flags['kubelet-client-key']);
  let clientPair: { certPem?: string; keyPem?: string } = {};
  if (Boolean(certFile) !== Boolean(keyFile)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: certFile ? 'kubelet-client-key' : 'kubelet-client-certificate',
      message: 'need both --kubelet-client-certificate and --kubelet-client-key, or neither',
    });
  } else if (certFile) {
    clientPair = readKeyPair(
      { flag: 'kubelet-client-certificate', file: certFile },
      { flag: 'kubelet-client-key', file: keyFile },
      problems,
    );
  }
  const nodeSelector = str(flags['node-selector']);
  if (nodeSelector) {
    try {
      parseLabelSelector(nodeSelector);
    } catch (e) {
      problems.push({ code: 'BAD_VALUE', flag: 'node-selector', message: (e as Error).message });
    }
  }
  const secureServing = await serving(flags, problems);
  if (problems.length > 0 || !credentials) throw new ConfigError(problems);
  // Without its own pair the kubelet client presents the kubeconfig's credentials (rest.Config's TLS and token).
  const kubeletCreds = certFile
    ? { certPem: clientPair.certPem, keyPem: clientPair.keyPem }
    : {
        certPem: credentials.clientCertPem,
        keyPem: credentials.clientKeyPem,
        token: credentials.token,
      };
  return {
    kubeconfigFile,
    credentials,
    resolutionMs,
    kubelet: {
      port,
      useNodeStatusPort: flags['kubelet-use-node-status-port'] === true,
      addressTypes,
      ...(insecure || !caPem ? {} : { caPem }),
      insecure,
      ...(kubeletCreds.certPem ? { certPem: kubeletCreds.certPem } : {}),
      ...(kubeletCreds.keyPem ? { keyPem: kubeletCreds.keyPem } : {}),
      ...('token' in kubeletCreds && kubeletCreds.token ? { token: kubeletCreds.token } : {}),
      timeoutMs: Number(flags['kubelet-request-timeout']),
    },
    nodeSelector,
    ...(secureServing ? { secureServing } : {}),
    verbosity: Number(flags.v ?? 0),
  };
}
