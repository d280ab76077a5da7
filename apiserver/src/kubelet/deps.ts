import type { Logger } from '@mkube/shared/log';
import type { Admission } from '../admission/types.js';
import type { KubeletClientConfig } from '../config/config.js';
import type { Registries } from '../registry/index.js';
import type { KubeletClient } from './client.js';

export interface KubeletProxyDeps {
  readonly config: KubeletClientConfig;
  readonly client: KubeletClient;
  readonly registries: Registries;
  readonly log: Logger;
  /** CONNECT admission (webhooks and policies may refuse an exec, attach, port-forward or node proxy). */
  readonly admission?: Admission;
}
