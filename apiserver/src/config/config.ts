// The apiserver's configuration: raw flag values in, one frozen, typed object out (PEM files read and
// checked). Every problem is collected and reported together.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { parseTokenFile, type UserInfo } from '@mkube/shared/auth';
import { type FeatureGate, FeatureGateError, parseFeatureGates } from '@mkube/shared/featuregate';
import type { FlagValues } from '@mkube/shared/flags';
import { certificates, privateKey, readCertificates, readKeyPair } from '@mkube/shared/flags';
import { publicKeysFromPem } from '@mkube/shared/serviceaccount';
import {
  type CABundle,
  loadSNICertificates,
  type SNICertificate,
  type TLSServingOptions,
  tlsServingOptions,
} from '@mkube/shared/tls';
import { parseEventRateLimitConfig } from '../admission/plugins/eventratelimit/config.js';
import { EVENT_RATE_LIMIT_PLUGIN } from '../admission/plugins/eventratelimit/index.js';
import { admissionPluginProblems } from '../admission/registry.js';
import { type APICatalog, DEFAULT_CATALOG } from '../registry/catalog.js';
import { corsPatterns, hstsHeader } from '../server/cors.js';
import { ADMISSION_CONFIG_FLAG, type AdmissionPluginConfigs, admissionPluginConfigs } from './admission.js';
import { apiCatalogFor, RuntimeConfigError } from './apienablement.js';
import { type AuditConfig, auditConfig } from './audit.js';
import { type AuthenticationConfig, authenticationConfig } from './authentication.js';
import { type AuthorizationConfig, authorizationConfig } from './authorization.js';
import { readEncryptionConfig } from './encryption.js';
import { ConfigError, type ConfigProblem, readFlagFile } from './errors.js';
import { type EtcdConfig, etcdConfig } from './etcd.js';
import { type ServicesConfig, servicesConfig } from './services.js';
import { type AuthorizationWebhookConfig, type TokenWebhookConfig, webhookConfig } from './webhook.js';

export interface ServingConfig {
  readonly port: number;
  readonly bindAddress: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Server certificate followed by any intermediates. */
  readonly certPem: string;
  readonly keyPem: string;
  /** --tls-min-version and --tls-cipher-suites. */
  readonly tls: TLSServingOptions;
  /** --tls-sni-cert-key, in flag order: picked by the ClientHello's server name. */
  readonly sniCertificates: readonly SNICertificate[];
}

/** A CA bundle flag: its file, text and certificates. */
export interface ClientCAConfig extends CABundle {
  readonly file: string;
}

