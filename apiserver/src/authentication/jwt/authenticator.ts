// The JWT authenticator (k8s.io/apiserver plugin/pkg/authenticator/token/oidc): a token whose
// unverified `iss` is not this issuer's is not its business (null, the next authenticator tries);
// one that is must verify — signature by a key of the provider's JWKS with an allowed algorithm,
// issuer, audience, expiry — and map to a user by the claim mappings, or it is a 401. The checks
// and messages are go-oidc's and upstream's; messages go to the log, never the token.

import { AuthenticationError, type TokenAuthenticator, type UserInfo } from '@mkube/shared/auth';
import { type CryptoKey, compactVerify, decodeProtectedHeader } from 'jose';
import { celValue, stringList } from './cel.js';
import type { RemoteProvider } from './provider.js';
import type { JWTAuthenticator } from './types.js';
import type { CompiledMappings } from './validation.js';

/** go-oidc's allowance for clock skew on `nbf`. */
const NBF_LEEWAY_S = 5 * 60;

export interface JwtAuthenticatorOptions {
  readonly config: JWTAuthenticator;
  readonly compiled: CompiledMappings;
  readonly signingAlgs: readonly string[];
  /** The issuer's discovery and keys (shared across reloads of an unchanged issuer). */
  readonly provider: RemoteProvider;
  /** Seconds since the epoch (tests). */
  readonly now?: () => number;
}

type Claims = Record<string, unknown>;

const fail = (message: string): never => {
  throw new AuthenticationError('TOKEN_INVALID', message);
};

/** The token's `iss` without verifying anything (untrustedIssuer); undefined when not a compact JWT. */
export function untrustedIssuer(token: string): string | undefined {
  if (token.trimStart().startsWith('{')) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown } | null;
    const iss = claims?.iss;
    if (typeof iss !== 'string') return undefined;
    // The legacy Google issuer, coalesced as upstream does.
    return iss === 'accounts.google.com' ? 'https://accounts.google.com' : iss;
  } catch {
    return undefined;
  }
}

export class JwtAuthenticator implements TokenAuthenticator {
  readonly issuerURL: string;
  readonly #opts: JwtAuthenticatorOptions;
  readonly #provider: RemoteProvider;
  readonly #now: () => number;

  constructor(opts: JwtAuthenticatorOptions) {
    this.#opts = opts;
    this.issuerURL = opts.config.issuer.url;
    this.#now = opts.now ?? (() => Date.now() / 1000);
    this.#provider = opts.provider;
  }

