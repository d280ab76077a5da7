// OIDC distributed claims (OpenID Connect Core 1.0 §5.6.2) for the groups claim, as upstream's
// claimResolver: a verified ID token without the claim but naming it in `_claim_names` has it
// fetched from its `_claim_sources` endpoint (with the source's access_token as a bearer token),
// and the answer — a JWT — must verify against its own issuer's discovery and keys, with the
// authenticator's audiences and algorithms. The claim then stands in the token's claims, for the
// claim mapping and for CEL alike. Aggregated claims (a source with a JWT, no endpoint) are left
// alone, as upstream. The access token is never logged nor put in an error.
import { STATUS_CODES } from 'node:http';
import type { Agent } from 'undici';
import { boundedGet, issuerAgent } from './http.js';
import { RemoteProvider } from './provider.js';
import { type Claims, jsonType, parseUntrustedIssuer, TokenVerificationError, verifyIdToken } from './verify.js';

const CLAIM_NAMES = '_claim_names';
const CLAIM_SOURCES = '_claim_sources';

export interface ClaimResolverOptions {
  /** The distributed claim this resolver fills in (the groups claim). */
  readonly claim: string;
  readonly audiences: readonly string[];
  readonly signingAlgs: readonly string[];
  /** PEM roots for the claim endpoints and their issuers (the authenticator's own). */
  readonly caPem?: string;
  readonly now: () => number;
  readonly onError?: (issuer: string, message: string) => void;
}

/** A distributed claim that could not be resolved; its message is upstream's. */
export class DistributedClaimError extends Error {
  override readonly name = 'DistributedClaimError';
}

interface Endpoint {
  readonly url: string;
  readonly accessToken: string;
}

export class ClaimResolver {
  readonly #opts: ClaimResolverOptions;
  /** Made on the first fetch: most tokens carry their groups, and most authenticators never need it. */
  #agent: Agent | undefined;
  /** One verifier per distributed-claim issuer (upstream's verifierPerIssuer: expected to stay tiny). */
  readonly #verifiers = new Map<string, RemoteProvider>();

  constructor(opts: ClaimResolverOptions) {
    this.#opts = opts;
  }