export interface RequestHeaderConfig {
  readonly ca: ClientCAConfig;
  readonly allowedNames: readonly string[];
  readonly usernameHeaders: readonly string[];
  /** --requestheader-uid-headers (RemoteRequestHeaderUID). */
  readonly uidHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

export const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny', 'Node', 'RBAC', 'Webhook'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

export interface ServiceAccountConfig {
  /** Absent: TokenRequest is not served (verification only). */
  readonly signingKey?: KeyObject;
  readonly publicKeys: readonly KeyObject[];
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly maxExpirationSeconds: number;
  /** --service-account-extend-token-expiration. */
  readonly extendExpiration: boolean;
  /**
   * --service-account-lookup: a legacy (Secret-based) token authenticates only while its Secret (with
   * the same token) and its ServiceAccount exist. Off, its signature alone is enough. Bound tokens are
   * always checked against the objects they name.
   */
  readonly lookup: boolean;
  /** --service-account-jwks-uri: the discovery document's jwks_uri; absent: the apiserver's own. */
  readonly jwksURI?: string;
}

/** How the apiserver reaches kubelets (logs, exec, node proxy). */
export interface KubeletClientConfig {
  /** PEM of --kubelet-client-certificate/--kubelet-client-key; absent: no client certificate. */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** The files they were read from, read again when they change. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** PEM of --kubelet-certificate-authority; absent: kubelet serving certificates are not verified. */
  readonly caPem?: string;
  readonly preferredAddressTypes: readonly string[];
  readonly timeoutMs: number;
}

/** The aggregator's client identity toward aggregated API servers (--proxy-client-cert-file/--proxy-client-key-file). */
export interface ProxyClientConfig {
  /** Absent: aggregated APIs are called without a client certificate. */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** The files they were read from, read again when they change. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** --enable-aggregator-routing (a ClusterIP Service is routed to endpoints either way: mkube has no Service network; this says whether an ExternalName Service may be dialled). */
  readonly enableAggregatorRouting: boolean;
}

export const NODE_ADDRESS_TYPES = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'] as const;

export interface ApiServerConfig {
  readonly serving: ServingConfig;
  /** Absent: no x509 client authentication. */
  readonly clientCA?: ClientCAConfig;
  /** Front-proxy authentication; absent without --requestheader-client-ca-file. */
  readonly requestHeader?: RequestHeaderConfig;
  readonly anonymousAuth: boolean;
  /** --profiling: /debug/pprof (for whom RBAC lets get it: cluster admins by default). */
  readonly profiling: boolean;
  /** Paths anonymous requests may reach (AuthenticationConfiguration `anonymous.conditions`); empty: all. */
  readonly anonymousPaths: readonly string[];
  /** JWT (OIDC) authenticators from --authentication-config or the --oidc-* flags. */
  readonly authentication?: AuthenticationConfig;
  readonly enableBootstrapTokenAuth: boolean;
  /** Absent when no --service-account-key-file/--service-account-signing-key-file is given. */
  readonly serviceAccount?: ServiceAccountConfig;
  /** --token-auth-file, parsed: SHA-256 of each token → its user. */
  readonly staticTokens?: ReadonlyMap<string, UserInfo>;
  readonly admission: {
    readonly enable: readonly string[];
    readonly disable: readonly string[];
    /** --admission-control-config-file: the plugins' configurations (PodSecurity's). */
    readonly plugins: AdmissionPluginConfigs;
    /** --default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds. */
    readonly defaultTolerationSeconds: { readonly notReadySeconds: number; readonly unreachableSeconds: number };
  };
  readonly authorizationModes: readonly AuthorizationMode[];
  /** --authorization-config: the file and its authorizers (then the modes are their types). */
  readonly authorization?: AuthorizationConfig;
  /** --authorization-webhook-*: set when Webhook is one of the modes. */
  readonly authorizationWebhook?: AuthorizationWebhookConfig;
  /** --authentication-token-webhook-*: the remote token authenticator, tried after the others. */
  readonly tokenWebhook?: TokenWebhookConfig;
  readonly kubelet: KubeletClientConfig;
  readonly proxyClient: ProxyClientConfig;
  readonly services: ServicesConfig;
  /** --audit-policy-file with --audit-log-path; absent: no auditing. */
  readonly audit?: AuditConfig;
  /** The embedded SQLite store's folder; unused when `etcd` is set. */
  readonly dataDir: string;
  /** --etcd-servers and friends: the store is etcd when set. */
  readonly etcd?: EtcdConfig;
  /** --encryption-provider-config: the EncryptionConfiguration file's path (secrets encryption at rest). */
  readonly encryptionProviderConfigFile?: string;
  /** --encryption-provider-config-automatic-reload: the file is watched and reloaded when it changes. */
  readonly encryptionProviderConfigAutomaticReload: boolean;
  /** 0: never compact. */
  readonly compactionIntervalMs: number;
  /** --event-ttl: Events are deleted this long after their last write; 0 keeps them. */
  readonly eventTTLMs: number;
  readonly shutdownDelayMs: number;
  /** --livez-grace-period: /livez counts unfinished boot-sequence checks healthy this long after start. */
  readonly livezGracePeriodMs: number;
  /** --cors-allowed-origins, compiled; empty: no CORS. */
  readonly corsAllowedOrigins: readonly RegExp[];
  /** --strict-transport-security-directives joined for the header; absent: none. */
  readonly hsts?: string;
  /** --enable-priority-and-fairness: API Priority and Fairness; false applies the max-in-flight limits. */
  readonly enablePriorityAndFairness: boolean;
  /** --max-requests-inflight and --max-mutating-requests-inflight (0: that kind unlimited). */
  readonly maxRequestsInflight: number;
  readonly maxMutatingRequestsInflight: number;
  /** --min-request-timeout: a watch without its own timeoutSeconds lasts 1 to 2 times this (0: no end). */
  readonly minRequestTimeoutMs: number;
  /** --goaway-chance: the fraction of HTTP/2 requests whose connection is then closed with a GOAWAY. */
  readonly goawayChance: number;
  /** --request-timeout: non-long-running requests unanswered this long get 504 (0: no deadline). */
  readonly requestTimeoutMs: number;
  readonly verbosity: number;
  /** --feature-gates. */
  readonly featureGates: FeatureGate;
  /** --allow-privileged: whether a container may ask for `privileged: true`. */
  readonly allowPrivileged: boolean;
  /** What --runtime-config and the gates leave served. */
  readonly apiCatalog: APICatalog;
}

function str(flags: FlagValues, name: string): string {
  const v = flags[name];
  return typeof v === 'string' ? v : '';
}

function num(flags: FlagValues, name: string): number {
  const v = flags[name];
  return typeof v === 'number' ? v : 0;
}

/** Builds the frozen config from parsed flag values (`given`: flags the user set). Throws ConfigError. */
export function loadApiServerConfig(flags: FlagValues, given: ReadonlySet<string>): ApiServerConfig {
  const problems: ConfigProblem[] = [];
  const etcd = etcdConfig(flags, problems);
  const port = num(flags, 'secure-port');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'secure-port',
      message: `${port} must be between 0 and 65535, inclusive`,
    });
  }
  const bindAddress = str(flags, 'bind-address');
  if (!isIP(bindAddress)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'bind-address',
      message: `${JSON.stringify(bindAddress)} is not a valid IP address`,
    });
  }
  let featureGates = parseFeatureGates([]);
  try {
    featureGates = parseFeatureGates((flags['feature-gates'] as string[] | undefined) ?? []);
  } catch (e) {
    if (!(e instanceof FeatureGateError)) throw e;
    problems.push({ code: 'BAD_VALUE', flag: 'feature-gates', message: e.message });
  }
  let apiCatalog = DEFAULT_CATALOG;
  try {
    apiCatalog = apiCatalogFor((flags['runtime-config'] as string[] | undefined) ?? [], featureGates);
  } catch (e) {
    if (!(e instanceof RuntimeConfigError)) throw e;
    problems.push({ code: 'BAD_VALUE', flag: 'runtime-config', message: e.message });
  }
  const dataDir = str(flags, 'data-dir');
  if (!dataDir && !etcd) problems.push({ code: 'REQUIRED', flag: 'data-dir', message: 'must be set' });
  const authorization = authorizationConfig(flags, given, problems);
  const authorizationModes = authorization
    ? [...new Set(authorization.entries.map((e) => e.type))]
    : ((flags['authorization-mode'] as string[] | undefined) ?? ['AlwaysAllow']);
  for (const m of authorization ? [] : authorizationModes) {
    if (m === 'ABAC') {
      problems.push({ code: 'NOT_SUPPORTED', flag: 'authorization-mode', message: `${m} is not supported yet` });
    } else if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'authorization-mode',
        message: `unknown authorization mode "${m}" (allowed: ${AUTHORIZATION_MODES.join(', ')})`,
      });
    }
  }
  if (authorizationModes.length === 0)
    problems.push({ code: 'REQUIRED', flag: 'authorization-mode', message: 'at least one mode is required' });
  let staticTokens: Map<string, UserInfo> | undefined;
  const tokenFile = str(flags, 'token-auth-file');
  if (tokenFile) {
    const text = readFlagFile('token-auth-file', tokenFile, problems);
    if (text !== undefined) {
      try {
        staticTokens = parseTokenFile(text, tokenFile);
      } catch (e) {
        problems.push({ code: 'BAD_VALUE', flag: 'token-auth-file', file: tokenFile, message: (e as Error).message });
      }
    }
  }
  const serviceAccount = serviceAccountConfig(flags, problems);
  const authentication = authenticationConfig(
    flags,
    given,
    (flags['service-account-issuer'] as string[] | undefined) ?? [],
    problems,
  );
  const enablePlugins = (flags['enable-admission-plugins'] as string[] | undefined) ?? [];
  const disablePlugins = (flags['disable-admission-plugins'] as string[] | undefined) ?? [];
  for (const message of admissionPluginProblems(enablePlugins, disablePlugins)) {
    problems.push({ code: 'BAD_VALUE', flag: 'enable-admission-plugins', message });
  }
  const admissionPlugins = admissionPluginConfigs(str(flags, ADMISSION_CONFIG_FLAG), problems);
  // EventRateLimit has no defaults to run on: turned on, it needs its entry in the config file.
  if (
    enablePlugins.includes(EVENT_RATE_LIMIT_PLUGIN) &&
    !disablePlugins.includes(EVENT_RATE_LIMIT_PLUGIN) &&
    !admissionPlugins.eventRateLimit &&
    problems.length === 0
  ) {
    try {
      parseEventRateLimitConfig(undefined);
    } catch (e) {
      problems.push({
        code: 'BAD_VALUE',
        flag: ADMISSION_CONFIG_FLAG,
        message: `couldn't init admission plugin "${EVENT_RATE_LIMIT_PLUGIN}": ${(e as Error).message} (give it a Configuration in --${ADMISSION_CONFIG_FLAG})`,
      });
    }
  }
  /** A number flag that may not be below 0: its value, and a problem when it is. */
  const nonNegative = (name: string, message = 'can not be negative'): number => {
    const v = num(flags, name);
    if (v < 0) problems.push({ code: 'BAD_VALUE', flag: name, message });
    return v;
  };
  const compactionIntervalMs = nonNegative('etcd-compaction-interval');
  const eventTTLMs = nonNegative('event-ttl');
  const cors = corsPatterns((flags['cors-allowed-origins'] as string[] | undefined) ?? []);
  for (const c of cors)
    if (typeof c === 'string') problems.push({ code: 'BAD_VALUE', flag: 'cors-allowed-origins', message: c });
  const hsts = hstsHeader((flags['strict-transport-security-directives'] as string[] | undefined) ?? []);
  if (Array.isArray(hsts))
    for (const message of hsts)
      problems.push({ code: 'BAD_VALUE', flag: 'strict-transport-security-directives', message });
  const goawayChance = num(flags, 'goaway-chance');
  if (!(goawayChance >= 0 && goawayChance <= 0.02)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'goaway-chance',
      message: 'can not be less than 0 or greater than 0.02',
    });
  }
  // Upstream's own wording for these two.
  const maxRequestsInflight = nonNegative('max-requests-inflight', 'can not be negative value');
  const maxMutatingRequestsInflight = nonNegative('max-mutating-requests-inflight', 'can not be negative value');
  const enablePriorityAndFairness = flags['enable-priority-and-fairness'] !== false;
  if (enablePriorityAndFairness && maxRequestsInflight + maxMutatingRequestsInflight <= 0) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'max-requests-inflight',
      message:
        'with --max-mutating-requests-inflight must sum to a positive value when --enable-priority-and-fairness is true',
    });
  }
  // validateAPIPriorityAndFairness: the dispatcher reads its configuration through the API.
  if (enablePriorityAndFairness && !apiCatalog.find('flowcontrol.apiserver.k8s.io', 'v1', 'flowschemas')) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'runtime-config',
      message:
        'enabling APIPriorityAndFairness requires --runtime-config=flowcontrol.apiserver.k8s.io/v1=true to be enabled',
    });
  }
  const minRequestTimeout = nonNegative('min-request-timeout');
  const requestTimeoutMs = nonNegative('request-timeout');
  const shutdownDelayMs = nonNegative('shutdown-delay-duration');
  const livezGracePeriodMs = nonNegative('livez-grace-period', 'can not be a negative value');

  const certFile = str(flags, 'tls-cert-file');
  const keyFile = str(flags, 'tls-private-key-file');
  // kube-apiserver would self-sign into --cert-dir; mkube's PKI always provides the pair.
  if (!certFile)
    problems.push({
      code: 'REQUIRED',
      flag: 'tls-cert-file',
      message: 'must be set (mkube does not self-sign serving certificates)',
    });
  if (!keyFile) problems.push({ code: 'REQUIRED', flag: 'tls-private-key-file', message: 'must be set' });
  const { certPem, keyPem } = readKeyPair(
    { flag: 'tls-cert-file', file: certFile },
    { flag: 'tls-private-key-file', file: keyFile },
    problems,
  );
  const tls = tlsServingOptions(
    str(flags, 'tls-min-version'),
    (flags['tls-cipher-suites'] as string[] | undefined) ?? [],
    problems,
  );
  const sniCertificates = loadSNICertificates(
    (flags['tls-sni-cert-key'] as string[] | undefined) ?? [],
    'tls-sni-cert-key',
    problems,
  );

  let clientCA: ClientCAConfig | undefined;
  const caFile = str(flags, 'client-ca-file');
  if (caFile) {
    const pem = readFlagFile('client-ca-file', caFile, problems);
    if (pem !== undefined) {
      const certs = certificates('client-ca-file', caFile, pem, problems);
      if (certs.length > 0) clientCA = Object.freeze({ file: caFile, pem, certs: Object.freeze(certs) });
    }
  }

  let requestHeader: RequestHeaderConfig | undefined;
  const rhFile = str(flags, 'requestheader-client-ca-file');
  if (rhFile) {
    const pem = readFlagFile('requestheader-client-ca-file', rhFile, problems);
    const certs = pem === undefined ? [] : certificates('requestheader-client-ca-file', rhFile, pem, problems);
    const list = (n: string) => Object.freeze([...((flags[n] as string[] | undefined) ?? [])]);
    const usernameHeaders = list('requestheader-username-headers');
    if (usernameHeaders.length === 0) {
      problems.push({
        code: 'REQUIRED',
        flag: 'requestheader-username-headers',
        message: 'must be set with --requestheader-client-ca-file',
      });
    }
    if (pem !== undefined && certs.length > 0) {
      requestHeader = Object.freeze({
        ca: Object.freeze({ file: rhFile, pem, certs: Object.freeze(certs) }),
        allowedNames: list('requestheader-allowed-names'),
        usernameHeaders,
        uidHeaders: list('requestheader-uid-headers'),
        groupHeaders: list('requestheader-group-headers'),
        extraHeaderPrefixes: list('requestheader-extra-headers-prefix'),
      });
    }
  }

  const kubelet = kubeletClientConfig(flags, problems);
  const proxyClient = proxyClientConfig(flags, problems);
  const services = servicesConfig(flags, bindAddress, problems);
  const audit = auditConfig(flags, problems);
  // With --authorization-config the file's webhooks carry their own settings.
  const { tokenWebhook, authorizationWebhook } = webhookConfig(
    flags,
    authorization ? [] : authorizationModes,
    problems,
  );
  const encryptionFile = str(flags, 'encryption-provider-config');
  if (encryptionFile) readEncryptionConfig(encryptionFile, problems);
  else if (flags['encryption-provider-config-automatic-reload'] === true) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'encryption-provider-config-automatic-reload',
      message: '--encryption-provider-config-automatic-reload must be set with --encryption-provider-config',
    });
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    serving: Object.freeze({
      port,
      bindAddress,
      certFile,
      keyFile,
      certPem: certPem!,
      keyPem: keyPem!,
      tls,
      sniCertificates: Object.freeze(sniCertificates),
    }),
    clientCA,
    requestHeader,
    anonymousAuth: authentication?.anonymous ? authentication.anonymous.enabled : flags['anonymous-auth'] !== false,
    profiling: flags.profiling !== false,
    anonymousPaths: Object.freeze([...(authentication?.anonymous?.paths ?? [])]),
    authentication,
    enableBootstrapTokenAuth: flags['enable-bootstrap-token-auth'] === true,
    serviceAccount,
    staticTokens,
    admission: Object.freeze({
      enable: Object.freeze([...enablePlugins]),
      disable: Object.freeze([...disablePlugins]),
      plugins: admissionPlugins,
      defaultTolerationSeconds: Object.freeze({
        notReadySeconds: num(flags, 'default-not-ready-toleration-seconds'),
        unreachableSeconds: num(flags, 'default-unreachable-toleration-seconds'),
      }),
    }),
    authorizationModes: Object.freeze([...authorizationModes] as AuthorizationMode[]),
    authorization,
    authorizationWebhook,
    tokenWebhook,
    kubelet,
    proxyClient,
    services,
    audit,
    dataDir,
    etcd,
    encryptionProviderConfigFile: str(flags, 'encryption-provider-config') || undefined,
    encryptionProviderConfigAutomaticReload: flags['encryption-provider-config-automatic-reload'] === true,
    compactionIntervalMs,
    eventTTLMs,
    shutdownDelayMs,
    livezGracePeriodMs,
    requestTimeoutMs,
    goawayChance,
    minRequestTimeoutMs: minRequestTimeout * 1000,
    enablePriorityAndFairness,
    maxRequestsInflight,
    maxMutatingRequestsInflight,
    corsAllowedOrigins: Object.freeze(cors.filter((c): c is RegExp => c instanceof RegExp)),
    ...(!Array.isArray(hsts) && hsts.value ? { hsts: hsts.value } : {}),
    verbosity: num(flags, 'v'),
    featureGates,
    allowPrivileged: flags['allow-privileged'] === true,
    apiCatalog,
  });
}

