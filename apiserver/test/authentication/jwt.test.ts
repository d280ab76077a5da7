// The JWT (OIDC) authenticator against a real OpenID provider over HTTPS: --oidc-* flags and
// --authentication-config built by the apiserver's own config code, tokens signed by jose.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

function configFrom(args: string[], saIssuers: string[] = []) {
  const parsed = parseFlags(APISERVER_FLAGS, args);
  const problems: ConfigProblem[] = [];
  const c = authenticationConfig(parsed.flags, parsed.given, saIssuers, problems);
  return { c, problems: problems.map((p) => `--${p.flag}: ${p.message}`) };
}

const sets: JwtAuthenticatorSet[] = [];
async function authenticatorFor(args: string[], pollIntervalMs?: number) {
  const { c, problems } = configFrom(args);
  assert.deepEqual(problems, []);
  const set = new JwtAuthenticatorSet({
    entries: c!.jwt,
    signingAlgs: c!.signingAlgs,
    file: c!.file,
    log,
    ...(pollIntervalMs ? { pollIntervalMs } : {}),
  });
  sets.push(set);
  set.start();
  return set;
}

describe('JWT authenticator (OIDC) against a real provider', () => {
  let dir: string;
  let idp: TestIdp;
  let oidc: string[];
  before(async () => {
    dir = tempDir('oidc');
    idp = await TestIdp.start(dir);
    await idp.addKey('RS256', { kid: 'k1' });
    oidc = [`--oidc-issuer-url=${idp.url}`, '--oidc-client-id=mkube', `--oidc-ca-file=${idp.pki.caCrt}`];
  });
  after(async () => {
    await Promise.all(sets.map((s) => s.close()));
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps sub with the legacy issuer prefix; groups with their prefix; the token is never logged', async () => {
    const set = await authenticatorFor([...oidc, '--oidc-groups-claim=groups', '--oidc-groups-prefix=oidc:']);
    const token = await idp.token({ groups: ['dev', 'ops'] });
    const user = await ready(set, token);
    assert.deepEqual(user, { username: `${idp.url}#alice`, groups: ['oidc:dev', 'oidc:ops'] });
    // A single string is one group (kubernetes#33290); a missing claim is no groups.
    assert.deepEqual((await set.authenticateToken(await idp.token({ groups: 'admins' })))?.groups, ['oidc:admins']);
    assert.deepEqual((await set.authenticateToken(await idp.token({})))?.groups, []);
    await rejects(set.authenticateToken(await idp.token({ groups: [1] })), /parse groups claim "groups"/);
    assert.ok(!logged.join('').includes(token.split('.')[2]!), 'no token in the log');
  });

  it('email needs email_verified true when present; `-` turns the prefix off', async () => {
    const email = await authenticatorFor([...oidc, '--oidc-username-claim=email']);
    assert.equal((await ready(email, await idp.token({ email: 'a@example.com' })))?.username, 'a@example.com');
    assert.equal(
      (await email.authenticateToken(await idp.token({ email: 'a@example.com', email_verified: true })))?.username,
      'a@example.com',
    );
    await rejects(
      email.authenticateToken(await idp.token({ email: 'a@example.com', email_verified: false })),
      /email not verified/,
    );
    await rejects(email.authenticateToken(await idp.token({})), /parse username claims "email": claim not present/);
    const bare = await authenticatorFor([...oidc, '--oidc-username-prefix=-']);
    assert.equal((await ready(bare, await idp.token({})))?.username, 'alice');
    const custom = await authenticatorFor([...oidc, '--oidc-username-prefix=corp:']);
    assert.equal((await ready(custom, await idp.token({})))?.username, 'corp:alice');
  });

  it('refuses a wrong audience, an expired token, a future nbf, a foreign signature and unlisted algorithms', async () => {
    const set = await authenticatorFor(oidc);
    await ready(set, await idp.token({}));
    await rejects(
      set.authenticateToken(await idp.token({ aud: 'other' })),
      /expected audience "mkube" got \["other"\]/,
    );
    assert.ok(await set.authenticateToken(await idp.token({ aud: ['other', 'mkube'] })));
    const now = Math.floor(Date.now() / 1000);
    await rejects(set.authenticateToken(await idp.token({ exp: now - 5 })), /token is expired/);
    await rejects(set.authenticateToken(await idp.token({ exp: undefined })), /token is expired/);
    await rejects(set.authenticateToken(await idp.token({ nbf: now + 3600 })), /before the nbf/);
    assert.ok(await set.authenticateToken(await idp.token({ nbf: now + 60 })), 'within go-oidc leeway');
    // A key the provider does not publish: refetched once, still unknown, refused.
    await idp.addKey('RS256', { kid: 'rogue', publish: false });
    await rejects(set.authenticateToken(await idp.token({}, 'rogue')), /failed to verify signature/);
    // Same kid as the real key, other key material.
    await idp.addKey('RS256', { kid: 'k1-forged', publish: false });
    const forged = await idp.token({}, 'k1-forged');
    const [h, p, sig] = forged.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const swapped = `${Buffer.from(JSON.stringify({ ...header, kid: 'k1' })).toString('base64url')}.${p}.${sig}`;
    await rejects(set.authenticateToken(swapped), /failed to verify signature/);
    // ES256 is not in the default --oidc-signing-algs (RS256); alg none never is.
    await idp.addKey('ES256', { kid: 'ec1' });
    await rejects(
      set.authenticateToken(await idp.token({}, 'ec1')),
      /unsupported algorithm, expected \["RS256"\] got "ES256"/,
    );
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    await rejects(set.authenticateToken(none), /unsupported algorithm/);
    // The classic confusion: HS256 keyed with the provider's public key material.
    const { createHmac } = await import('node:crypto');
    const hsHead = Buffer.from('{"alg":"HS256","kid":"k1"}').toString('base64url');
    const hs = `${hsHead}.${p}.${createHmac('sha256', readFileSync(idp.pki.caCrt)).update(`${hsHead}.${p}`).digest('base64url')}`;
    await rejects(set.authenticateToken(hs), /unsupported algorithm, expected \["RS256"\] got "HS256"/);
    const es = await authenticatorFor([...oidc, '--oidc-signing-algs=ES256,RS256']);
    assert.equal((await ready(es, await idp.token({}, 'ec1')))?.username, `${idp.url}#alice`);
  });

  it('is not the business of tokens from other issuers or of non-JWTs', async () => {
    const set = await authenticatorFor(oidc);
    await ready(set, await idp.token({}));
    assert.equal(await set.authenticateToken(await idp.token({ iss: 'https://elsewhere.example' })), null);
    assert.equal(await set.authenticateToken('abcdef.0123456789abcdef'), null);
    assert.equal(await set.authenticateToken('{"iss":"x"}'), null);
  });

  it('picks up a rotated key by refetching the JWKS', async () => {
    const set = await authenticatorFor(oidc);
    await ready(set, await idp.token({}));
    const before = idp.hits.jwks;
    await idp.addKey('RS256', { kid: 'k2' });
    assert.equal((await set.authenticateToken(await idp.token({}, 'k2')))?.username, `${idp.url}#alice`);
    assert.equal(idp.hits.jwks, before + 1, 'one refetch for the new kid');
    await set.authenticateToken(await idp.token({}, 'k2'));
    assert.equal(idp.hits.jwks, before + 1, 'the new key is cached');
    // A key republished under the same kid: the cached one fails, the JWKS is fetched again.
    await idp.addKey('RS256', { kid: 'k2' });
    assert.equal((await set.authenticateToken(await idp.token({}, 'k2')))?.username, `${idp.url}#alice`);
    assert.equal(idp.hits.jwks, before + 2);
  });

  it('checks --oidc-required-claim values', async () => {
    const set = await authenticatorFor([
      ...oidc,
      '--oidc-required-claim=hd=example.com',
      '--oidc-required-claim=tier=a,b',
    ]);
    await rejects(ready(set, await idp.token({})), /required claim (hd|tier) not present/);
    await rejects(
      set.authenticateToken(await idp.token({ hd: 'evil.com', tier: 'a,b' })),
      /required claim hd value does not match\. Got = evil\.com, want = example\.com/,
    );
    assert.ok(await set.authenticateToken(await idp.token({ hd: 'example.com', tier: 'a,b' })));
  });

  it('waits for a provider that is not up yet (retried every 10 s) and refuses one whose discovery names another issuer', async () => {
    idp.failDiscovery = 503;
    const set = await authenticatorFor(oidc);
    const token = await idp.token({});
    await new Promise((r) => setTimeout(r, 300));
    await rejects(set.authenticateToken(token), /oidc: authenticator not initialized/);
    idp.failDiscovery = undefined;
    const end = Date.now() + 15_000;
    let user = null;
    while (!user && Date.now() < end) {
      user = await set.authenticateToken(token).catch(() => null);
      if (!user) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(user?.username, `${idp.url}#alice`);
    assert.ok(
      logged.some((l) => l.includes('initializing plugin') && l.includes('503')),
      'the failure is logged',
    );

    idp.discoveryIssuer = 'https://impostor.example';
    const wrong = await authenticatorFor(oidc);
    await new Promise((r) => setTimeout(r, 500));
    idp.discoveryIssuer = undefined;
    await rejects(wrong.authenticateToken(token), /not initialized/);
    assert.ok(logged.some((l) => l.includes('issuer did not match the issuer returned by provider')));
  });

  it('--authentication-config: CEL mappings, validation rules, extra, uid, discoveryURL; reloaded when the file changes', async () => {
    const file = join(dir, 'authn.yaml');
    const write = (audience: string, extraRule = '') =>
      writeFileSync(
        file,
        `apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: ${idp.url}
    discoveryURL: ${idp.url}/custom-discovery
    audiences: [${audience}]
    certificateAuthority: |
${idp.caBlock()}
  claimValidationRules:
  - expression: 'claims.tenant == "acme"'
    message: only acme${extraRule}
  claimMappings:
    username:
      expression: '"acme:" + claims.sub'
    groups:
      expression: 'claims.roles.split(",").map(r, "role:" + r)'
    uid:
      claim: oid
    extra:
    - key: acme.example/tier
      valueExpression: 'has(claims.tier) ? claims.tier : ""'
  userValidationRules:
  - expression: "!user.username.startsWith('acme:system')"
    message: no system users
`,
      );
    write('mkube');
    const set = await authenticatorFor([`--authentication-config=${file}`], 100);
    const t = (c: Record<string, unknown>) => idp.token({ tenant: 'acme', roles: 'dev,ops', oid: 'u-1', ...c });
    assert.deepEqual(await ready(set, await t({ tier: 'gold' })), {
      username: 'acme:alice',
      groups: ['role:dev', 'role:ops'],
      uid: 'u-1',
      extra: { 'acme.example/tier': ['gold'] },
    });
    assert.equal((await set.authenticateToken(await t({})))?.extra, undefined, 'an empty extra value is left out');
    await rejects(
      set.authenticateToken(await t({ tenant: 'other' })),
      /validation expression 'claims.tenant == "acme"' failed: only acme/,
    );
    await rejects(set.authenticateToken(await t({ sub: 'system:admin' })), /failed: no system users/);
    await rejects(set.authenticateToken(await t({ roles: 7 })), /error evaluating group claim expression/);
    await rejects(set.authenticateToken(await t({ oid: undefined })), /parse uid claim "oid": claim not present/);
    // The file's configuration accepts every allowed algorithm.
    assert.ok(
      await set.authenticateToken(await t({}).then(() => idp.token({ tenant: 'acme', roles: 'a', oid: 'x' }, 'ec1'))),
    );

    const other = await idp.token({ aud: 'kubernetes', tenant: 'acme', roles: 'a', oid: 'x' });
    await rejects(set.authenticateToken(other), /expected audience/);
    write('kubernetes');
    const end = Date.now() + 10_000;
    let user = null;
    while (!user && Date.now() < end) {
      user = await set.authenticateToken(other).catch(() => null);
      if (!user) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(user?.username, 'acme:alice', 'the new audience is in force');
    // A broken file keeps the running configuration.
    writeFileSync(
      file,
      'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: "http://x"}\n',
    );
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await set.authenticateToken(other))?.username, 'acme:alice');
    assert.ok(logged.some((l) => l.includes('keeping the running one') && l.includes('URL scheme must be https')));
  });
});

