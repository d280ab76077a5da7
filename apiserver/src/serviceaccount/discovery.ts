// ServiceAccountIssuerDiscovery (pkg/serviceaccount/openidmetadata.go): the apiserver publishes its
// service-account issuer as an OpenID provider — `/.well-known/openid-configuration` and the JWKS at
// `/openid/v1/jwks` — so anything that verifies OIDC tokens (another cluster's JWT authenticator, a
// cloud's workload identity) can verify bound service-account tokens. RBAC decides who may read them
// (`system:service-account-issuer-discovery`, bound to all service accounts). The documents are
// rendered once; an issuer that is not an https URL leaves the endpoints off with a logged reason, as
// upstream does.
import type { KeyObject } from 'node:crypto';
import { algorithmOf, keyId } from '@mkube/shared/serviceaccount';
import type { FastifyInstance } from 'fastify';
import { restfulGet } from '../server/methods.js';

export const OPENID_CONFIG_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';
const CACHE_CONTROL = 'public, max-age=3600';

export interface IssuerDiscoveryOptions {
  readonly issuer: string;
  /** --service-account-jwks-uri; absent: https://<external address>/openid/v1/jwks. */
  readonly jwksURI?: string;
  readonly publicKeys: readonly KeyObject[];
}

export interface IssuerDiscoveryDocuments {
  readonly configuration: Buffer;
  readonly jwks: Buffer;
}

function httpsProblem(what: string, raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `${what} ${JSON.stringify(raw)} is not a valid URL`;
  }
  if (u.protocol !== 'https:') return `${what} must use https scheme, got: ${raw}`;
  if (u.search) return `${what} may not include a query, got: ${raw}`;
  if (u.hash) return `${what} may not include a fragment, got: ${raw}`;
  return undefined;
}

/** The two documents, or why the endpoints stay off. */
export function renderIssuerDiscovery(
  opts: IssuerDiscoveryOptions,
  externalAddress: string,
): IssuerDiscoveryDocuments | { readonly error: string } {
  const issuerProblem = httpsProblem('issuer URL', opts.issuer);
  if (issuerProblem) return { error: issuerProblem };
  const jwksURI = opts.jwksURI || `https://${externalAddress}${JWKS_PATH}`;
  const jwksProblem = httpsProblem('jwks URI', jwksURI);
  if (jwksProblem) return { error: jwksProblem };
  const keys: Record<string, unknown>[] = [];
  const algs = new Set<string>();
  const seen = new Set<string>();
  for (const key of opts.publicKeys) {
    let alg: string;
    try {
      alg = algorithmOf(key);
    } catch {
      continue; // a key type tokens are never signed with
    }
    const kid = keyId(key);
    if (seen.has(kid)) continue;
    seen.add(kid);
    algs.add(alg);
    keys.push({ use: 'sig', ...key.export({ format: 'jwk' }), kid, alg });
  }
  if (keys.length === 0) return { error: 'no public keys of a supported type (RSA, ECDSA P-256)' };
  return {
    configuration: Buffer.from(
      JSON.stringify({
        issuer: opts.issuer,
        jwks_uri: jwksURI,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...algs].sort(),
      }),
    ),
    jwks: Buffer.from(JSON.stringify({ keys })),
  };
}

/** Routes for both documents (the server ignores a trailing slash, which RBAC's default role names too). */
export function registerIssuerDiscoveryRoutes(app: FastifyInstance, docs: () => IssuerDiscoveryDocuments): void {
  const route = (path: string, contentType: string, body: (d: IssuerDiscoveryDocuments) => Buffer) =>
    restfulGet(app, path, async (_request, reply) => {
      reply.header('content-type', contentType).header('cache-control', CACHE_CONTROL).send(body(docs()));
    });
  route(OPENID_CONFIG_PATH, 'application/json', (d) => d.configuration);
  route(JWKS_PATH, 'application/jwk-set+json', (d) => d.jwks);
}