function serviceAccountConfig(flags: FlagValues, problems: ConfigProblem[]): ServiceAccountConfig | undefined {
  const keyFiles = (flags['service-account-key-file'] as string[] | undefined) ?? [];
  const signingFile = str(flags, 'service-account-signing-key-file');
  const issuers = (flags['service-account-issuer'] as string[] | undefined) ?? [];
  if (keyFiles.length === 0 && !signingFile) return undefined;
  const publicKeys: KeyObject[] = [];
  for (const file of keyFiles) {
    const pem = readFlagFile('service-account-key-file', file, problems);
    if (pem === undefined) continue;
    try {
      const keys = publicKeysFromPem(pem);
      if (keys.length === 0) throw new Error('no PEM block');
      publicKeys.push(...keys);
    } catch {
      problems.push({
        code: 'BAD_PRIVATE_KEY',
        flag: 'service-account-key-file',
        file,
        message: 'no usable PEM public key, certificate or private key',
      });
    }
  }
  let signingKey: KeyObject | undefined;
  if (signingFile) {
    const pem = readFlagFile('service-account-signing-key-file', signingFile, problems);
    if (pem !== undefined) signingKey = privateKey('service-account-signing-key-file', signingFile, pem, problems);
    if (signingKey) publicKeys.push(createPublicKey(signingKey));
  }
  if (issuers.length === 0)
    problems.push({
      code: 'REQUIRED',
      flag: 'service-account-issuer',
      message: 'must be set when service-account keys are given',
    });
  const jwksURI = str(flags, 'service-account-jwks-uri');
  if (jwksURI) {
    let scheme = '';
    try {
      scheme = new URL(jwksURI).protocol;
    } catch {
      problems.push({ code: 'BAD_VALUE', flag: 'service-account-jwks-uri', message: 'must be a valid URL' });
    }
    if (scheme && scheme !== 'https:') {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'service-account-jwks-uri',
        message: `requires https scheme, parsed as: ${jwksURI}`,
      });
    }
  }
  const audiences = (flags['api-audiences'] as string[] | undefined) ?? [];
  return Object.freeze({
    signingKey,
    publicKeys: Object.freeze(publicKeys),
    issuers: Object.freeze([...issuers]),
    audiences: Object.freeze(audiences.length ? [...audiences] : issuers.slice(0, 1)),
    maxExpirationSeconds: Math.floor(num(flags, 'service-account-max-token-expiration') / 1000),
    extendExpiration: flags['service-account-extend-token-expiration'] !== false,
    lookup: flags['service-account-lookup'] !== false,
    jwksURI: str(flags, 'service-account-jwks-uri') || undefined,
  });
}

