// apiserver.config.k8s.io AuthenticationConfiguration (v1alpha1, v1beta1, v1): the `jwt` authenticators
// of --authentication-config, which the legacy --oidc-* flags are also turned into (one authenticator).

export const AUTHENTICATION_CONFIG_VERSIONS = [
  'apiserver.config.k8s.io/v1',
  'apiserver.config.k8s.io/v1beta1',
  'apiserver.config.k8s.io/v1alpha1',
] as const;

export interface Issuer {
  /** Must equal the token's `iss`; https. */
  readonly url: string;
  /** Overrides `{url}/.well-known/openid-configuration` (self-hosted providers). */
  readonly discoveryURL?: string;
  /** PEM roots for the discovery and JWKS requests; absent: the host's. */
  readonly certificateAuthority?: string;
  readonly audiences: readonly string[];
  /** `MatchAny` (required with several audiences). */
  readonly audienceMatchPolicy?: string;
}

export interface ClaimValidationRule {
  readonly claim?: string;
  readonly requiredValue?: string;
  readonly expression?: string;
  readonly message?: string;
}

export interface PrefixedClaimOrExpression {
  readonly claim?: string;
  /** Required with `claim` (may be ""); absent and forbidden with `expression`. */
  readonly prefix?: string;
  readonly expression?: string;
}

export interface ClaimOrExpression {
  readonly claim?: string;
  readonly expression?: string;
}

export interface ExtraMapping {
  readonly key: string;
  readonly valueExpression: string;
}

export interface ClaimMappings {
  readonly username: PrefixedClaimOrExpression;
  readonly groups?: PrefixedClaimOrExpression;
  readonly uid?: ClaimOrExpression;
  readonly extra?: readonly ExtraMapping[];
}

export interface UserValidationRule {
  readonly expression: string;
  readonly message?: string;
}

export interface JWTAuthenticator {
  readonly issuer: Issuer;
  readonly claimValidationRules?: readonly ClaimValidationRule[];
  readonly claimMappings: ClaimMappings;
  readonly userValidationRules?: readonly UserValidationRule[];
}

export interface AuthenticationConfiguration {
  readonly apiVersion: string;
  readonly kind: 'AuthenticationConfiguration';
  readonly jwt: readonly JWTAuthenticator[];
}

/** OIDC's signing algorithms kube-apiserver accepts (--oidc-signing-algs; default RS256). */
export const ALLOWED_SIGNING_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;
