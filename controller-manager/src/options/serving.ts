// --secure-port and its delegated authentication and authorization, checked into one config: the
// serving pair read (or, as kube-controller-manager does without --tls-cert-file, self-signed for
// localhost, kept in memory or in --cert-dir as kube-controller-manager.{crt,key}), the client CA
// parsed and the delegation kubeconfigs resolved.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { AUTHENTICATION_INFO, type ConfigMap } from '@mkube/shared/api';
import { writeFileAtomic } from '@mkube/shared/atomicfile';
import { createClient } from '@mkube/shared/client';
import { type ConfigProblem, type FlagValues, readCertificates, readKeyPair } from '@mkube/shared/flags';
import {
  clientOptionsFrom,
  loadKubeconfig,
  type ResolvedCredentials,
  resolveCredentials,
} from '@mkube/shared/kubeconfig';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair, parseCertificatesPem } from '@mkube/shared/pki';
import { type TLSServingOptions, tlsServingOptions } from '@mkube/shared/tls';
import { requestHeaderFromConfigMap } from './authenticationinfo.js';

export interface SecureServingConfig {
  readonly port: number;
  readonly bindAddress: string;
  /** The serving certificate chain and its key (PEM). */
  readonly certPem: string;
  readonly keyPem: string;
  /** Where the pair came from, for the start-up log. */
  readonly certSource: string;
  /** The pair's files (absent when self-signed in memory): read again when they change. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** --tls-min-version and --tls-cipher-suites. */
  readonly tls: TLSServingOptions;
  readonly clientCAPem?: string;
  /** --client-ca-file: read again when it changes. */
  readonly clientCAFile?: string;
  /** The client CA is the apiserver's published one: watched, so a new bundle takes effect. */
  readonly clientCAFromConfigMap?: boolean;
  /** --requestheader-client-ca-file (read again when it changes) and the other --requestheader-* flags. */
  readonly requestHeader?: RequestHeaderFlags;
  /** The request-header settings are the apiserver's published ones: watched. */
  readonly requestHeaderFromConfigMap?: boolean;
  /** ConfigMap extension-apiserver-authentication's data as looked up at start. */
  readonly authenticationInfo?: Record<string, string>;
  readonly authentication?: { readonly credentials: ResolvedCredentials; readonly cacheTtlMs: number };
  readonly authorization?: {
    readonly credentials: ResolvedCredentials;
    readonly allowedTtlMs: number;
    readonly deniedTtlMs: number;
  };
  readonly alwaysAllowPaths: readonly string[];
  /** Groups allowed everything without asking (upstream: system:masters). */
  readonly alwaysAllowGroups: readonly string[];
}