describe('JWT authentication configuration errors', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'issuer without client id',
      ['--oidc-issuer-url=https://idp.example'],
      /oidc-issuer-url and oidc-client-id must be specified together/,
    ],
    [
      'http issuer',
      ['--oidc-issuer-url=http://idp.example', '--oidc-client-id=x'],
      /jwt\[0\]\.issuer\.url: Invalid value: "http:\/\/idp\.example": URL scheme must be https/,
    ],
    [
      'bad alg',
      ['--oidc-issuer-url=https://idp.example', '--oidc-client-id=x', '--oidc-signing-algs=HS256'],
      /unsupported signing alg: "HS256"/,
    ],
    [
      'bad required claim',
      ['--oidc-issuer-url=https://idp.example', '--oidc-client-id=x', '--oidc-required-claim=novalue'],
      /must be formatted as key=value/,
    ],
  ];
  for (const [name, args, re] of cases) {
    it(name, () => {
      const { problems } = configFrom(args);
      assert.ok(
        problems.some((p) => re.test(p)),
        problems.join('\n'),
      );
    });
  }

  it('the SA issuer may not be an OIDC issuer', () => {
    const { problems } = configFrom(
      ['--oidc-issuer-url=https://kubernetes.default.svc', '--oidc-client-id=x'],
      ['https://kubernetes.default.svc'],
    );
    assert.match(
      problems.join('\n'),
      /URL must not overlap with disallowed issuers: \[https:\/\/kubernetes\.default\.svc\]/,
    );
  });

  const fileCases: [string, string, RegExp][] = [
    [
      'unknown field',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x], audience: y}\n  claimMappings: {username: {claim: sub, prefix: ""}}',
      /strict decoding error: unknown field "jwt\[0\]\.issuer\.audience"/,
    ],
    [
      'prefix required with claim',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x]}\n  claimMappings: {username: {claim: sub}}',
      /jwt\[0\]\.claimMappings\.username\.prefix: Required value: prefix is required when claim is set/,
    ],
    [
      'username required',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x]}\n  claimMappings: {}',
      /jwt\[0\]\.claimMappings\.username: Required value: claim or expression is required/,
    ],
    [
      'email without email_verified',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x]}\n  claimMappings: {username: {expression: "claims.email"}}',
      /claims\.email_verified must be used/,
    ],
    [
      'multiple audiences need MatchAny',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x, y]}\n  claimMappings: {username: {claim: sub, prefix: ""}}',
      /audienceMatchPolicy must be MatchAny for multiple audiences/,
    ],
    [
      'reserved extra key',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x]}\n  claimMappings:\n    username: {claim: sub, prefix: ""}\n    extra: [{key: "example.kubernetes.io/x", valueExpression: "claims.x"}]',
      /k8s\.io, kubernetes\.io and their subdomains are reserved/,
    ],
    [
      'CEL syntax',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x]}\n  claimMappings: {username: {expression: "claims.sub +"}}',
      /jwt\[0\]\.claimMappings\.username\.expression: Invalid value: "claims\.sub \+": compilation failed/,
    ],
    [
      'duplicate issuer',
      'jwt:\n- issuer: {url: "https://a.example", audiences: [x]}\n  claimMappings: {username: {claim: sub, prefix: ""}}\n- issuer: {url: "https://a.example", audiences: [x]}\n  claimMappings: {username: {claim: sub, prefix: ""}}',
      /jwt\[1\]\.issuer\.url: Duplicate value: "https:\/\/a\.example"/,
    ],
    [
      'anonymous conditions need enabled',
      'anonymous: {enabled: false, conditions: [{path: /livez}]}',
      /enabled should be set to true when conditions are defined/,
    ],
  ];
  for (const [name, body, re] of fileCases) {
    it(`file: ${name}`, () => {
      const dir = tempDir('authn-config');
      try {
        const file = join(dir, 'authn.yaml');
        writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n${body}\n`);
        const { problems } = configFrom([`--authentication-config=${file}`]);
        assert.ok(
          problems.some((p) => p.startsWith('--authentication-config:') && re.test(p)),
          problems.join('\n'),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("file and --oidc-* flags are mutually exclusive; the file's anonymous excludes --anonymous-auth", () => {
    const dir = tempDir('authn-config');
    try {
      const file = join(dir, 'authn.yaml');
      writeFileSync(
        file,
        'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\nanonymous: {enabled: true, conditions: [{path: /livez}]}\n',
      );
      assert.match(
        configFrom([`--authentication-config=${file}`, '--oidc-client-id=x']).problems.join(),
        /mutually exclusive/,
      );
      assert.match(
        configFrom([`--authentication-config=${file}`, '--anonymous-auth=false']).problems.join(),
        /--anonymous-auth flag cannot be set/,
      );
      assert.deepEqual(configFrom([`--authentication-config=${file}`]).c?.anonymous, {
        enabled: true,
        paths: ['/livez'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
