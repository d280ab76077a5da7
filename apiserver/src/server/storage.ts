// Opens the apiserver's store from its config: etcd when --etcd-servers is given, else the
// embedded SQLite store under --data-dir; then wraps it with the encryption-at-rest transformer
// when --encryption-provider-config is given.
import { loadEncryptionConfig } from '../config/encryption.js';
import type { ApiServerConfig } from '../config/index.js';
import { openEtcdStore } from '../storage/etcd/store.js';
import { openSqliteStore, type Store } from '../storage/index.js';
import { transformingStore } from '../storage/value/transforming-store.js';

export async function openStorage(config: ApiServerConfig): Promise<Store> {
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
    return transformingStore(store, (key) => encryption.transformerForKey(key));
  }
  return store;
}