  async authenticateToken(token: string): Promise<UserInfo | null> {
    if (untrustedIssuer(token) !== this.issuerURL) return null;
    if (!this.#provider.initialized) fail('oidc: authenticator not initialized');
    const claims = await this.#verify(token);
    return this.#user(claims);
  }

  async #verify(token: string): Promise<Claims> {
    let alg: string | undefined;
    let kid: string | undefined;
    try {
      const h = decodeProtectedHeader(token);
      alg = h.alg;
      kid = h.kid;
    } catch (e) {
      fail(`oidc: verify token: oidc: malformed jwt: ${(e as Error).message}`);
    }
    const algs = this.#opts.signingAlgs;
    if (!alg || !algs.includes(alg)) {
      fail(
        `oidc: verify token: oidc: id token signed with unsupported algorithm, expected ${goList(algs)} got ${JSON.stringify(alg ?? '')}`,
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
    let payload = await verifyWith(await this.#provider.candidateKeys(kid, alg!));
    if (!payload) {
      await this.#provider.refresh().catch(() => undefined);
      payload = await verifyWith(await this.#provider.candidateKeys(kid, alg!));
    }
    if (!payload) fail('oidc: verify token: failed to verify signature: failed to verify id token signature');
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload!).toString('utf8'));
    } catch (e) {
      fail(`oidc: verify token: oidc: failed to unmarshal claims: ${(e as Error).message}`);
    }
    if (!claims || typeof claims !== 'object' || Array.isArray(claims))
      fail('oidc: verify token: oidc: malformed jwt claims');
    const c = claims as Claims;
    const iss = this.#opts.config.issuer.url;
    if (c.iss !== iss) {
      fail(
        `oidc: verify token: oidc: id token issued by a different provider, expected ${JSON.stringify(iss)} got ${JSON.stringify(c.iss)}`,
      );
    }
    const aud =
      typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud.filter((a) => typeof a === 'string') : [];
    const want = this.#opts.config.issuer.audiences;
    if (!aud.some((a) => want.includes(a))) {
      fail(
        want.length === 1
          ? `oidc: verify token: oidc: expected audience ${JSON.stringify(want[0])} got ${goList(aud)}`
          : `oidc: expected audience in ${goList([...want].sort())} got ${goList(aud)}`,
      );
    }
    const now = this.#now();
    const exp = typeof c.exp === 'number' ? c.exp : 0;
    if (exp < now) {
      fail(`oidc: verify token: oidc: token is expired (Token Expiry: ${new Date(exp * 1000).toISOString()})`);
    }
    if (typeof c.nbf === 'number' && now + NBF_LEEWAY_S < c.nbf) {
      fail(
        `oidc: verify token: oidc: current time ${new Date(now * 1000).toISOString()} before the nbf (not before) time: ${new Date(c.nbf * 1000).toISOString()}`,
      );
    }
    return c;
  }

  #user(c: Claims): UserInfo {
    const { config, compiled } = this.#opts;
    let celClaims: Record<string, unknown> | undefined;
    const vars = () => {
      celClaims ??= { claims: celValue(c) };
      return celClaims;
    };
    const m = config.claimMappings;

    let username: string;
    if (compiled.username) {
      const v = evaluate(() => compiled.username!.evaluate(vars()), 'username claim expression');
      if (typeof v !== 'string')
        fail('oidc: error evaluating username claim expression: username claim expression must return a string');
      username = v as string;
      if (username === '') fail('oidc: empty username via CEL expression is not allowed');
    } else {
      const claim = m.username.claim!;
      username = claimString(c, claim, `oidc: parse username claims ${JSON.stringify(claim)}`);
      if (claim === 'email' && 'email_verified' in c) {
        if (typeof c.email_verified !== 'boolean') fail("oidc: parse 'email_verified' claim: not a boolean");
        if (c.email_verified !== true) fail('oidc: email not verified');
      }
      username = (m.username.prefix ?? '') + username;
    }

    let groups: string[] = [];
    if (m.groups?.claim) {
      const claim = m.groups.claim;
      if (claim in c) {
        const v = c[claim];
        const list =
          typeof v === 'string' ? [v] : Array.isArray(v) && v.every((g) => typeof g === 'string') ? v : undefined;
        if (!list) fail(`oidc: parse groups claim ${JSON.stringify(claim)}: not a string or an array of strings`);
        groups = list!.map((g) => (m.groups!.prefix ?? '') + g);
      }
    } else if (compiled.groups) {
      groups = listResult(() => compiled.groups!.evaluate(vars()), 'group claim expression') ?? [];
    }

    let uid: string | undefined;
    if (m.uid?.claim) {
      uid = claimString(c, m.uid.claim, `oidc: parse uid claim ${JSON.stringify(m.uid.claim)}`);
    } else if (compiled.uid) {
      const v = evaluate(() => compiled.uid!.evaluate(vars()), 'uid claim expression');
      if (typeof v !== 'string')
        fail('oidc: error evaluating uid claim expression: uid claim expression must return a string');
      uid = v as string;
    }

    const extra: Record<string, string[]> = {};
    for (const x of compiled.extra) {
      const values = listResult(
        () => x.expression.evaluate(vars()),
        `extra claim expression: ${x.expression.expression}`,
      );
      if (values?.length) extra[x.key] = values;
    }

    for (const r of config.claimValidationRules ?? []) {
      if (!r.claim) continue;
      if (!(r.claim in c)) fail(`oidc: required claim ${r.claim} not present in ID token`);
      const v = c[r.claim];
      if (typeof v !== 'string') fail(`oidc: parse claim ${r.claim}: not a string`);
      if (v !== (r.requiredValue ?? '')) {
        fail(`oidc: required claim ${r.claim} value does not match. Got = ${v}, want = ${r.requiredValue ?? ''}`);
      }
    }
    for (const r of compiled.claimValidation) {
      const v = evaluate(() => r.expression.evaluate(vars()), 'claim validation expression');
      if (typeof v !== 'boolean')
        fail('oidc: error evaluating claim validation expression: validation expression must return a boolean');
      if (!v) {
        fail(
          `oidc: error evaluating claim validation expression: validation expression '${r.expression.expression}' failed: ${r.message}`,
        );
      }
    }

    const user: UserInfo = {
      username,
      groups,
      ...(uid ? { uid } : {}),
      ...(Object.keys(extra).length ? { extra } : {}),
    };
    if (compiled.userValidation.length) {
      const u = { user: { username, uid: uid ?? '', groups: [...groups], extra } };
      for (const r of compiled.userValidation) {
        const v = evaluate(() => r.expression.evaluate(u), 'user info validation rule');
        if (typeof v !== 'boolean')
          fail('oidc: error evaluating user info validation rule: validation expression must return a boolean');
        if (!v) {
          fail(
            `oidc: error evaluating user info validation rule: validation expression '${r.expression.expression}' failed: ${r.message}`,
          );
        }
      }
    }
    return user;
  }
}

function claimString(c: Claims, claim: string, prefix: string): string {
  if (!(claim in c)) fail(`${prefix}: claim not present`);
  const v = c[claim];
  if (typeof v !== 'string') fail(`${prefix}: json: cannot unmarshal ${jsonType(v)} into Go value of type string`);
  return v as string;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

function evaluate(run: () => unknown, what: string): unknown {
  try {
    return run();
  } catch (e) {
    return fail(`oidc: error evaluating ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function listResult(run: () => unknown, what: string): string[] | undefined {
  const v = evaluate(run, what);
  try {
    return stringList(v);
  } catch (e) {
    return fail(`oidc: error evaluating ${what}: ${(e as Error).message}`);
  }
}

/** Go's %q of a []string: ["a" "b"]. */
function goList(v: readonly unknown[]): string {
  return `[${v.map((x) => JSON.stringify(String(x))).join(' ')}]`;
}
