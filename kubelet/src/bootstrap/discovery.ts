// Token discovery, as `kubeadm join --token … --discovery-token-ca-cert-hash sha256:…` does it
// (facts §10): fetch kube-public/cluster-info anonymously over unverified TLS, check its detached
// JWS with the token, check the embedded CA against the pins, fetch it again over TLS verified with
// that CA, and only then write a bootstrap kubeconfig carrying the token. A wrong pin or a bad
// signature stops here: the token never leaves this process.
import type { ConfigMap } from '@mkube/shared/api';
import { detachedTokenIsValid, parseBootstrapToken } from '@mkube/shared/bootstraptoken';
import { createClient, sleep } from '@mkube/shared/client';
import { bootstrapKubeconfig, writeKubeconfig } from '@mkube/shared/kubeconfig';
import { parseCertificatesPem, spkiSha256Pin } from '@mkube/shared/pki';
import { parse as parseYaml } from 'yaml';
import type { TokenDiscovery } from '../options/config.js';

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  /** Worth another try (the server is away, or its signature is not published yet); a bad pin is not. */
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

const CM = { group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-public' } as const;

async function fetchClusterInfo(server: string, caPem?: string): Promise<ConfigMap> {
  const client = createClient({ server, ...(caPem ? { caPem } : { insecureSkipTlsVerify: true }), timeoutMs: 10_000 });
  try {
    return await client.resource<ConfigMap>(CM).get('cluster-info');
  } catch (e) {
    throw new DiscoveryError(
      `failed to request the cluster-info ConfigMap from ${server}: ${(e as Error).message}`,
      true,
    );
  } finally {
    await client.close();
  }
}

/** Checks cluster-info and returns the pinned CA bundle and the server to use. */
export async function discoverCluster(d: TokenDiscovery): Promise<{ caPem: string; server: string }> {
  const tok = parseBootstrapToken(d.token);
  if (!tok) throw new DiscoveryError('the bootstrap token does not match the format [a-z0-9]{6}.[a-z0-9]{16}');
  const cm = await fetchClusterInfo(d.server);
  const content = cm.data?.kubeconfig;
  if (!content) throw new DiscoveryError('there is no kubeconfig in the cluster-info ConfigMap');
  const sig = cm.data?.[`jws-kubeconfig-${tok.id}`];
  if (!sig)
    throw new DiscoveryError(
      `token id "${tok.id}" is invalid for this cluster or it has expired. Use "mkube token create" on the control-plane node to create a new valid token`,
      true,
    );
  if (!(await detachedTokenIsValid(sig, content, tok.id, tok.secret)))
    throw new DiscoveryError(
      `failed to verify JWS signature of received cluster info object, can't trust this API Server`,
    );

  // kubeadm's cluster-info has one cluster and no context: read the cluster directly.
  let caPem = '';
  try {
    // clientcmd.Load, as kubeadm reads it: the cluster's name is "" there, which a full kubeconfig refuses.
    const doc = parseYaml(content) as { clusters?: { cluster?: { 'certificate-authority-data'?: string } }[] };
    const data = doc?.clusters?.[0]?.cluster?.['certificate-authority-data'];
    caPem = data ? Buffer.from(data, 'base64').toString('utf8') : '';
  } catch (e) {
    throw new DiscoveryError(`the cluster-info kubeconfig is not valid: ${(e as Error).message}`);
  }
  const cas = (() => {
    try {
      return parseCertificatesPem(caPem);
    } catch {
      return [];
    }
  })();
  if (cas.length === 0) throw new DiscoveryError('the cluster-info kubeconfig carries no CA certificate');
  if (d.caCertHashes.length > 0) {
    const pins = cas.map((c) => spkiSha256Pin(c).slice('sha256:'.length));
    if (!pins.some((p) => d.caCertHashes.includes(p)))
      throw new DiscoveryError(
        `cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${pins.map((p) => `sha256:${p}`).join(', ')}" are pinned`,
      );
  }
  // Again over verified TLS: what we pinned must be what serves.
  const again = await fetchClusterInfo(d.server, caPem);
  if (again.data?.kubeconfig !== content)
    throw new DiscoveryError('the cluster-info ConfigMap changed between the insecure and the secure fetch');
  return { caPem, server: d.server };
}

/**
 * Discovery — retried while it may still succeed, up to `timeoutMs`, as kubeadm join does — then the
 * bootstrap kubeconfig written atomically (0600: it holds the token).
 */
export async function writeDiscoveredBootstrapKubeconfig(
  d: TokenDiscovery,
  file: string,
  opts: { timeoutMs?: number; onRetry?: (e: DiscoveryError) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  let found: { caPem: string; server: string } | undefined;
  while (!found) {
    try {
      found = await discoverCluster(d);
    } catch (e) {
      if (!(e instanceof DiscoveryError) || !e.retryable || Date.now() > deadline || opts.signal?.aborted) throw e;
      opts.onRetry?.(e);
      await sleep(1000, opts.signal ?? new AbortController().signal);
    }
  }
  const { caPem, server } = found;
  await writeKubeconfig(file, bootstrapKubeconfig(server, caPem, d.token));
}