export interface RequestHeaderFlags {
  readonly caPem: string;
  readonly caFile: string;
  readonly allowedNames: readonly string[];
  readonly usernameHeaders: readonly string[];
  readonly uidHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

const PAIR_NAME = 'kube-controller-manager';

/** k8s.io/apiserver's secure serving and delegated-auth flags, as every component built on it has them. */
export const SECURE_SERVING_FLAG_NAMES = [
  'bind-address',
  'cert-dir',
  'tls-cert-file',
  'tls-private-key-file',
  'tls-cipher-suites',
  'tls-min-version',
  'client-ca-file',
  'requestheader-client-ca-file',
  'requestheader-allowed-names',
  'requestheader-username-headers',
  'requestheader-uid-headers',
  'requestheader-group-headers',
  'requestheader-extra-headers-prefix',
  'authentication-kubeconfig',
  'authentication-skip-lookup',
  'authentication-tolerate-lookup-failure',
  'authentication-token-webhook-cache-ttl',
  'authorization-kubeconfig',
  'authorization-always-allow-paths',
  'authorization-webhook-cache-authorized-ttl',
  'authorization-webhook-cache-unauthorized-ttl',
] as const;
const SELF_SIGNED_TTL_MS = 365 * 24 * 3600 * 1000;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** --tls-cert-file and --tls-private-key-file, both or neither, read and matched. */
function readPair(certFile: string, keyFile: string, problems: ConfigProblem[]) {
  if (!certFile !== !keyFile) {
    problems.push({
      code: 'REQUIRED',
      flag: certFile ? 'tls-private-key-file' : 'tls-cert-file',
      message: '--tls-cert-file and --tls-private-key-file must be specified together',
    });
    return undefined;
  }
  const before = problems.length;
  const { certPem, keyPem } = readKeyPair(
    { flag: 'tls-cert-file', file: certFile },
    { flag: 'tls-private-key-file', file: keyFile },
    problems,
  );
  return problems.length === before && certPem && keyPem ? { certPem, keyPem } : undefined;
}

/** A self-signed CA and a localhost serving certificate from it, as certutil.GenerateSelfSignedCertKey. */
export async function selfSigned(bindAddress: string): Promise<{ certPem: string; keyPem: string }> {
  const stamp = Math.floor(Date.now() / 1000);
  const { ca, certPem: caPem } = await CertificateAuthority.createSelfSigned({ commonName: `localhost-ca@${stamp}` });
  const key = await generateKeyPair();
  const ips = ['127.0.0.1', ...(bindAddress !== '0.0.0.0' && bindAddress !== '::' ? [bindAddress] : [])];
  const leaf = ca.issue({
    subject: { commonName: `localhost@${stamp}` },
    dnsNames: ['localhost'],
    ipAddresses: [...new Set(ips)],
    publicKey: key.publicKey,
    usages: ['digital signature', 'key encipherment', 'server auth'],
    ttlMs: SELF_SIGNED_TTL_MS,
  });
  return { certPem: leaf.pem + caPem, keyPem: encodePrivateKeyPem(key) };
}

/** What the apiserver publishes for servers that delegate authentication (upstream's lookup). */
async function lookupAuthenticationInfo(creds: ResolvedCredentials): Promise<Record<string, string>> {
  const client = createClient({ ...clientOptionsFrom(creds), timeoutMs: 10_000 });
  try {
    const cm = await client
      .resource<ConfigMap>({
        group: '',
        version: 'v1',
        resource: 'configmaps',
        namespace: AUTHENTICATION_INFO.namespace,
      })
      .get(AUTHENTICATION_INFO.name);
    return cm.data ?? {};
  } finally {
    await client.close({ graceMs: 0 });
  }
}

async function kubeconfigCredentials(
  flag: string,
  file: string,
  problems: ConfigProblem[],
): Promise<ResolvedCredentials | undefined> {
  if (!file) return undefined;
  try {
    return await resolveCredentials(await loadKubeconfig(file));
  } catch (e) {
    problems.push({ code: 'BAD_VALUE', flag, file, message: (e as Error).message });
    return undefined;
  }
}

export async function loadSecureServing(
  flags: FlagValues,
  problems: ConfigProblem[],
): Promise<SecureServingConfig | undefined> {
  const port = Number(flags['secure-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'secure-port',
      message: `${port} must be between 0 and 65535, inclusive`,
    });
    return undefined;
  }
  if (port === 0) return undefined;
  const bindAddress = str(flags['bind-address']) || '0.0.0.0';
  if (!isIP(bindAddress)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'bind-address',
      message: `${JSON.stringify(bindAddress)} is not an IP address`,
    });
    return undefined;
  }

  const tls = tlsServingOptions(
    str(flags['tls-min-version']),
    (flags['tls-cipher-suites'] as string[] | undefined) ?? [],
    problems,
  );
  let pair: { certPem: string; keyPem: string } | undefined;
  let certSource: string;
  let files: { certFile: string; keyFile: string } | undefined;
  const certDir = str(flags['cert-dir']);
  if (str(flags['tls-cert-file']) || str(flags['tls-private-key-file'])) {
    pair = readPair(str(flags['tls-cert-file']), str(flags['tls-private-key-file']), problems);
    certSource = str(flags['tls-cert-file']);
    files = { certFile: str(flags['tls-cert-file']), keyFile: str(flags['tls-private-key-file']) };
  } else if (certDir) {
    const crt = join(certDir, `${PAIR_NAME}.crt`);
    const key = join(certDir, `${PAIR_NAME}.key`);
    certSource = crt;
    if (existsSync(crt) && existsSync(key)) {
      pair = readPair(crt, key, problems);
    } else {
      pair = await selfSigned(bindAddress);
      await writeFileAtomic(crt, pair.certPem, { mode: 0o644 });
      await writeFileAtomic(key, pair.keyPem, { mode: 0o600 });
    }
  } else {
    pair = await selfSigned(bindAddress);
    certSource = 'self-signed, in memory';
  }

  const caFile = str(flags['client-ca-file']);
  let clientCAPem = readCertificates('client-ca-file', caFile, problems).pem;
  const authnCreds = await kubeconfigCredentials(
    'authentication-kubeconfig',
    str(flags['authentication-kubeconfig']),
    problems,
  );
  const rhFile = str(flags['requestheader-client-ca-file']);
  const rhPem = readCertificates('requestheader-client-ca-file', rhFile, problems).pem;
  const list = (name: string) => (flags[name] as string[] | undefined) ?? [];
  const requestHeader: RequestHeaderFlags | undefined =
    rhFile && rhPem
      ? {
          caPem: rhPem,
          caFile: rhFile,
          allowedNames: list('requestheader-allowed-names'),
          usernameHeaders: list('requestheader-username-headers'),
          uidHeaders: list('requestheader-uid-headers'),
          groupHeaders: list('requestheader-group-headers'),
          extraHeaderPrefixes: list('requestheader-extra-headers-prefix'),
        }
      : undefined;
  const canLookup = !!authnCreds && !flags['authentication-skip-lookup'];
  const lookup = !caFile && canLookup;
  const rhLookup = !rhFile && canLookup;
  let authenticationInfo: Record<string, string> | undefined;
  if (lookup || rhLookup) {
    try {
      authenticationInfo = await lookupAuthenticationInfo(authnCreds!);
      const pem = authenticationInfo['client-ca-file'];
      if (lookup) clientCAPem = pem && parseCertificatesPem(pem).length > 0 ? pem : undefined;
      if (rhLookup) {
        try {
          requestHeaderFromConfigMap(authenticationInfo);
        } catch (e) {
          problems.push({
            code: 'BAD_VALUE',
            flag: 'authentication-kubeconfig',
            message: `configmap/${AUTHENTICATION_INFO.name} in ${AUTHENTICATION_INFO.namespace}: ${(e as Error).message}`,
          });
        }
      }
    } catch (e) {
      if (!flags['authentication-tolerate-lookup-failure']) {
        problems.push({
          code: 'BAD_VALUE',
          flag: 'authentication-kubeconfig',
          message: `unable to get configmap/${AUTHENTICATION_INFO.name} in ${AUTHENTICATION_INFO.namespace} (${(e as Error).message}); give --client-ca-file and --requestheader-client-ca-file, --authentication-skip-lookup or --authentication-tolerate-lookup-failure`,
        });
      }
    }
  }
  const authzCreds = await kubeconfigCredentials(
    'authorization-kubeconfig',
    str(flags['authorization-kubeconfig']),
    problems,
  );
  if (!pair) return undefined;
  return {
    port,
    bindAddress,
    ...pair,
    certSource,
    ...files,
    tls,
    ...(clientCAPem ? { clientCAPem } : {}),
    ...(caFile && clientCAPem ? { clientCAFile: caFile } : {}),
    ...(lookup ? { clientCAFromConfigMap: true } : {}),
    ...(requestHeader ? { requestHeader } : {}),
    ...(rhLookup && authenticationInfo ? { requestHeaderFromConfigMap: true } : {}),
    ...(authenticationInfo ? { authenticationInfo } : {}),
    ...(authnCreds
      ? {
          authentication: {
            credentials: authnCreds,
            cacheTtlMs: Number(flags['authentication-token-webhook-cache-ttl']),
          },
        }
      : {}),
    ...(authzCreds
      ? {
          authorization: {
            credentials: authzCreds,
            allowedTtlMs: Number(flags['authorization-webhook-cache-authorized-ttl']),
            deniedTtlMs: Number(flags['authorization-webhook-cache-unauthorized-ttl']),
          },
        }
      : {}),
    alwaysAllowPaths: (flags['authorization-always-allow-paths'] as string[] | undefined) ?? [],
    alwaysAllowGroups: ['system:masters'],
  };
}

