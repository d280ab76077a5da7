// certificates.k8s.io: CertificateSigningRequest (v1) and ClusterTrustBundle (v1beta1) strategies, the kubectl summary.
export { clusterTrustBundleStrategy, signerNamePrefix } from './clustertrustbundle.js';
export { csrConditionSummary } from './conditions.js';
export { podCertificateRequestStatusStrategy, podCertificateRequestStrategy } from './podcertificaterequest.js';
export { csrApprovalStrategy, csrStatusStrategy, csrStrategy } from './strategy.js';
export { LEGACY_UNKNOWN_SIGNER_NAME, MIN_EXPIRATION_SECONDS } from './validation.js';
