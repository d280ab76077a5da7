export { algorithmOf, keyId, publicKeysFromPem } from './keys.js';
export {
  LEGACY_ISSUER,
  LEGACY_TOKEN_INVALID_SINCE_LABEL,
  LEGACY_TOKEN_LAST_USED_LABEL,
  type LegacyClaims,
  legacyClaims,
  SERVICE_ACCOUNT_NAME_ANNOTATION,
  SERVICE_ACCOUNT_TOKEN_TYPE,
  SERVICE_ACCOUNT_UID_ANNOTATION,
  signLegacyToken,
} from './legacy.js';
