// The JWT authenticator (k8s.io/apiserver plugin/pkg/authenticator/token/oidc): a token whose
// unverified `iss` is not this issuer's is not its business (null, the next authenticator tries);
// one that is must verify — signature by a key of the provider's JWKS with an allowed algorithm,
// issuer, audience, expiry — and map to a user by the claim mappings, or it is a 401. The checks
// and messages are go-oidc's and upstream's; messages go to the log, never the token.

import { AuthenticationError, type TokenAuthenticator, type UserInfo } from '@mkube/shared/auth';
import { celValue, stringList } from './cel.js';
import { ClaimResolver, DistributedClaimError } from './distributedclaims.js';
import type { RemoteProvider } from './provider.js';
import type { JWTAuthenticator } from './types.js';
import type { CompiledMappings } from './validation.js';
import { type Claims, jsonType, parseUntrustedIssuer, TokenVerificationError, verifyIdToken } from './verify.js';

export interface JwtAuthenticatorOptions {
  readonly config: JWTAuthenticator;
  readonly compiled: CompiledMappings;
  readonly signingAlgs: readonly string[];
  /** The issuer's discovery and keys (shared across reloads of an unchanged issuer). */
  readonly provider: RemoteProvider;
  /** Seconds since the epoch (tests). */
  readonly now?: () => number;
  /** A distributed-claims issuer that could not be discovered (never with token data). */
  readonly onDistributedClaimsError?: (issuer: string, message: string) => void;
}

const fail = (message: string): never => {
  throw new AuthenticationError('TOKEN_INVALID', message);
};

/** The token's `iss` without verifying anything (untrustedIssuer); undefined when not a compact JWT. */
export function untrustedIssuer(token: string): string | undefined {
  const iss = parseUntrustedIssuer(token);
  return typeof iss === 'string' ? iss : undefined;
}

export class JwtAuthenticator implements TokenAuthenticator {
  readonly issuerURL: string;
  readonly #opts: JwtAuthenticatorOptions;
  readonly #provider: RemoteProvider;
  readonly #now: () => number;
  readonly #resolver: ClaimResolver | undefined;

  constructor(opts: JwtAuthenticatorOptions) {
    this.#opts = opts;
    this.issuerURL = opts.config.issuer.url;
    this.#now = opts.now ?? (() => Date.now() / 1000);
    this.#provider = opts.provider;
    // Upstream resolves distributed claims for the groups claim only, and only when it is a claim
    // (not an expression).
    const groupsClaim = opts.config.claimMappings.groups?.claim;
    if (groupsClaim) {
      this.#resolver = new ClaimResolver({
        claim: groupsClaim,
        audiences: opts.config.issuer.audiences,
        signingAlgs: opts.signingAlgs,
        ...(opts.config.issuer.certificateAuthority ? { caPem: opts.config.issuer.certificateAuthority } : {}),
        now: this.#now,
        ...(opts.onDistributedClaimsError ? { onError: opts.onDistributedClaimsError } : {}),
      });
    }
  }

  /** Releases the distributed-claims verifiers and their connections. */
  async close(): Promise<void> {
    await this.#resolver?.close();
  }

  async authenticateToken(token: string): Promise<UserInfo | null> {
    if (untrustedIssuer(token) !== this.issuerURL) return null;
    if (!this.#provider.initialized) fail('oidc: authenticator not initialized');
    const claims = await this.#verify(token);
    if (this.#resolver) {
      try {
        await this.#resolver.expand(claims);
      } catch (e) {
        if (e instanceof DistributedClaimError) fail(`oidc: could not expand distributed claims: ${e.message}`);
        throw e;
      }
    }
    return this.#user(claims);
  }

  async #verify(token: string): Promise<Claims> {
    try {
      return await verifyIdToken(token, this.#provider, {
        issuer: this.#opts.config.issuer.url,
        audiences: this.#opts.config.issuer.audiences,
        signingAlgs: this.#opts.signingAlgs,
        now: this.#now,
      });
    } catch (e) {
      if (e instanceof TokenVerificationError) fail(`oidc: verify token: ${e.message}`);
      throw e;
    }
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
