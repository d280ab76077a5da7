// A pod's volumes and API-sourced environment for the process runtime, as the kubelet's volume
// manager and envvars code provide them: secret, configMap, projected (serviceAccountToken, secret,
// configMap, downwardAPI, clusterTrustBundle, podCertificate), emptyDir, hostPath and claim-backed
// (persistentVolumeClaim, ephemeral; see claims.ts) volumes are set up under <pod dir>/volumes/<name>
// (written atomically), and `env[].valueFrom` (secretKeyRef, configMapKeyRef, fieldRef) is resolved.
// Everything API-sourced is read with the node's own credentials, so the Node authorizer decides
// what a pod may see: only objects its pods reference. A process pod has no mount namespace: a
// volumeMount appears as <pod dir>/<mountPath>, a symlink into the volume (the pod's working
// directory is its pod dir, so `cat var/run/secrets/kubernetes.io/serviceaccount/token` reads it).
// Service-account tokens are TokenRequests bound to the pod, refreshed once 80 % of their life has
// passed or they are 24 h old, as the kubelet's token manager does.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigMap, KeyToPath, Pod, Secret, TokenRequest, Volume } from '@mkube/shared/api';
import { volumeClaim } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { type ClusterTrustBundleManager, NoopClusterTrustBundleManager } from '../clustertrustbundle/manager.js';
import { NoopPodCertificateManager, type PodCertificateManager } from '../podcertificate/manager.js';
import { type VolumeFile, writeAtomically } from './atomicwriter.js';
import { ClaimError, resolveClaimPath } from './claims.js';
import { replaceSymlink, symlinkInPod } from './podpath.js';

/** A volume that cannot be set up yet: upstream's FailedMount wording; retried. */
export class VolumeError extends Error {}
/** An env var that cannot be resolved: CreateContainerConfigError; retried. */
export class EnvConfigError extends Error {}

const DEFAULT_MODE = 0o644;
const TOKEN_MAX_AGE_MS = 24 * 3600_000;

interface CachedToken {
  readonly token: string;
  readonly issuedMs: number;
  readonly expiresMs: number;
}

/** requiresRefresh of the kubelet's token manager: past 80 % of the TTL, or older than 24 h. */
export function tokenNeedsRefresh(t: { issuedMs: number; expiresMs: number }, nowMs: number): boolean {
  const ttl = t.expiresMs - t.issuedMs;
  return nowMs >= t.expiresMs - ttl * 0.2 || nowMs - t.issuedMs > TOKEN_MAX_AGE_MS;
}

const b64 = (s: string) => Buffer.from(s, 'base64');

export class PodVolumes {
  readonly #tokens = new Map<string, CachedToken>();
  /** Volume name → the directory its bound PersistentVolume resolved to. */
  readonly #claimPaths = new Map<string, string>();

  constructor(
    readonly pod: Pod,
    readonly podDir: string,
    private readonly api: () => KubeClient | undefined,
    private readonly hostIP: string,
    private readonly trustBundles: ClusterTrustBundleManager = new NoopClusterTrustBundleManager(),
    private readonly podCertificates: PodCertificateManager = new NoopPodCertificateManager(),
  ) {}

  /** True when the pod has anything to set up (then the API is needed for some of it). */
  get needed(): boolean {
    const s = this.pod.spec;
    return (
      (s?.volumes?.length ?? 0) > 0 ||
      [...(s?.initContainers ?? []), ...(s?.containers ?? [])].some((c) => c.env?.some((e) => e.valueFrom))
    );
  }

