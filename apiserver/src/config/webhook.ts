// --authentication-token-webhook-* and --authorization-webhook-* (kube-apiserver's
// pkg/kubeapiserver/options authentication.go and authorization.go): each webhook is a kubeconfig
// file whose cluster is the remote service (its `server` the full URL POSTed to, its CA) and whose
// user is how the apiserver presents itself to it (a client certificate or a token). The file and
// everything it references are read and checked here, at start-up; a problem names the flag and
// the file.
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { FlagValues } from '@mkube/shared/flags';
import { KubeconfigError, parseKubeconfig } from '@mkube/shared/kubeconfig';
import { parseCertificatesPem } from '@mkube/shared/pki';
import { type ConfigProblem, readFlagFile } from './errors.js';

export const WEBHOOK_VERSIONS = ['v1', 'v1beta1'] as const;
export type WebhookVersion = (typeof WEBHOOK_VERSIONS)[number];

/** Where a webhook is and how to reach it, from its kubeconfig (referenced files already read). */
export interface WebhookClientConfig {
  /** The kubeconfig file (for messages). */
  readonly file: string;
  /** The full URL each review is POSTed to. */
  readonly server: string;
  readonly caPem?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Sent as `Authorization: Bearer`; never logged. */
  readonly token?: string;
}

export interface TokenWebhookConfig {
  readonly client: WebhookClientConfig;
  /** authentication.k8s.io version of the TokenReview sent and expected. */
  readonly version: WebhookVersion;
  readonly cacheTtlMs: number;
  /** The API audiences sent in spec.audiences (--api-audiences, else the service-account issuer). */
  readonly audiences: readonly string[];
}

export interface AuthorizationWebhookConfig {
  readonly client: WebhookClientConfig;
  /** authorization.k8s.io version of the SubjectAccessReview sent and expected. */
  readonly version: WebhookVersion;
  readonly authorizedTtlMs: number;
  readonly unauthorizedTtlMs: number;
}

export interface WebhookConfigs {
  readonly tokenWebhook?: TokenWebhookConfig;
  readonly authorizationWebhook?: AuthorizationWebhookConfig;
}

const str = (flags: FlagValues, n: string) => (typeof flags[n] === 'string' ? (flags[n] as string) : '');
const list = (flags: FlagValues, n: string) => (Array.isArray(flags[n]) ? (flags[n] as string[]) : []);

function duration(flags: FlagValues, name: string, fallbackMs: number, problems: ConfigProblem[]): number {
  const v = flags[name];
  const ms = typeof v === 'number' ? v : fallbackMs;
  if (ms < 0) problems.push({ code: 'BAD_VALUE', flag: name, message: 'can not be negative' });
  return ms;
}

function version(flags: FlagValues, name: string, what: string, problems: ConfigProblem[]): WebhookVersion {
  const v = str(flags, name) || 'v1beta1';
  if (!(WEBHOOK_VERSIONS as readonly string[]).includes(v)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: name,
      message: `unsupported ${what} version ${JSON.stringify(v)}, supported versions are "v1", "v1beta1"`,
    });
  }
  return v as WebhookVersion;
}

export function webhookConfig(
  flags: FlagValues,
  authorizationModes: readonly string[],
  problems: ConfigProblem[],
): WebhookConfigs {
  let tokenWebhook: TokenWebhookConfig | undefined;
  const authnFile = str(flags, 'authentication-token-webhook-config-file');
  const authnVersion = version(flags, 'authentication-token-webhook-version', 'authentication webhook', problems);
  const cacheTtlMs = duration(flags, 'authentication-token-webhook-cache-ttl', 120_000, problems);
  if (authnFile) {
    const client = readWebhookKubeconfig('authentication-token-webhook-config-file', authnFile, problems);
    const apiAudiences = list(flags, 'api-audiences');
    const audiences = apiAudiences.length ? apiAudiences : list(flags, 'service-account-issuer').slice(0, 1);
    if (client) tokenWebhook = Object.freeze({ client, version: authnVersion, cacheTtlMs, audiences });
  }

  let authorizationWebhook: AuthorizationWebhookConfig | undefined;
  const authzFile = str(flags, 'authorization-webhook-config-file');
  const authzVersion = version(flags, 'authorization-webhook-version', 'webhook authorizer', problems);
  const authorizedTtlMs = duration(flags, 'authorization-webhook-cache-authorized-ttl', 300_000, problems);
  const unauthorizedTtlMs = duration(flags, 'authorization-webhook-cache-unauthorized-ttl', 30_000, problems);
  const webhookMode = authorizationModes.includes('Webhook');
  if (webhookMode && !authzFile) {
    problems.push({
      code: 'REQUIRED',
      flag: 'authorization-webhook-config-file',
      message: "authorization-mode Webhook's authorization config file not passed",
    });
  }
  if (authzFile && !webhookMode) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'authorization-webhook-config-file',
      message: 'cannot specify --authorization-webhook-config-file without mode Webhook',
    });
  }
  if (authzFile && webhookMode) {
    const client = readWebhookKubeconfig('authorization-webhook-config-file', authzFile, problems);
    if (client) {
      authorizationWebhook = Object.freeze({ client, version: authzVersion, authorizedTtlMs, unauthorizedTtlMs });
    }
  }
  return { tokenWebhook, authorizationWebhook };
}

