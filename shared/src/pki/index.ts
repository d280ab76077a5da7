// mkube's PKI: keys, CSRs, certificates and a CA that signs by Kubernetes' rules.
// @peculiar/x509 is used only inside this module (self-signed CAs, CSR creation); the signing hot
// path and all parsing use the module's own DER code over Node's crypto.
export {
  CA_VALIDITY_MS,
  CertificateAuthority,
  type IssuedCertificate,
  type IssueRequest,
  type SelfSignedOptions,
} from './authority.js';
export {
  type ParsedCertificate,
  parseCertificateDer,
  parseCertificatePem,
  parseCertificatesPem,
} from './certificate.js';
export { createCsrPem, type ParsedCsr, parseCsrPem, parseCsrPemAsync } from './csr.js';
export { PkiError, type PkiErrorCode } from './errors.js';
export {
  DEFAULT_KEY_TYPE,
  encodePrivateKeyPem,
  encodePublicKeyPem,
  generateKeyPair,
  KEY_TYPES,
  type KeyPair,
  type KeyType,
  keyTypeOf,
  parseKeyType,
  parsePrivateKeyPem,
  spkiDerOf,
} from './keys.js';
export type { Subject, SubjectAltNames } from './names.js';
export { decodePemBlocks, encodePem, type PemBlock } from './pem.js';
export {
  generatePodCertificateKey,
  type PodCertificateKey,
  type PodCertificatePublicKey,
  parsePodCertificatePublicKey,
  signProofOfPossession,
  verifyProofOfPossession,
} from './podcertificate.js';
export { KEY_USAGE_NAMES, type KeyUsageName } from './usages.js';
export { BACKDATE_MS, SHORT_TTL_MS } from './validity.js';
export {
  certificateMatchesKey,
  spkiSha256Pin,
  type VerifyOptions,
  type VerifyResult,
  verifyCertificate,
} from './verify.js';
