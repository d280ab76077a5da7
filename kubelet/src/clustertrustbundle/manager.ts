// ClusterTrustBundles for projected volumes, as the kubelet's clustertrustbundle manager: started on
// first use (the API may come up after the kubelet), on the newest certificates.k8s.io version the
// apiserver serves, watched with the node's own credentials (the Node authorizer lets nodes read
// bundles), and normalised: every certificate once, in an order that is stable while this kubelet
// runs and differs between kubelets, so no client comes to rely on one order.
import { createHash, randomBytes } from 'node:crypto';
import type { ClusterTrustBundle, LabelSelector } from '@mkube/shared/api';
import { isNotFound, newNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, ListWatcher } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { decodePemBlocks, encodePem } from '@mkube/shared/pki';
import { labelSelectorFromObject } from '@mkube/shared/selectors';

export interface ClusterTrustBundleManager {
  /** The bundle's certificates as PEM; an absent bundle is empty when allowMissing. */
  trustAnchorsByName(name: string, allowMissing: boolean): Promise<Buffer>;
  /** Every certificate of the signer's bundles the selector matches (null matches none, `{}` all). */
  trustAnchorsBySigner(
    signerName: string,
    labelSelector: LabelSelector | null | undefined,
    allowMissing: boolean,
  ): Promise<Buffer>;
}

/** What the kubelet uses with the ClusterTrustBundleProjection gate off, and for static pods. */
export class NoopClusterTrustBundleManager implements ClusterTrustBundleManager {
  async trustAnchorsByName(): Promise<Buffer> {
    throw new Error('ClusterTrustBundle projection is not supported in static kubelet mode');
  }
  async trustAnchorsBySigner(): Promise<Buffer> {
    throw new Error('ClusterTrustBundle projection is not supported in static kubelet mode');
  }
}

/** Newest first, as the kubelet looks for them. */
const VERSIONS = ['v1', 'v1beta1', 'v1alpha1'] as const;
const GROUP = 'certificates.k8s.io';
const MAX_LABEL_SELECTOR_LENGTH = 100 * 1024;
const SYNC_WAIT_MS = 10_000;
const CACHE_TTL_MS = 5 * 60_000;

/** Informer-backed; chooses the API version and starts watching on the first call. */
export class LazyClusterTrustBundleManager implements ClusterTrustBundleManager {
  #start: Promise<ListWatcher<ClusterTrustBundle> | undefined> | undefined;
  /** Normalised bundles by request, dropped when a bundle they may include changes. */
  readonly #cache = new Map<string, { pem: Buffer; until: number }>();
  /** Per process: the order of certificates, stable until the kubelet restarts. */
  readonly #seed = randomBytes(16);

  constructor(
    private readonly client: () => KubeClient | undefined,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  async trustAnchorsByName(name: string, allowMissing: boolean): Promise<Buffer> {
    const lw = await this.#informer();
    const key = `name\u0000${name}`;
    const cached = this.#cached(key);
    if (cached) return cached;
    const ctb = lw.store.get(name);
    if (!ctb) {
      if (allowMissing) return Buffer.alloc(0);
      throw new Error(
        `while getting ClusterTrustBundle: ${newNotFound({ group: GROUP, resource: 'clustertrustbundle' }, name).message}`,
      );
    }
    return this.#remember(key, this.#normalize([ctb]));
  }

  async trustAnchorsBySigner(
    signerName: string,
    labelSelector: LabelSelector | null | undefined,
    allowMissing: boolean,
  ): Promise<Buffer> {
    const lw = await this.#informer();
    let selector: ReturnType<typeof labelSelectorFromObject>;
    try {
      selector = labelSelectorFromObject(labelSelector);
    } catch (e) {
      throw new Error(`while parsing label selector: ${(e as Error).message}`);
    }
    const selectorText = labelSelector ? selector.toString() : '<nothing>';
    if (selectorText.length > MAX_LABEL_SELECTOR_LENGTH)
      throw new Error(`label selector length (${selectorText.length}) is larger than ${MAX_LABEL_SELECTOR_LENGTH}`);
    const key = `signer\u0000${signerName}\u0000${selectorText}`;
    const cached = this.#cached(key);
    if (cached) return cached;
    const matched = lw.store
      .list()
      .filter((c) => (c.spec?.signerName ?? '') === signerName && selector.matches(c.metadata?.labels));
    if (matched.length === 0) {
      if (allowMissing) return Buffer.alloc(0);
      throw new Error('combination of signerName and labelSelector matched zero ClusterTrustBundles');
    }
    return this.#remember(key, this.#normalize(matched));
  }

  #cached(key: string): Buffer | undefined {
    const hit = this.#cache.get(key);
    if (hit && hit.until > Date.now()) return hit.pem;
    this.#cache.delete(key);
    return undefined;
  }

