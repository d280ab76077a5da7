// TLS serving options every daemon shares: --tls-min-version, --tls-cipher-suites (Go names mapped
// to OpenSSL's) and --tls-sni-cert-key's named certificates.
export { CIPHER_SUITES, type CipherSuite, INSECURE_CIPHER_NAMES, PREFERRED_CIPHER_NAMES } from './ciphers.js';
export {
  type CABundle,
  type CertKeyPair,
  DEFAULT_CHECK_INTERVAL_MS,
  DynamicFileContent,
  dynamicCABundle,
  dynamicCertKeyPair,
  type FlagFile,
} from './dynamic.js';
export {
  DEFAULT_MIN_VERSION,
  serverTLSOptions,
  TLS_FLAGS,
  TLS_VERSIONS,
  type TLSOptionNames,
  type TLSServingOptions,
  tlsServingOptions,
  tlsVersion,
  tlsVersionName,
} from './options.js';
export { keepUnverifiedPeersReadable } from './peererrors.js';
export {
  certificateNames,
  loadSNICertificates,
  lookupServerName,
  type NamedCertKey,
  nameIndex,
  parseNamedCertKey,
  type SNICertificate,
} from './sni.js';