/** A client pair given by two flags: both or neither, each file readable, the key the certificate's. */
function clientPairFlags(
  flags: FlagValues,
  certFlag: string,
  keyFlag: string,
  problems: ConfigProblem[],
): { certPem?: string; keyPem?: string; certFile: string; keyFile: string } {
  const certFile = str(flags, certFlag);
  const keyFile = str(flags, keyFlag);
  if (certFile && !keyFile)
    problems.push({ code: 'REQUIRED', flag: keyFlag, message: `must be set with --${certFlag}` });
  if (keyFile && !certFile)
    problems.push({ code: 'REQUIRED', flag: certFlag, message: `must be set with --${keyFlag}` });
  const { certPem, keyPem } = readKeyPair(
    { flag: certFlag, file: certFile },
    { flag: keyFlag, file: keyFile },
    problems,
  );
  return { certPem, keyPem, certFile, keyFile };
}

function proxyClientConfig(flags: FlagValues, problems: ConfigProblem[]): ProxyClientConfig {
  const { certPem, keyPem, certFile, keyFile } = clientPairFlags(
    flags,
    'proxy-client-cert-file',
    'proxy-client-key-file',
    problems,
  );
  return Object.freeze({
    ...(certPem && keyPem && certFile && keyFile ? { certPem, keyPem, certFile, keyFile } : {}),
    enableAggregatorRouting: flags['enable-aggregator-routing'] === true,
  });
}

