// Opens the apiserver's store from its config: etcd when --etcd-servers is given, else the
// embedded SQLite store under --data-dir; then wraps it with the encryption-at-rest transformer
// when --encryption-provider-config is given, its KMS plugins asked once before anything is served.
import type { Logger } from '@mkube/shared/log';
import { loadEncryptionConfig } from '../config/encryption.js';
import type { ApiServerConfig } from '../config/index.js';
import { openEtcdStore } from '../storage/etcd/store.js';
import { openSqliteStore, type Store } from '../storage/index.js';
import type { KmsV2Provider, KmsV2Timing } from '../storage/value/kms/provider.js';
import { transformingStore } from '../storage/value/transforming-store.js';

export interface OpenedStorage {
  /** Closing it stops the KMS providers too. */
  readonly store: Store;
  readonly kmsProviders: readonly KmsV2Provider[];
}

export async function openStorage(
  config: ApiServerConfig,
  log: Logger,
  kmsTiming?: Partial<KmsV2Timing>,
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
  if (config.encryptionProviderConfigFile) {
    // Validated with the other flags at start-up (loadApiServerConfig); read again here, as kube-apiserver.
    let encryption: ReturnType<typeof loadEncryptionConfig>;
    try {
      encryption = loadEncryptionConfig(config.encryptionProviderConfigFile);
    } catch (e) {
      await store.close();
      throw e;
    }
    const kmsProviders = encryption.kmsProviders;
    // As kube-apiserver: a plugin that is down does not stop the start; writes fail until it answers.
    await Promise.all(kmsProviders.map((p) => p.start(log, kmsTiming)));
    const transformed = transformingStore(store, (key) => encryption.transformerForKey(key));
    return {
      store: {
        ...transformed,
        close: async () => {
          for (const p of kmsProviders) p.stop();
          await transformed.close();
        },
      },
      kmsProviders,
    };
  }
  return { store, kmsProviders: [] };
}
