// Bootstrap tokens as cluster-bootstrap defines them (facts §1).
import { randomInt } from 'node:crypto';

export { computeDetachedSignature, detachedTokenIsValid } from './jws.js';
export {
  BOOTSTRAP_SECRET_NAME_RE,
  expirationOf,
  secretField,
  tokenExpired,
  tokenIdFromSecretName,
} from './secret.js';

export const BOOTSTRAP_TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const BOOTSTRAP_TOKEN_ID_RE = /^([a-z0-9]{6})$/;
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_EXTRA_GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomString(n: number): string {
  // randomInt draws uniformly (rejection sampling), so no character is favoured.
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** A fresh `[a-z0-9]{6}.[a-z0-9]{16}` token from the CSPRNG. */
export function generateBootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

export function parseBootstrapToken(token: string): { id: string; secret: string } | null {
  const m = BOOTSTRAP_TOKEN_RE.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}
