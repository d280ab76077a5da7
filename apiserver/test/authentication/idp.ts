// A real OpenID provider for tests: HTTPS on 127.0.0.1 (a CA made at run time), the discovery
// document and a JWKS whose keys the test publishes, rotates and withdraws, and ID tokens signed
// with jose. Counts the requests it serves so tests can see refetches. It also serves OIDC
// distributed claims: /claims/<name> answers a JWT it signs, to a caller with the right bearer token.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AuthenticationError, type TokenAuthenticator, type UserInfo } from '@mkube/shared/auth';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { makePki, type Pki } from '../server/fixture.ts';

interface Key {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export class TestIdp {
  readonly pki: Pki;
  readonly #server: Server;
  readonly #keys = new Map<string, Key>();
  /** kids served in the JWKS. */
  readonly published = new Set<string>();
  readonly hits = { discovery: 0, jwks: 0, claims: 0 };
  /** Distributed claim sources by name: the JWT's claims and the access token the caller must send. */
  readonly claimSources = new Map<
    string,
    { claims: JWTPayload & Record<string, unknown>; accessToken?: string; kid?: string }
  >();
  /** Authorization headers the claim endpoint received. */
  readonly claimAuthorizations: string[] = [];
  /** When set, discovery answers this status (a provider that is not up yet). */
  failDiscovery: number | undefined;
  /** When set, the discovery document names this issuer instead of the real one. */
  discoveryIssuer: string | undefined;
  url = '';

  private constructor(dir: string, pki?: Pki) {
    this.pki = pki ?? makePki(dir);
    this.#server = createServer(
      { cert: readFileSync(this.pki.serverCrt), key: readFileSync(this.pki.serverKey) },
      (req, res) => {
        const json = (code: number, body: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.url?.startsWith('/claims/')) {
          this.hits.claims++;
          this.claimAuthorizations.push(req.headers.authorization ?? '');
          const src = this.claimSources.get(req.url.slice('/claims/'.length));
          if (!src) return json(404, {});
          if (src.accessToken && req.headers.authorization !== `Bearer ${src.accessToken}`) return json(401, {});
          void this.token(src.claims, src.kid).then((jwt) => {
            res.writeHead(200, { 'content-type': 'application/jwt' });
            res.end(jwt);
          });
          return;
        }
        if (req.url === '/.well-known/openid-configuration' || req.url === '/custom-discovery') {
          this.hits.discovery++;
          if (this.failDiscovery) return json(this.failDiscovery, { error: 'not yet' });
          return json(200, {
            issuer: this.discoveryIssuer ?? this.url,
            jwks_uri: `${this.url}/keys`,
            id_token_signing_alg_values_supported: ['RS256', 'ES256'],
          });
        }
        if (req.url === '/keys') {
          this.hits.jwks++;
          return json(200, { keys: [...this.published].map((kid) => this.#keys.get(kid)!.jwk) });
        }
        json(404, {});
      },
    );
  }

  /** A provider on its own port; with `pki`, serving with another provider's CA and certificate. */
  static async start(dir: string, pki?: Pki): Promise<TestIdp> {
    const idp = new TestIdp(dir, pki);
    await new Promise<void>((r) => idp.#server.listen(0, '127.0.0.1', r));
    idp.url = `https://127.0.0.1:${(idp.#server.address() as AddressInfo).port}`;
    return idp;
  }

  /** A new signing key (published unless told otherwise); returns its kid. */
  async addKey(alg = 'RS256', opts: { publish?: boolean; kid?: string } = {}): Promise<string> {
    const kid = opts.kid ?? `k${this.#keys.size + 1}`;
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    this.#keys.set(kid, { alg, privateKey, jwk });
    if (opts.publish !== false) this.published.add(kid);
    return kid;
  }

  /** An ID token: iss, aud, exp (an hour) and sub by default, overridden by `claims`. */
  async token(claims: JWTPayload & Record<string, unknown>, kid = 'k1'): Promise<string> {
    const key = this.#keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.url, aud: 'mkube', sub: 'alice', iat: now, exp: now + 3600, ...claims })
      .setProtectedHeader({ alg: key.alg, kid, typ: 'JWT' })
      .sign(key.privateKey);
  }

  /** Its CA certificate as the lines of a YAML block scalar (`certificateAuthority: |`), six spaces in. */
  caBlock(): string {
    return readFileSync(this.pki.caCrt, 'utf8')
      .trim()
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n');
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

/** An authentication refusal whose reason matches `re` (an AuthenticationError, not a crash). */
export async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AuthenticationError, String(e));
    assert.match(e.reason, re);
    return true;
  });
}

/** Until the provider's discovery has run (it starts in the background, as upstream's). */
export async function ready(set: TokenAuthenticator, token: string): Promise<UserInfo | null> {
  const end = Date.now() + 15_000;
  for (;;) {
    try {
      return await set.authenticateToken(token);
    } catch (e) {
      if (!(e instanceof AuthenticationError) || !/authenticator not initialized/.test(e.reason) || Date.now() > end)
        throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
