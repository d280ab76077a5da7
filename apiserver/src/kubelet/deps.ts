import type { Logger } from '@mkube/shared/log';
import type { KubeletClientConfig } from '../config/config.js';
import type { Registries } from '../registry/index.js';
import type { KubeletClient } from './client.js';

export interface KubeletProxyDeps {
  readonly config: KubeletClientConfig;
  readonly client: KubeletClient;
  readonly registries: Registries;
  readonly log: Logger;
}