  async close(): Promise<void> {
    const providers = [...this.#verifiers.values()];
    this.#verifiers.clear();
    await Promise.all([...providers.map((p) => p.close()), this.#agent?.close().catch(() => undefined)]);
  }

  /** Pulls the distributed claim into `claims` when the token names one for it (expand). */
  async expand(claims: Claims): Promise<void> {
    const claim = this.#opts.claim;
    // A normal claim wins; no names, nothing to look up.
    if (claim in claims || !(CLAIM_NAMES in claims)) return;
    const names = parseNames(claims[CLAIM_NAMES]);
    if (!(CLAIM_SOURCES in claims)) throw new DistributedClaimError('oidc: no claim sources');
    const sources = parseSources(claims[CLAIM_SOURCES]);
    const src = names.get(claim);
    if (src === undefined) return;
    const ep = sources.get(src);
    if (!ep)
      throw new DistributedClaimError(`id token _claim_names contained a source ${src} missing in _claims_sources`);
    // An aggregated claim (a JWT in the source, no endpoint): not resolved, as upstream.
    if (ep.url === '') return;
    claims[claim] = await this.#resolve(ep);
  }

  async #resolve(ep: Endpoint): Promise<unknown> {
    const claim = this.#opts.claim;
    let jwt: string;
    try {
      jwt = await this.#getClaimJWT(ep);
    } catch (e) {
      throw new DistributedClaimError(
        `while getting distributed claim ${JSON.stringify(claim)}: ${(e as Error).message}`,
      );
    }
    const iss = parseUntrustedIssuer(jwt);
    if (typeof iss !== 'string') {
      throw new DistributedClaimError(
        `getting untrusted issuer from endpoint ${ep.url} failed for claim ${JSON.stringify(claim)}: ${iss.error}`,
      );
    }
    const provider = await this.#verifier(iss);
    if (!provider.initialized) {
      throw new DistributedClaimError(
        `verifying untrusted issuer ${iss} failed: verifier not initialized for issuer: ${JSON.stringify(iss)}`,
      );
    }
    let distClaims: Claims;
    try {
      distClaims = await verifyIdToken(jwt, provider, {
        issuer: iss,
        audiences: this.#opts.audiences,
        signingAlgs: this.#opts.signingAlgs,
        now: this.#opts.now,
      });
    } catch (e) {
      if (e instanceof TokenVerificationError) {
        throw new DistributedClaimError(`verify distributed claim token: ${e.message}`);
      }
      throw e;
    }
    if (!(claim in distClaims)) {
      throw new DistributedClaimError(
        `jwt returned by distributed claim endpoint ${JSON.stringify(ep.url)} did not contain claim: ${claim}`,
      );
    }
    return distClaims[claim];
  }

  /**
   * The issuer's verifier, discovered on first use. Upstream starts discovery in the background and
   * fails requests until it is done; waiting for the first attempt (bounded by its HTTP timeout)
   * spares the first user of a new claims issuer a spurious 401. A failed discovery retries every
   * 10 s in the background, as upstream's.
   */
  async #verifier(iss: string): Promise<RemoteProvider> {
    let p = this.#verifiers.get(iss);
    if (!p) {
      p = new RemoteProvider({
        issuerURL: iss,
        ...(this.#opts.caPem ? { caPem: this.#opts.caPem } : {}),
        onError: (message) => this.#opts.onError?.(iss, message),
      });
      this.#verifiers.set(iss, p);
      p.start();
    }
    await p.firstAttempt();
    return p;
  }

  #fetcher(): Agent {
    this.#agent ??= issuerAgent(this.#opts.caPem);
    return this.#agent;
  }

  async #getClaimJWT(ep: Endpoint): Promise<string> {
    const { statusCode, text } = await boundedGet(
      this.#fetcher(),
      ep.url,
      ep.accessToken ? { authorization: `Bearer ${ep.accessToken}` } : {},
    );
    // Go's client: anything outside 200–226 is an error, reported with its status line.
    if (statusCode < 200 || statusCode > 226) {
      throw new Error(`error while getting distributed claim JWT: ${statusCode} ${STATUS_CODES[statusCode] ?? ''}`);
    }
    return text;
  }
}

function parseNames(v: unknown): Map<string, string> {
  const bad = (why: string) => new DistributedClaimError(`oidc: error parsing distributed claim names: ${why}`);
  // JSON null decodes to an empty map in Go.
  if (v === null) return new Map();
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw bad(`json: cannot unmarshal ${jsonType(v)} into Go value of type map[string]string`);
  }
  const out = new Map<string, string>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw bad(`json: cannot unmarshal ${jsonType(x)} into Go value of type string`);
    out.set(k, x);
  }
  return out;
}

function parseSources(v: unknown): Map<string, Endpoint> {
  const bad = (why: string) => new DistributedClaimError(`oidc: could not parse claim sources: ${why}`);
  if (v === null) return new Map();
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw bad(`json: cannot unmarshal ${jsonType(v)} into Go value of type map[string]oidc.endpoint`);
  }
  const out = new Map<string, Endpoint>();
  for (const [name, src] of Object.entries(v as Record<string, unknown>)) {
    if (src === null) {
      out.set(name, { url: '', accessToken: '' });
      continue;
    }
    if (typeof src !== 'object' || Array.isArray(src)) {
      throw bad(`json: cannot unmarshal ${jsonType(src)} into Go value of type oidc.endpoint`);
    }
    const s = src as Record<string, unknown>;
    for (const f of ['endpoint', 'access_token', 'JWT'] as const) {
      if (s[f] !== undefined && s[f] !== null && typeof s[f] !== 'string') {
        throw bad(`json: cannot unmarshal ${jsonType(s[f])} into Go struct field endpoint.${f} of type string`);
      }
    }
    out.set(name, {
      url: (s.endpoint as string | undefined) ?? '',
      accessToken: (s.access_token as string | undefined) ?? '',
    });
  }
  return out;
}