  /** Sets every volume up (again) and links each container's mounts; throws VolumeError. */
  async setUp(): Promise<void> {
    for (const v of this.pod.spec?.volumes ?? []) await this.#setUpVolume(v);
    for (const c of [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])]) {
      for (const m of c.volumeMounts ?? []) this.#link(m.mountPath, m.name, m.subPath);
    }
  }

  /** The earliest time a token of this pod must be refreshed (ms since the epoch), if it has any. */
  nextRefreshMs(): number | undefined {
    let next: number | undefined;
    for (const t of this.#tokens.values()) {
      const at = Math.min(t.expiresMs - (t.expiresMs - t.issuedMs) * 0.2, t.issuedMs + TOKEN_MAX_AGE_MS);
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  /** The container's `valueFrom` variables; throws EnvConfigError with upstream's message. */
  async env(containerName: string): Promise<Record<string, string>> {
    const spec = this.pod.spec;
    const c = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].find(
      (x) => x.name === containerName,
    );
    const out: Record<string, string> = {};
    for (const e of c?.env ?? []) {
      const from = e.valueFrom;
      if (!from) continue;
      if (from.fieldRef) {
        out[e.name] = this.#field(from.fieldRef.fieldPath, true);
      } else if (from.secretKeyRef) {
        const r = from.secretKeyRef;
        const s = await this.#get<Secret>('secrets', r.name ?? '', r.optional === true, EnvConfigError);
        const v = s?.data?.[r.key];
        if (v === undefined) {
          if (r.optional) continue;
          throw new EnvConfigError(
            s ? `couldn't find key ${r.key} in Secret ${this.#ns}/${r.name}` : `secret "${r.name}" not found`,
          );
        }
        out[e.name] = b64(v).toString('utf8');
      } else if (from.configMapKeyRef) {
        const r = from.configMapKeyRef;
        const cm = await this.#get<ConfigMap>('configmaps', r.name ?? '', r.optional === true, EnvConfigError);
        const v =
          cm?.data?.[r.key] ?? (cm?.binaryData?.[r.key] ? b64(cm.binaryData[r.key]!).toString('utf8') : undefined);
        if (v === undefined) {
          if (r.optional) continue;
          throw new EnvConfigError(
            cm ? `couldn't find key ${r.key} in ConfigMap ${this.#ns}/${r.name}` : `configmap "${r.name}" not found`,
          );
        }
        out[e.name] = v;
      }
    }
    return out;
  }

  /** Removes the pod's volumes (its folder stays for its logs). */
  tearDown(): void {
    rmSync(join(this.podDir, 'volumes'), { recursive: true, force: true });
  }

  get #ns(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  #volumeDir(name: string): string {
    return join(this.podDir, 'volumes', name);
  }

  async #setUpVolume(v: Volume): Promise<void> {
    const dir = this.#volumeDir(v.name);
    const fail = (e: unknown): never => {
      throw new VolumeError(`MountVolume.SetUp failed for volume "${v.name}" : ${(e as Error).message}`);
    };
    try {
      if (v.emptyDir) {
        mkdirSync(dir, { recursive: true, mode: 0o777 });
      } else if (v.hostPath) {
        // The process runs on the host: the volume is the host path itself.
        replaceSymlink(dir, v.hostPath.path);
      } else if (v.secret) {
        const s = await this.#get<Secret>(
          'secrets',
          v.secret.secretName ?? '',
          v.secret.optional === true,
          VolumeError,
        );
        const data = Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, x]) => [k, b64(x)]));
        writeAtomically(
          dir,
          this.#keyed(
            data,
            v.secret.items,
            v.secret.defaultMode,
            `Secret ${this.#ns}/${v.secret.secretName}`,
            v.secret.optional,
          ),
        );
      } else if (v.configMap) {
        const cm = await this.#get<ConfigMap>(
          'configmaps',
          v.configMap.name ?? '',
          v.configMap.optional === true,
          VolumeError,
        );
        writeAtomically(
          dir,
          this.#keyed(
            configMapData(cm),
            v.configMap.items,
            v.configMap.defaultMode,
            `ConfigMap ${this.#ns}/${v.configMap.name}`,
            v.configMap.optional,
          ),
        );
      } else if (v.projected) {
        writeAtomically(dir, await this.#projected(v.name, v.projected.sources ?? [], v.projected.defaultMode));
      } else if (volumeClaim(this.pod, v)) {
        // Once resolved a claim's volume stays as it is for the pod's life, as a mounted volume does.
        let path = this.#claimPaths.get(v.name);
        if (path === undefined) {
          path = await resolveClaimPath(this.api(), this.pod, v);
          this.#claimPaths.set(v.name, path);
        }
        replaceSymlink(dir, path);
      } else {
        throw new Error('this volume type is not supported by the mkube process runtime');
      }
    } catch (e) {
      // The populator's errors come before any SetUp: upstream reports them as they are.
      if (e instanceof ClaimError) throw new VolumeError(e.message);
      fail(e);
    }
  }

  async #projected(
    volumeName: string,
    sources: NonNullable<Volume['projected']>['sources'],
    defaultMode?: number,
  ): Promise<Map<string, VolumeFile>> {
    const files = new Map<string, VolumeFile>();
    const mode = defaultMode ?? DEFAULT_MODE;
    for (const [sourceIndex, src] of sources.entries()) {
      if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        files.set(t.path, {
          data: Buffer.from(await this.#token(t.audience ?? '', t.expirationSeconds ?? 3600)),
          mode,
        });
      } else if (src.secret) {
        const s = await this.#get<Secret>('secrets', src.secret.name ?? '', src.secret.optional === true, VolumeError);
        const data = Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, x]) => [k, b64(x)]));
        for (const [p, f] of this.#keyed(
          data,
          src.secret.items,
          mode,
          `Secret ${this.#ns}/${src.secret.name}`,
          src.secret.optional,
        ))
          files.set(p, f);
      } else if (src.configMap) {
        const cm = await this.#get<ConfigMap>(
          'configmaps',
          src.configMap.name ?? '',
          src.configMap.optional === true,
          VolumeError,
        );
        for (const [p, f] of this.#keyed(
          configMapData(cm),
          src.configMap.items,
          mode,
          `ConfigMap ${this.#ns}/${src.configMap.name}`,
          src.configMap.optional,
        ))
          files.set(p, f);
      } else if (src.clusterTrustBundle) {
        const c = src.clusterTrustBundle;
        const allowMissing = c.optional === true;
        let pem: Buffer;
        if (c.name !== undefined && c.name !== null)
          pem = await this.trustBundles.trustAnchorsByName(c.name, allowMissing);
        else if (c.signerName !== undefined && c.signerName !== null)
          pem = await this.trustBundles.trustAnchorsBySigner(c.signerName, c.labelSelector, allowMissing);
        else throw new VolumeError('ClusterTrustBundle projection requires either name or signerName to be set');
        files.set(c.path, { data: pem, mode });
      } else if (src.podCertificate) {
        const pc = src.podCertificate;
        const m = this.pod.metadata ?? {};
        const { privateKey, certificateChain } = this.podCertificates.credentialBundle(
          m.namespace ?? '',
          m.name ?? '',
          m.uid ?? '',
          volumeName,
          sourceIndex,
        );
        // The key's files take the volume's mode, as upstream's (the process runtime has no fsGroup).
        if (pc.credentialBundlePath)
          files.set(pc.credentialBundlePath, { data: Buffer.concat([privateKey, certificateChain]), mode });
        if (pc.keyPath) files.set(pc.keyPath, { data: privateKey, mode });
        if (pc.certificateChainPath) files.set(pc.certificateChainPath, { data: certificateChain, mode });
      } else if (src.downwardAPI) {
        for (const item of src.downwardAPI.items ?? []) {
          if (!item.fieldRef) continue;
          files.set(item.path, {
            data: Buffer.from(this.#field(item.fieldRef.fieldPath, false)),
            mode: item.mode ?? mode,
          });
        }
      }
    }
    return files;
  }

  /** Keys as files, or the listed items only (a listed key that is missing is an error unless optional). */
  #keyed(
    data: Record<string, Buffer>,
    items: readonly KeyToPath[] | undefined,
    defaultMode: number | undefined,
    what: string,
    optional: boolean | undefined,
  ): Map<string, VolumeFile> {
    const mode = defaultMode ?? DEFAULT_MODE;
    const files = new Map<string, VolumeFile>();
    if (!items?.length) {
      for (const [k, v] of Object.entries(data)) files.set(k, { data: v, mode });
      return files;
    }
    for (const it of items) {
      const v = data[it.key];
      if (v === undefined) {
        if (optional) continue;
        throw new VolumeError(
          what.startsWith('Secret')
            ? `references non-existent secret key: ${it.key}`
            : `configmap references non-existent config key: ${it.key}`,
        );
      }
      files.set(it.path, { data: v, mode: it.mode ?? mode });
    }
    return files;
  }

  async #get<T>(
    resource: 'secrets' | 'configmaps',
    name: string,
    optional: boolean,
    E: new (m: string) => Error,
  ): Promise<T | undefined> {
    const client = this.api();
    const kind = resource === 'secrets' ? 'secret' : 'configmap';
    if (!client) throw new E(`${kind} "${name}" not registered: the kubelet is not connected to the API yet`);
    try {
      return await client
        .resource<T & { metadata?: object }>({ group: '', version: 'v1', resource, namespace: this.#ns })
        .get(name);
    } catch (e) {
      if (isNotFound(e)) {
        if (optional) return undefined;
        throw new E(`${kind} "${name}" not found`);
      }
      throw new E(`failed to get ${kind} "${name}": ${(e as Error).message}`);
    }
  }

  async #token(audience: string, expirationSeconds: number): Promise<string> {
    const sa = this.pod.spec?.serviceAccountName || 'default';
    const key = JSON.stringify([sa, audience, expirationSeconds]);
    const cached = this.#tokens.get(key);
    const now = Date.now();
    if (cached && !tokenNeedsRefresh(cached, now)) return cached.token;
    const client = this.api();
    if (!client) throw new VolumeError('failed to fetch token: the kubelet is not connected to the API yet');
    const m = this.pod.metadata!;
    let tr: TokenRequest;
    try {
      tr = await client
        .resource<TokenRequest>({ group: '', version: 'v1', resource: 'serviceaccounts', namespace: this.#ns })
        .createSubresource<TokenRequest>(sa, 'token', {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          metadata: {},
          spec: {
            audiences: audience ? [audience] : [],
            expirationSeconds,
            boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: m.name!, uid: m.uid! },
          },
        });
    } catch (e) {
      if (cached && now < cached.expiresMs) return cached.token; // keep serving the valid one; retried
      throw new VolumeError(`failed to fetch token: ${(e as Error).message}`);
    }
    const token = tr.status?.token ?? '';
    const expiresMs = Date.parse(tr.status?.expirationTimestamp ?? '') || now + expirationSeconds * 1000;
    this.#tokens.set(key, { token, issuedMs: now, expiresMs });
    return token;
  }

  /** A fieldRef's value (env allows spec/status fields; a downwardAPI volume only metadata). */
  #field(path: string, env: boolean): string {
    const m = this.pod.metadata ?? {};
    const sub = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
    if (sub) return (sub[1] === 'labels' ? m.labels : m.annotations)?.[sub[2]!] ?? '';
    const map = (o: Record<string, string> | undefined) =>
      Object.entries(o ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join('\n');
    switch (path) {
      case 'metadata.name':
        return m.name ?? '';
      case 'metadata.namespace':
        return m.namespace ?? '';
      case 'metadata.uid':
        return m.uid ?? '';
      case 'metadata.labels':
        return map(m.labels);
      case 'metadata.annotations':
        return map(m.annotations);
    }
    if (env) {
      switch (path) {
        case 'spec.nodeName':
          return this.pod.spec?.nodeName ?? '';
        case 'spec.serviceAccountName':
          return this.pod.spec?.serviceAccountName ?? '';
        case 'status.hostIP':
        case 'status.podIP':
          return this.hostIP;
        case 'status.hostIPs':
        case 'status.podIPs':
          return this.hostIP;
      }
    }
    return '';
  }

  /** <pod dir>/<mountPath> → the volume (or a path inside it). */
  #link(mountPath: string, volume: string, subPath?: string): void {
    symlinkInPod(this.podDir, mountPath, subPath ? join(this.#volumeDir(volume), subPath) : this.#volumeDir(volume));
  }
}

function configMapData(cm: ConfigMap | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm?.data ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) out[k] = b64(v);
  return out;
}