  #remember(key: string, pem: Buffer): Buffer {
    this.#cache.set(key, { pem, until: Date.now() + CACHE_TTL_MS });
    return pem;
  }

  /** A changed bundle invalidates what was read by its name and what was read by its signer. */
  #drop(ctb: ClusterTrustBundle): void {
    const name = ctb.metadata?.name ?? '';
    const signer = ctb.spec?.signerName ?? '';
    for (const key of this.#cache.keys()) {
      const [kind, what] = key.split('\u0000');
      if ((kind === 'name' && what === name) || (kind === 'signer' && signer !== '' && what === signer))
        this.#cache.delete(key);
    }
  }

  #normalize(bundles: readonly ClusterTrustBundle[]): Buffer {
    const ders = new Map<string, Buffer>();
    for (const b of bundles) {
      for (const block of decodePemBlocks(b.spec?.trustBundle ?? '')) ders.set(block.der.toString('base64'), block.der);
    }
    const rank = (der: Buffer) => createHash('sha256').update(this.#seed).update(der).digest('hex');
    const ordered = [...ders.values()].map((der) => ({ der, rank: rank(der) }));
    ordered.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    return Buffer.from(ordered.map((o) => encodePem('CERTIFICATE', o.der)).join(''));
  }

  async #informer(): Promise<ListWatcher<ClusterTrustBundle>> {
    // A failed start (no client yet, discovery error) is tried again on the next call.
    this.#start ??= this.#begin().catch((e) => {
      this.#start = undefined;
      throw e;
    });
    const lw = await this.#start;
    if (!lw) throw new Error('ClusterTrustBundle projection is not supported in static kubelet mode');
    if (!lw.hasSynced()) throw new Error('ClusterTrustBundle informer has not yet synced');
    return lw;
  }

  async #begin(): Promise<ListWatcher<ClusterTrustBundle> | undefined> {
    const client = this.client();
    if (!client)
      throw new Error(
        'failed to ensure informer manager for ClusterTrustBundles: the kubelet is not connected to the API yet',
      );
    let version: string | undefined;
    for (const v of VERSIONS) {
      try {
        const list = await client.request<{ resources?: { name: string }[] }>('GET', `/apis/${GROUP}/${v}`);
        if (list.resources?.some((r) => r.name === 'clustertrustbundles')) {
          version = v;
          break;
        }
      } catch (e) {
        if (isNotFound(e)) continue;
        throw new Error(
          `failed to ensure informer manager for ClusterTrustBundles: failed to determine which informer manager to choose: ${(e as Error).message}`,
        );
      }
    }
    if (!version) {
      this.log.info(
        'No version of the ClusterTrustBundle API was found, the ClusterTrustBundle informer will not be started',
      );
      return undefined;
    }
    const ref = { group: GROUP, version, resource: 'clustertrustbundles' };
    const lw: ListWatcher<ClusterTrustBundle> = new ListWatcher<ClusterTrustBundle>({
      source: {
        list: (opts) => this.client()!.resource<ClusterTrustBundle>(ref).list(opts),
        watch: (opts) => this.client()!.resource<ClusterTrustBundle>(ref).watch(opts),
      },
      name: 'clustertrustbundles',
      handlers: {
        onAdd: (c) => this.#drop(c),
        onUpdate: (_old, c) => this.#drop(c),
        onDelete: (c) => this.#drop(c),
        onResync: () => this.#cache.clear(),
      },
      logger: this.log,
    });
    void lw.run(this.signal);
    this.log.info({ apiGroup: `${GROUP}/${version}` }, 'Started ClusterTrustBundle informer');
    const timeout = AbortSignal.any([this.signal, AbortSignal.timeout(SYNC_WAIT_MS)]);
    if (await lw.waitForSync(timeout)) this.log.info('ClusterTrustBundle informer synced');
    else this.log.info('ClusterTrustBundle informer not synced, continuing to attempt in background');
    return lw;
  }
}
