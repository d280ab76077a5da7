export { algorithmOf, keyId, publicKeysFromPem } from './keys.js';
export {
  isUtcDay,
  LEGACY_ISSUER,
  LEGACY_TOKEN_INVALID_SINCE_LABEL,
  LEGACY_TOKEN_LAST_USED_LABEL,
  LEGACY_TOKEN_TRACKING,
  type LegacyClaims,
  legacyClaims,
  SERVICE_ACCOUNT_NAME_ANNOTATION,
  SERVICE_ACCOUNT_TOKEN_TYPE,
  SERVICE_ACCOUNT_UID_ANNOTATION,
  signLegacyToken,
  utcDay,
} from './legacy.js';