function kubeletClientConfig(flags: FlagValues, problems: ConfigProblem[]): KubeletClientConfig {
  const { certPem, keyPem, certFile, keyFile } = clientPairFlags(
    flags,
    'kubelet-client-certificate',
    'kubelet-client-key',
    problems,
  );
  const caFile = str(flags, 'kubelet-certificate-authority');
  const { pem: caPem } = readCertificates('kubelet-certificate-authority', caFile, problems);
  const types = (flags['kubelet-preferred-address-types'] as string[] | undefined) ?? [...NODE_ADDRESS_TYPES];
  for (const t of types) {
    if (!(NODE_ADDRESS_TYPES as readonly string[]).includes(t))
      problems.push({
        code: 'BAD_VALUE',
        flag: 'kubelet-preferred-address-types',
        message: `unsupported NodeAddressType "${t}"`,
      });
  }
  if (types.length === 0)
    problems.push({
      code: 'REQUIRED',
      flag: 'kubelet-preferred-address-types',
      message: 'at least one type is required',
    });
  const timeoutMs = flags['kubelet-timeout'] === undefined ? 5000 : num(flags, 'kubelet-timeout');
  if (timeoutMs < 0) problems.push({ code: 'BAD_VALUE', flag: 'kubelet-timeout', message: 'can not be negative' });
  return Object.freeze({
    certPem,
    keyPem,
    ...(certFile && keyFile ? { certFile, keyFile } : {}),
    caPem,
    preferredAddressTypes: Object.freeze([...types]),
    timeoutMs,
  });
}
