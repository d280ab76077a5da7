// Authentication and authorization shared by the apiserver and the kubelet's 10250: the contracts,
// and small composable implementations (x509, anonymous, unions, AlwaysAllow).

export { bearerToken, bearerTokenAuthenticator, type TokenAuthenticator, unionTokenAuthenticator } from './bearer.js';
export { BOOTSTRAPPERS_GROUP, type BootstrapTokenOptions, bootstrapTokenAuthenticator } from './bootstraptoken.js';
export { forbiddenError } from './forbidden.js';
export {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS,
  anonymousAuthenticator,
  withAuthenticatedGroup,
} from './groups.js';
export { peerCertificatesOf, peerLeafOf, sessionPeerCertificate, tlsSocketOfRaw } from './peer.js';
export { isRequestHeader, type RequestHeaderOptions, requestHeaderAuthenticator } from './requestheader.js';
export {
  fieldRequirementAttributes,
  fieldSelectorAttributes,
  fieldSelectorRequirements,
  labelRequirementAttributes,
  labelSelectorAttributes,
  labelSelectorRequirements,
} from './selectors.js';
export {
  cachedTokenAuthenticator,
  TOKEN_SUCCESS_CACHE_TTL_MS,
  type TokenCacheOptions,
  type TokenCacheStats,
} from './tokencache.js';
export { parseTokenFile, TokenFileError, tokenFileAuthenticator } from './tokenfile.js';
export type {
  Attributes,
  AuthenticationContext,
  AuthenticationErrorCode,
  Authenticator,
  AuthnRequest,
  AuthorizationResult,
  Authorizer,
  Decision,
  SelectorAttributes,
  UserInfo,
} from './types.js';
export { AuthenticationError, newAttributes, nonResourceAttributes, VERB_FOR_METHOD } from './types.js';
export { alwaysAllowAuthorizer, unionAuthenticator, unionAuthorizer } from './union.js';
export {
  type SubjectAccessReviewer,
  type SubjectAccessReviewOptions,
  subjectAccessReviewAuthorizer,
  subjectAccessReviewSpec,
  type TokenReviewer,
  type TokenReviewOptions,
  TtlCache,
  tokenReviewAuthenticator,
  webhookAuthorizer,
  webhookTokenAuthenticator,
} from './webhook.js';
export { CREDENTIAL_ID_EXTRA_KEY, type X509AuthenticatorOptions, x509Authenticator } from './x509.js';
