// kubeconfig files: read, validate, resolve to credentials, build and write.
export { loadKubeconfig, parseKubeconfig } from './parse.js';
export {
  anonymousClientOptionsFrom,
  clientOptionsFrom,
  type ResolvedCredentials,
  resolveCredentials,
} from './resolve.js';
export type {
  ExecApiVersion,
  ExecConfig,
  ExecInteractiveMode,
  Kubeconfig,
  KubeconfigCluster,
  KubeconfigContext,
  KubeconfigUser,
  NamedExtension,
} from './types.js';
export { APISERVERS_EXTENSION, EXEC_API_VERSIONS, EXEC_CLUSTER_EXTENSION, KubeconfigError } from './types.js';
export {
  type BuildKubeconfigOptions,
  bootstrapKubeconfig,
  buildKubeconfig,
  serializeKubeconfig,
  writeKubeconfig,
} from './write.js';
