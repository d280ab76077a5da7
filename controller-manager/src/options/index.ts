// The option groups other components share with kube-controller-manager (k8s.io/apiserver's secure
// serving and delegated authentication/authorization options).

export { CONTROLLER_MANAGER_FLAGS } from './flags.js';
export {
  loadSecureServing,
  loadSecureServingAs,
  type RequestHeaderFlags,
  SECURE_SERVING_FLAG_NAMES,
  type SecureServingConfig,
  selfSigned,
} from './serving.js';
