// The kubelet's LoadClientConfig with rotation on (facts §8, path A): a --kubeconfig whose client
// certificate is whole and unexpired is used as it is; otherwise the bootstrap kubeconfig (written
// first by token discovery when configured) supplies the credentials for the CSR, and --kubeconfig
// is written at once pointing at <cert-dir>/kubelet-client-current.pem — a file reference, never
// embedded data, so rotation needs no rewrite (kubernetes#99645).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildKubeconfig,
  loadKubeconfig,
  type ResolvedCredentials,
  resolveCredentials,
  writeKubeconfig,
} from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { parsePair } from '../certificate/store.js';
import type { KubeletConfig } from '../options/config.js';
import { writeDiscoveredBootstrapKubeconfig } from './discovery.js';

export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
}

export interface ClientConfig {
  /** The --kubeconfig credentials (the cert may not exist yet when bootstrapping). */
  readonly server: string;
  /** All apiservers to fail over between, `server` first (the cluster's mkube.io/apiservers extension). */
  readonly servers: readonly string[];
  readonly caPem?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  /** Set when --kubeconfig names the rotating pair; otherwise its embedded or fixed credentials. */
  readonly rotating: boolean;
  readonly fixed?: ResolvedCredentials;
  /** Present when there was no usable client certificate: the credentials to request one with. */
  readonly bootstrap?: ResolvedCredentials;
}

export function currentClientPemPath(certDir: string): string {
  return join(certDir, 'kubelet-client-current.pem');
}

/** The kubeconfig's credentials, or the reason they cannot be used. */
async function usableKubeconfig(file: string): Promise<ResolvedCredentials | string> {
  if (!existsSync(file)) return 'it does not exist';
  try {
    const creds = await resolveCredentials(await loadKubeconfig(file));
    if (creds.token || creds.credentialProvider) return creds;
    if (!creds.clientCertPem || !creds.clientKeyPem) return 'it holds no client certificate';
    const text =
      creds.clientCertificateFile && creds.clientCertificateFile === creds.clientKeyFile
        ? creds.clientCertPem
        : `${creds.clientCertPem}\n${creds.clientKeyPem}`;
    parsePair(text, creds.clientCertificateFile ?? file, new Date());
    return creds;
  } catch (e) {
    return (e as Error).message;
  }
}

export async function loadClientConfig(cfg: KubeletConfig, log: Logger): Promise<ClientConfig> {
  const current = currentClientPemPath(cfg.certDir);
  const existing = await usableKubeconfig(cfg.kubeconfigFile);
  if (typeof existing !== 'string') {
    const rotating = existing.clientCertificateFile === current;
    log.info({ kubeconfig: cfg.kubeconfigFile }, 'using the existing kubeconfig: its client certificate is valid');
    return {
      server: existing.server,
      servers: existing.servers,
      ...(existing.caPem ? { caPem: existing.caPem } : {}),
      insecureSkipTlsVerify: existing.insecureSkipTlsVerify,
      ...(existing.tlsServerName ? { tlsServerName: existing.tlsServerName } : {}),
      rotating,
      ...(rotating ? {} : { fixed: existing }),
    };
  }
  log.info({ kubeconfig: cfg.kubeconfigFile, reason: existing }, 'no valid client certificate: TLS bootstrap');

  const bootstrapFile = cfg.bootstrapKubeconfigFile;
  if (cfg.discovery && bootstrapFile) {
    await writeDiscoveredBootstrapKubeconfig(cfg.discovery, bootstrapFile, {
      timeoutMs: cfg.discovery.timeoutMs,
      onRetry: (e) => log.warn({ err: e.message }, 'token discovery failed; retrying'),
    });
    log.info(
      { server: cfg.discovery.server, file: bootstrapFile },
      'token discovery: cluster CA verified against the pin',
    );
  }
  if (!bootstrapFile)
    throw new BootstrapError(
      `unable to load a client certificate from --kubeconfig ${cfg.kubeconfigFile} (${existing}) and no --bootstrap-kubeconfig is set`,
    );
  let bootstrap: ResolvedCredentials;
  try {
    bootstrap = await resolveCredentials(await loadKubeconfig(bootstrapFile));
  } catch (e) {
    throw new BootstrapError(`unable to load bootstrap kubeconfig: ${(e as Error).message}`);
  }
  if (!bootstrap.caPem && !bootstrap.insecureSkipTlsVerify)
    throw new BootstrapError(`bootstrap kubeconfig ${bootstrapFile} carries no certificate authority`);
  await writeKubeconfig(cfg.kubeconfigFile, {
    ...buildKubeconfig({
      clusterName: 'default-cluster',
      server: bootstrap.server,
      // The rotated client keeps failing over between the bootstrap kubeconfig's apiservers.
      servers: bootstrap.servers,
      caPem: bootstrap.caPem ?? '',
      userName: 'default-auth',
      clientCertificateFile: current,
      clientKeyFile: current,
      contextName: 'default-context',
      namespace: 'default',
    }),
  });
  return {
    server: bootstrap.server,
    servers: bootstrap.servers,
    ...(bootstrap.caPem ? { caPem: bootstrap.caPem } : {}),
    insecureSkipTlsVerify: bootstrap.insecureSkipTlsVerify,
    ...(bootstrap.tlsServerName ? { tlsServerName: bootstrap.tlsServerName } : {}),
    rotating: true,
    bootstrap,
  };
}
