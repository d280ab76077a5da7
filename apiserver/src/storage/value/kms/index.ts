// KMS v2: the provider (envelope and Status polling) and the plugin API's client and messages,
// which `mkube kms-plugin` serves too.
export { KMS_V2_PREFIX, KmsV2Provider, type KmsV2ProviderOptions, type KmsV2Timing } from './provider.js';
export {
  type EncryptResponse,
  grpcTarget,
  KmsCallError,
  type KmsService,
  kmsServiceDefinition,
  kmsType,
  newKmsService,
  type StatusResponse,
} from './service.js';
