// OIDC distributed claims (OpenID Connect Core §5.6.2) for the groups claim, against real providers
// over HTTPS: the ID token names a claim source, the apiserver fetches the claim's JWT with the
// source's access token and verifies it against its own issuer's discovery and keys.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { JwtAuthenticatorSet } from '../../src/authentication/jwt/set.ts';
import { authenticationConfig } from '../../src/config/authentication.ts';
import { APISERVER_FLAGS, type ConfigProblem } from '../../src/config/index.ts';
import { tempDir } from '../server/fixture.ts';
import { ready, rejects, TestIdp } from './idp.ts';

const logged: string[] = [];
const log = createLogger({ name: 'test', destination: { write: (s: string) => logged.push(s) } as never });

const sets: JwtAuthenticatorSet[] = [];
function authenticatorFor(args: string[]) {
  const parsed = parseFlags(APISERVER_FLAGS, args);
  const problems: ConfigProblem[] = [];
  const c = authenticationConfig(parsed.flags, parsed.given, [], problems);
  assert.deepEqual(problems, []);
  const set = new JwtAuthenticatorSet({ entries: c!.jwt, signingAlgs: c!.signingAlgs, file: c!.file, log });
  sets.push(set);
  set.start();
  return set;
}

describe('JWT authenticator: distributed groups claims', () => {
  let dir: string;
  let idp: TestIdp;
  /** Another issuer, served with the same CA: the claims provider. */
  let claimsIdp: TestIdp;
  let set: JwtAuthenticatorSet;
  const distributed = (endpoint: string, extra: Record<string, unknown> = {}) => ({
    _claim_names: { groups: 'src1' },
    _claim_sources: { src1: { endpoint, access_token: 'claims-access-token-42' } },
    ...extra,
  });

  before(async () => {
    dir = tempDir('oidc-distributed');
    idp = await TestIdp.start(dir);
    await idp.addKey('RS256', { kid: 'k1' });
    claimsIdp = await TestIdp.start(dir, idp.pki);
    await claimsIdp.addKey('ES256', { kid: 'k1' });
    await claimsIdp.addKey('ES256', { kid: 'unpublished', publish: false });
    set = authenticatorFor([
      `--oidc-issuer-url=${idp.url}`,
      '--oidc-client-id=mkube',
      `--oidc-ca-file=${idp.pki.caCrt}`,
      '--oidc-signing-algs=RS256,ES256',
      '--oidc-groups-claim=groups',
      '--oidc-groups-prefix=oidc:',
    ]);
    await ready(set, await idp.token({}));
  });
  after(async () => {
    await Promise.all(sets.map((s) => s.close()));
    await idp.close();
    await claimsIdp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches the groups from the source with its access token and verifies them against their issuer', async () => {
    idp.claimSources.set('alice', { claims: { groups: ['dev', 'ops'] }, accessToken: 'claims-access-token-42' });
    const user = await set.authenticateToken(await idp.token(distributed(`${idp.url}/claims/alice`)));
    assert.deepEqual(user, { username: `${idp.url}#alice`, groups: ['oidc:dev', 'oidc:ops'] });
    assert.deepEqual(idp.claimAuthorizations.at(-1), 'Bearer claims-access-token-42');

    // The claims JWT from another issuer is checked against that issuer's own discovery and keys.
    claimsIdp.claimSources.set('bob', { claims: { groups: 'admins' } });
    const before = claimsIdp.hits.discovery;
    const bob = await set.authenticateToken(
      await idp.token({ sub: 'bob', ...distributed(`${claimsIdp.url}/claims/bob`) }),
    );
    assert.deepEqual(bob?.groups, ['oidc:admins']);
    assert.equal(claimsIdp.hits.discovery, before + 1, 'the claims issuer discovered once');
    await set.authenticateToken(await idp.token({ sub: 'bob', ...distributed(`${claimsIdp.url}/claims/bob`) }));
    assert.equal(claimsIdp.hits.discovery, before + 1, '... and kept');

    assert.ok(!logged.join('').includes('claims-access-token-42'), 'the access token is never logged');
  });

  it('a groups claim in the token wins; an aggregated claim or another claim name is not fetched', async () => {
    const hits = idp.hits.claims;
    const direct = await set.authenticateToken(
      await idp.token({ groups: ['inline'], ...distributed(`${idp.url}/claims/alice`) }),
    );
    assert.deepEqual(direct?.groups, ['oidc:inline']);
    const aggregated = await set.authenticateToken(
      await idp.token({ _claim_names: { groups: 'a' }, _claim_sources: { a: { JWT: 'e30.e30.e30' } } }),
    );
    assert.deepEqual(aggregated?.groups, []);
    const other = await set.authenticateToken(
      await idp.token({ _claim_names: { roles: 'r' }, _claim_sources: { r: { endpoint: `${idp.url}/claims/x` } } }),
    );
    assert.deepEqual(other?.groups, []);
    assert.equal(idp.hits.claims, hits, 'no claim endpoint was called');
  });

  it("refuses what upstream refuses, with upstream's messages", async () => {
    const t = (claims: Record<string, unknown>) => idp.token(claims);
    const prefix = 'oidc: could not expand distributed claims: ';
    await rejects(set.authenticateToken(await t({ _claim_names: { groups: 'src1' } })), /no claim sources/);
    await rejects(
      set.authenticateToken(await t({ _claim_names: { groups: 7 }, _claim_sources: {} })),
      /error parsing distributed claim names: json: cannot unmarshal number into Go value of type string/,
    );
    await rejects(
      set.authenticateToken(await t({ _claim_names: { groups: 'src9' }, _claim_sources: {} })),
      /_claim_names contained a source src9 missing in _claims_sources/,
    );
    await rejects(
      set.authenticateToken(await t(distributed(`${idp.url}/claims/nobody`))),
      new RegExp(
        `^${prefix}while getting distributed claim "groups": error while getting distributed claim JWT: 404 Not Found$`,
      ),
    );
    // The source's access token is what the endpoint checks.
    idp.claimSources.set('guarded', { claims: { groups: ['x'] }, accessToken: 'another-token' });
    await rejects(set.authenticateToken(await t(distributed(`${idp.url}/claims/guarded`))), /401 Unauthorized/);
    // The claims JWT must be for this audience, unexpired, signed by a published key, and carry the claim.
    idp.claimSources.set('aud', { claims: { aud: 'someone-else', groups: ['x'] } });
    await rejects(
      set.authenticateToken(await t(distributed(`${idp.url}/claims/aud`))),
      /verify distributed claim token: oidc: expected audience "mkube" got \["someone-else"\]/,
    );
    idp.claimSources.set('expired', { claims: { exp: Math.floor(Date.now() / 1000) - 10, groups: ['x'] } });
    await rejects(
      set.authenticateToken(await t(distributed(`${idp.url}/claims/expired`))),
      /verify distributed claim token: oidc: token is expired/,
    );
    claimsIdp.claimSources.set('forged', { claims: { groups: ['x'] }, kid: 'unpublished' });
    await rejects(
      set.authenticateToken(await t(distributed(`${claimsIdp.url}/claims/forged`))),
      /verify distributed claim token: failed to verify signature/,
    );
    idp.claimSources.set('empty', { claims: { roles: ['x'] } });
    await rejects(
      set.authenticateToken(await t(distributed(`${idp.url}/claims/empty`))),
      /did not contain claim: groups/,
    );
    // An issuer whose discovery cannot be reached: its verifier is not initialized.
    claimsIdp.claimSources.set('elsewhere', { claims: { iss: 'https://127.0.0.1:1', groups: ['x'] } });
    await rejects(
      set.authenticateToken(await t(distributed(`${claimsIdp.url}/claims/elsewhere`))),
      /verifying untrusted issuer https:\/\/127\.0\.0\.1:1 failed: verifier not initialized for issuer: "https:\/\/127\.0\.0\.1:1"/,
    );
    assert.ok(!logged.join('').includes('claims-access-token-42'), 'the access token is never logged');
  });

  it('--authentication-config: the resolved groups are what CEL validation and the groups prefix see', async () => {
    const file = join(dir, 'authn.yaml');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: ${idp.url}
    audiences: [mkube]
    certificateAuthority: |
${idp.caBlock()}
  claimMappings:
    username: {claim: sub, prefix: "corp:"}
    groups: {claim: groups, prefix: ""}
  claimValidationRules:
  - expression: "'staff' in claims.groups"
    message: only staff
`,
    );
    const cel = authenticatorFor([`--authentication-config=${file}`]);
    idp.claimSources.set('staff', { claims: { groups: ['staff', 'dev'] } });
    idp.claimSources.set('guest', { claims: { groups: ['guest'] } });
    const user = await ready(cel, await idp.token(distributed(`${idp.url}/claims/staff`)));
    assert.deepEqual(user, { username: 'corp:alice', groups: ['staff', 'dev'] });
    await rejects(cel.authenticateToken(await idp.token(distributed(`${idp.url}/claims/guest`))), /only staff/);
  });
});
