// go-oidc's IDTokenVerifier.Verify with the apiserver's own audience check (idTokenVerifier): one
// place for the ID token itself and for a distributed claim's JWT, which is verified the same way
// against its own issuer's keys. Errors carry go-oidc's messages; the caller says which token failed.
import { type CryptoKey, compactVerify, decodeProtectedHeader } from 'jose';
import type { RemoteProvider } from './provider.js';

/** go-oidc's allowance for clock skew on `nbf`. */
const NBF_LEEWAY_S = 5 * 60;

export type Claims = Record<string, unknown>;

export interface VerifierConfig {
  /** The issuer the token's `iss` must equal. */
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly signingAlgs: readonly string[];
  /** Seconds since the epoch. */
  readonly now: () => number;
}

/** A token that did not verify; the message is go-oidc's, without the caller's prefix. */
export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
}

const fail = (message: string): never => {
  throw new TokenVerificationError(message);
};

export async function verifyIdToken(token: string, provider: RemoteProvider, cfg: VerifierConfig): Promise<Claims> {
  let alg: string | undefined;
  let kid: string | undefined;
  try {
    const h = decodeProtectedHeader(token);
    alg = h.alg;
    kid = h.kid;
  } catch (e) {
    fail(`oidc: malformed jwt: ${(e as Error).message}`);
  }
  if (!alg || !cfg.signingAlgs.includes(alg)) {
    fail(
      `oidc: id token signed with unsupported algorithm, expected ${goList(cfg.signingAlgs)} got ${JSON.stringify(alg ?? '')}`,
    );
  }
  const verifyWith = async (keys: CryptoKey[]) => {
    for (const key of keys) {
      try {
        return (await compactVerify(token, key, { algorithms: [alg!] })).payload;
      } catch {}
    }
    return undefined;
  };
  // go-oidc's RemoteKeySet: the cached keys first; when none verifies, the provider's keys again
  // (a rotated key, or one republished under the same kid), then those.
  let payload = await verifyWith(await provider.candidateKeys(kid, alg!));
  if (!payload) {
    await provider.refresh().catch(() => undefined);
    payload = await verifyWith(await provider.candidateKeys(kid, alg!));
  }
  if (!payload) fail('failed to verify signature: failed to verify id token signature');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload!).toString('utf8'));
  } catch (e) {
    fail(`oidc: failed to unmarshal claims: ${(e as Error).message}`);
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) fail('oidc: malformed jwt claims');
  const c = claims as Claims;
  if (c.iss !== cfg.issuer) {
    fail(
      `oidc: id token issued by a different provider, expected ${JSON.stringify(cfg.issuer)} got ${JSON.stringify(c.iss)}`,
    );
  }
  const aud =
    typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud.filter((a) => typeof a === 'string') : [];
  const want = cfg.audiences;
  if (!aud.some((a) => want.includes(a))) {
    fail(
      want.length === 1
        ? `oidc: expected audience ${JSON.stringify(want[0])} got ${goList(aud)}`
        : `oidc: expected audience in ${goList([...want].sort())} got ${goList(aud)}`,
    );
  }
  const now = cfg.now();
  const exp = typeof c.exp === 'number' ? c.exp : 0;
  if (exp < now) fail(`oidc: token is expired (Token Expiry: ${new Date(exp * 1000).toISOString()})`);
  if (typeof c.nbf === 'number' && now + NBF_LEEWAY_S < c.nbf) {
    fail(
      `oidc: current time ${new Date(now * 1000).toISOString()} before the nbf (not before) time: ${new Date(c.nbf * 1000).toISOString()}`,
    );
  }
  return c;
}

/** Go's %q of a []string: ["a" "b"]. */
export function goList(v: readonly unknown[]): string {
  return `[${v.map((x) => JSON.stringify(String(x))).join(' ')}]`;
}

/** The unverified `iss` of a compact JWT, or why there is none (upstream's untrustedIssuer and its errors). */
export function parseUntrustedIssuer(token: string): string | { error: string } {
  if (token.trimStart().startsWith('{')) return { error: 'token is not compact JWT' };
  const parts = token.split('.');
  if (parts.length !== 3) return { error: 'malformed token' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch (e) {
    return { error: `while unmarshaling token: ${(e as Error).message}` };
  }
  const iss = (claims as { iss?: unknown } | null)?.iss;
  const s = typeof iss === 'string' ? iss : '';
  // The legacy Google issuer, coalesced as upstream does.
  return s === 'accounts.google.com' ? 'https://accounts.google.com' : s;
}

/** The JSON type Go's decoder names in its errors. */
export function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}
