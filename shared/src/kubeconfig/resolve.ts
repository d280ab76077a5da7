// From a kubeconfig to what a client needs: the current (or named) context's server, CA and
// credentials, with referenced files read — relative paths against the kubeconfig's own folder, as
// kubectl resolves them (not against the working directory).
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { CredentialProvider } from '../client/credentials.js';
import { type ExecClusterInfo, execAuthenticatorFor } from '../client/exec.js';
import {
  APISERVERS_EXTENSION,
  EXEC_CLUSTER_EXTENSION,
  type Kubeconfig,
  type KubeconfigCluster,
  KubeconfigError,
} from './types.js';

export interface ResolvedCredentials {
  contextName: string;
  clusterName: string;
  userName: string;
  namespace?: string;
  server: string;
  /**
   * Every apiserver to fail over between: `server` first, then the others the cluster's
   * mkube.io/apiservers extension names, without duplicates. Just `[server]` without it.
   */
  servers: string[];
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  /**
   * The user's exec plugin, when it has neither a token nor a client certificate (client-go uses
   * it only then): the client asks it for credentials as requests run.
   */
  credentialProvider?: CredentialProvider;
  /** Absolute paths when the kubeconfig referenced files (a rotating kubelet re-reads them). */
  clientCertificateFile?: string;
  clientKeyFile?: string;
}

/** restclient.AnonymousClientConfig: where and how to connect, without the kubeconfig's user. */
export function anonymousClientOptionsFrom(c: ResolvedCredentials) {
  return {
    server: c.server,
    servers: c.servers,
    caPem: c.caPem,
    insecureSkipTlsVerify: c.insecureSkipTlsVerify,
    tlsServerName: c.tlsServerName,
  };
}

/** What a client needs from resolved credentials (fits the client's ClientOptions). */
export function clientOptionsFrom(c: ResolvedCredentials) {
  return {
    ...anonymousClientOptionsFrom(c),
    clientCertPem: c.clientCertPem,
    clientKeyPem: c.clientKeyPem,
    token: c.token,
    credentialProvider: c.credentialProvider,
  };
}

/** `https://h:p/x/` and `https://h:p/x` are one server (the client strips the trailing slash). */
function serverKey(s: string): string {
  try {
    const u = new URL(s);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return s;
  }
}

/** The cluster's apiservers: `server` first, then those of the mkube.io/apiservers extension, each once. */
export function clusterServers(cluster: KubeconfigCluster): string[] {
  const out = [cluster.server];
  const seen = new Set([serverKey(cluster.server)]);
  for (const e of cluster.extensions ?? []) {
    if (e.name !== APISERVERS_EXTENSION) continue;
    const list = (e.extension as { servers?: unknown } | null)?.servers;
    if (!Array.isArray(list)) continue;
    for (const s of list) {
      if (typeof s !== 'string' || seen.has(serverKey(s))) continue;
      seen.add(serverKey(s));
      out.push(s);
    }
  }
  return out;
}

export async function resolveCredentials(
  cfg: Kubeconfig,
  opts: { context?: string } = {},
): Promise<ResolvedCredentials> {
  const file = cfg.source;
  const fail = (field: string, problem: string): never => {
    throw new KubeconfigError(file, field, problem);
  };
  const contextName = opts.context ?? cfg['current-context'];
  if (!contextName) fail('current-context', 'no current context is set');
  const ci = cfg.contexts.findIndex((c) => c.name === contextName);
  if (ci < 0) fail(opts.context ? 'context' : 'current-context', `context "${contextName}" does not exist`);
  const ctx = cfg.contexts[ci]!.context;
  const kcl = cfg.clusters.findIndex((c) => c.name === ctx.cluster);
  if (kcl < 0) fail(`contexts[${ci}].context.cluster`, `cluster "${ctx.cluster}" does not exist`);
  const kus = cfg.users.findIndex((u) => u.name === ctx.user);
  if (ctx.user && kus < 0) fail(`contexts[${ci}].context.user`, `user "${ctx.user}" does not exist`);
  const cluster = cfg.clusters[kcl]!.cluster;
  const user = kus >= 0 ? cfg.users[kus]!.user : {};

  const base = file ? dirname(file) : process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const readRef = async (field: string, p: string): Promise<string> => {
    try {
      return await readFile(abs(p), 'utf8');
    } catch (e) {
      return fail(field, `cannot read ${abs(p)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const fromData = (v: string) => Buffer.from(v, 'base64').toString('utf8');

  const out: ResolvedCredentials = {
    contextName: contextName!,
    clusterName: ctx.cluster,
    userName: ctx.user,
    server: cluster.server,
    servers: clusterServers(cluster),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] ?? false,
  };
  if (ctx.namespace) out.namespace = ctx.namespace;
  if (cluster['tls-server-name']) out.tlsServerName = cluster['tls-server-name'];
  const cAt = `clusters[${kcl}].cluster`;
  const uAt = `users[${kus}].user`;
  if (cluster['certificate-authority-data']) out.caPem = fromData(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority'])
    out.caPem = await readRef(`${cAt}.certificate-authority`, cluster['certificate-authority']);
  if (user['client-certificate-data']) out.clientCertPem = fromData(user['client-certificate-data']);
  else if (user['client-certificate']) {
    out.clientCertificateFile = abs(user['client-certificate']);
    out.clientCertPem = await readRef(`${uAt}.client-certificate`, user['client-certificate']);
  }
  if (user['client-key-data']) out.clientKeyPem = fromData(user['client-key-data']);
  else if (user['client-key']) {
    out.clientKeyFile = abs(user['client-key']);
    out.clientKeyPem = await readRef(`${uAt}.client-key`, user['client-key']);
  }
  if (user.token) out.token = user.token;
  else if (user.tokenFile) out.token = (await readRef(`${uAt}.tokenFile`, user.tokenFile)).trim();
  if (user['auth-provider'] && !user.exec)
    fail(
      `${uAt}.auth-provider`,
      `the in-tree auth provider ${JSON.stringify(user['auth-provider'].name)} is not supported (kubectl removed them; use an exec credential plugin)`,
    );
  if (user.exec && !out.token && !out.clientCertPem && !out.clientKeyPem) {
    // clientcmd resolves a command naming a path against the kubeconfig's folder; a bare name is looked up in PATH.
    const command = user.exec.command.includes('/') ? abs(user.exec.command) : user.exec.command;
    out.credentialProvider = execAuthenticatorFor({ ...user.exec, command }, execClusterInfo(cluster, out.caPem));
  }
  if (!!out.clientCertPem !== !!out.clientKeyPem) {
    fail(
      uAt,
      out.clientCertPem
        ? 'client certificate given without a client key'
        : 'client key given without a client certificate',
    );
  }
  return out;
}

/** What a plugin with provideClusterInfo is told about the cluster (client-go's ConfigToExecCluster). */
function execClusterInfo(cluster: KubeconfigCluster, caPem: string | undefined): ExecClusterInfo {
  const ext = cluster.extensions?.find((e) => e.name === EXEC_CLUSTER_EXTENSION);
  return {
    server: cluster.server,
    ...(cluster['tls-server-name'] ? { 'tls-server-name': cluster['tls-server-name'] } : {}),
    ...(cluster['insecure-skip-tls-verify'] ? { 'insecure-skip-tls-verify': true } : {}),
    ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem, 'utf8').toString('base64') } : {}),
    ...(cluster['proxy-url'] ? { 'proxy-url': cluster['proxy-url'] } : {}),
    ...(ext ? { config: ext.extension } : {}),
  };
}
