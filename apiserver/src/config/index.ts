export {
  type ApiServerConfig,
  type ClientCAConfig,
  type KubeletClientConfig,
  loadApiServerConfig,
  type ServingConfig,
} from './config.js';
export { ConfigError, type ConfigErrorCode, type ConfigProblem } from './errors.js';
export type { EtcdConfig } from './etcd.js';
export { APISERVER_FLAGS } from './flags.js';
