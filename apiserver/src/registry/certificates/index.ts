// certificates.k8s.io/v1 CertificateSigningRequest: registry strategies and the kubectl summary.
export { csrConditionSummary } from './conditions.js';
export { csrApprovalStrategy, csrStatusStrategy, csrStrategy } from './strategy.js';
export { LEGACY_UNKNOWN_SIGNER_NAME, MIN_EXPIRATION_SECONDS } from './validation.js';