/**
 * loadSecureServing for a component whose self-signed pair in --cert-dir has its own name
 * (kube-scheduler.{crt,key}; k8s.io/apiserver's apiserver.{crt,key} for metrics-server): the pair is
 * made (or read) there and handed on as the serving files.
 */
export async function loadSecureServingAs(
  pairName: string,
  flags: FlagValues,
  problems: ConfigProblem[],
): Promise<SecureServingConfig | undefined> {
  const certDir = str(flags['cert-dir']);
  const given = str(flags['tls-cert-file']) || str(flags['tls-private-key-file']);
  const bind = str(flags['bind-address']) || '0.0.0.0';
  // Without a pair to make, or with flags the shared loader will refuse: it reports them.
  if (!certDir || given || Number(flags['secure-port']) === 0 || !isIP(bind)) return loadSecureServing(flags, problems);
  const crt = join(certDir, `${pairName}.crt`);
  const key = join(certDir, `${pairName}.key`);
  if (!existsSync(crt) || !existsSync(key)) {
    const pair = await selfSigned(bind);
    await writeFileAtomic(crt, pair.certPem, { mode: 0o644 });
    await writeFileAtomic(key, pair.keyPem, { mode: 0o600 });
  }
  return loadSecureServing({ ...flags, 'cert-dir': '', 'tls-cert-file': crt, 'tls-private-key-file': key }, problems);
}