/**
 * A webhook's kubeconfig: the current context's cluster and user, or, without a current context,
 * the first cluster and the first user. Certificates, key and token file are read relative to the
 * kubeconfig's folder and checked (a key must match its certificate). Undefined after a problem.
 */
export function readWebhookKubeconfig(
  flag: string,
  file: string,
  problems: ConfigProblem[],
): WebhookClientConfig | undefined {
  const text = readFlagFile(flag, file, problems);
  if (text === undefined) return undefined;
  const before = problems.length;
  const bad = (message: string) => {
    problems.push({ code: 'BAD_VALUE', flag, file, message });
  };
  let kc: ReturnType<typeof parseKubeconfig>;
  try {
    kc = parseKubeconfig(text, file);
  } catch (e) {
    const prefix = `kubeconfig ${file}: `;
    const m = e instanceof KubeconfigError ? e.message : `invalid kubeconfig: ${(e as Error).message}`;
    bad(m.startsWith(prefix) ? m.slice(prefix.length) : m);
    return undefined;
  }
  let cluster = kc.clusters[0];
  let user = kc.users[0];
  const current = kc['current-context'];
  if (current) {
    const ctx = kc.contexts.find((c) => c.name === current)?.context;
    if (!ctx) {
      bad(`current-context: context "${current}" does not exist`);
      return undefined;
    }
    cluster = kc.clusters.find((c) => c.name === ctx.cluster);
    if (!cluster) {
      bad(`context "${current}": cluster "${ctx.cluster}" does not exist`);
      return undefined;
    }
    user = ctx.user ? kc.users.find((u) => u.name === ctx.user) : undefined;
    if (ctx.user && !user) {
      bad(`context "${current}": user "${ctx.user}" does not exist`);
      return undefined;
    }
  }
  if (!cluster) {
    bad('no cluster: the cluster\'s "server" is the URL of the webhook');
    return undefined;
  }
  const c = cluster.cluster;
  const u = user?.user ?? {};
  // The webhook client sends a fixed certificate or token; a user that would authenticate another
  // way must not quietly call the webhook anonymously.
  const other = (['exec', 'auth-provider'] as const).find((k) => u[k] !== undefined);
  if (other) {
    bad(
      `user "${user?.name}": ${other}: not supported by mkube's webhook client (use a client certificate or a token)`,
    );
    return undefined;
  }
  const base = dirname(resolve(file));
  const readRef = (field: string, ref: string): string | undefined => {
    const path = isAbsolute(ref) ? ref : resolve(base, ref);
    const sub: ConfigProblem[] = [];
    const t = readFlagFile(flag, path, sub);
    if (t === undefined) bad(`${field}: cannot read ${path}: ${sub[0]?.message.replace(/^cannot read file: /, '')}`);
    return t;
  };
  const fromData = (v: string) => Buffer.from(v, 'base64').toString('utf8');

  const caPem = c['certificate-authority-data']
    ? fromData(c['certificate-authority-data'])
    : c['certificate-authority']
      ? readRef('certificate-authority', c['certificate-authority'])
      : undefined;
  const certPem = u['client-certificate-data']
    ? fromData(u['client-certificate-data'])
    : u['client-certificate']
      ? readRef('client-certificate', u['client-certificate'])
      : undefined;
  const keyPem = u['client-key-data']
    ? fromData(u['client-key-data'])
    : u['client-key']
      ? readRef('client-key', u['client-key'])
      : undefined;
  let token = u.token;
  if (!token && u.tokenFile) token = readRef('tokenFile', u.tokenFile)?.trim();
  if (problems.length > before) return undefined;

  const insecure = c['insecure-skip-tls-verify'] === true;
  if (insecure && caPem) bad('specifying a root certificates file with the insecure flag is not allowed');
  if (caPem !== undefined) {
    try {
      if (parseCertificatesPem(caPem).length === 0)
        bad('certificate-authority: no PEM-encoded CERTIFICATE block found');
    } catch (e) {
      bad(`certificate-authority: not a valid PEM certificate: ${(e as Error).message}`);
    }
  }
  if (!!certPem !== !!keyPem) {
    bad(certPem ? 'client certificate given without a client key' : 'client key given without a client certificate');
  } else if (certPem && keyPem) {
    try {
      createSecureContext({ cert: certPem, key: keyPem });
    } catch (e) {
      // OpenSSL's message names the failure, never the key's bytes.
      bad(`client-certificate/client-key: ${(e as Error).message}`);
    }
  }
  if (problems.length > before) return undefined;
  return Object.freeze({
    file,
    server: c.server,
    insecureSkipTlsVerify: insecure,
    ...(c['tls-server-name'] ? { tlsServerName: c['tls-server-name'] } : {}),
    ...(caPem ? { caPem } : {}),
    ...(certPem ? { certPem } : {}),
    ...(keyPem ? { keyPem } : {}),
    ...(token ? { token } : {}),
  });
}
