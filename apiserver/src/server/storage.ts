// Opens the apiserver's store from its config: etcd when --etcd-servers is given, else the
// embedded SQLite store under --data-dir; then wraps it with the encryption-at-rest transformer
// when --encryption-provider-config is given, its KMS plugins asked once before anything is served
// (and the file reloaded when it changes, with --encryption-provider-config-automatic-reload).
import type { Logger } from '@mkube/shared/log';
import { loadEncryptionConfig } from '../config/encryption.js';
import { EncryptionConfigController } from '../config/encryptionreload.js';
import type { ApiServerConfig } from '../config/index.js';
import type { ConfigReloadHooks } from '../metrics/authconfig.js';
import type { KmsMetricsHooks } from '../metrics/kms.js';
import { openEtcdStore } from '../storage/etcd/store.js';
import { openSqliteStore, type Store } from '../storage/index.js';
import type { KmsV2Provider, KmsV2Timing } from '../storage/value/kms/provider.js';
import { transformingStore } from '../storage/value/transforming-store.js';

export interface OpenedStorage {
  /** Closing it stops the KMS providers too. */
  readonly store: Store;
  /** The running configuration's KMS providers (they change when the file is reloaded). */
  kmsProviders(): readonly KmsV2Provider[];
}

export interface StorageOptions {
  readonly kmsTiming?: Partial<KmsV2Timing>;
  readonly encryptionReloads?: ConfigReloadHooks;
  readonly kmsMetrics?: KmsMetricsHooks;
  /** How often the encryption configuration file is polled when reloading is on (default 1 s). */
  readonly encryptionPollIntervalMs?: number;
}

export async function openStorage(
  config: ApiServerConfig,
  log: Logger,
  opts: StorageOptions = {},
): Promise<OpenedStorage> {
  const store: Store = config.etcd
    ? await openEtcdStore({
        servers: config.etcd.servers,
        caPem: config.etcd.caPem,
        certPem: config.etcd.certPem,
        keyPem: config.etcd.keyPem,
        // The registry's keys start with /registry: --etcd-prefix replaces that root.
        keyPrefix: config.etcd.prefix,
        registryRoot: '/registry',
      })
    : await openSqliteStore(config.dataDir);
  const file = config.encryptionProviderConfigFile;
  if (!file) return { store, kmsProviders: () => [] };
  // Validated with the other flags at start-up (loadApiServerConfig); read again here, as kube-apiserver.
  let controller: EncryptionConfigController;
  try {
    controller = new EncryptionConfigController(file, loadEncryptionConfig(file), {
      log,
      ...(opts.kmsTiming ? { kmsTiming: opts.kmsTiming } : {}),
      ...(opts.encryptionReloads ? { reloads: opts.encryptionReloads } : {}),
      ...(opts.kmsMetrics ? { kmsMetrics: opts.kmsMetrics } : {}),
      ...(opts.encryptionPollIntervalMs ? { pollIntervalMs: opts.encryptionPollIntervalMs } : {}),
    });
    await controller.start(config.encryptionProviderConfigAutomaticReload);
  } catch (e) {
    await store.close();
    throw e;
  }
  const transformed = transformingStore(store, (key) => controller.current.transformerForKey(key));
  return {
    store: {
      ...transformed,
      close: async () => {
        controller.stop();
        await transformed.close();
      },
    },
    kmsProviders: () => controller.current.kmsProviders,
  };
}
