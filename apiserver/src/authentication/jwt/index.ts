export { JwtAuthenticator, type JwtAuthenticatorOptions, untrustedIssuer } from './authenticator.js';
export { type CompiledExpression, celValue, compileExpression } from './cel.js';
export {
  type AnonymousConfig,
  type LoadedAuthenticationConfiguration,
  loadAuthenticationConfiguration,
  parseAuthenticationConfiguration,
} from './load.js';
export * from './types.js';
export { type CompiledMappings, validateAuthenticationConfiguration } from './validation.js';
