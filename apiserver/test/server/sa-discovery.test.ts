// ServiceAccountIssuerDiscovery: cluster A publishes its service-account issuer as an OpenID provider,
// and cluster B's JWT authenticator (--oidc-*) trusts A's bound service-account tokens through it —
// two real apiservers, real kubectl and curl.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, kubectl, startFixture, tokenKubeconfig } from './fixture.ts';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('ServiceAccountIssuerDiscovery', () => {
  let a: Fixture;
  let b: Fixture | undefined;
  let issuer: string;
  before(async () => {
    const port = await freePort();
    issuer = `https://127.0.0.1:${port}`;
    a = await startFixture((pki) => {
      // The service-account signing key, made here (a P-256 key: tokens are ES256).
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      writeFileSync(join(pki.dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      writeFileSync(join(pki.dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
      return [
        `--secure-port=${port}`,
        '--advertise-address=127.0.0.1',
        '--authorization-mode=RBAC',
        `--service-account-issuer=${issuer}`,
        `--service-account-key-file=${join(pki.dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(pki.dir, 'sa.key')}`,
      ];
    });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it('serves the discovery document and the JWKS that verifies its tokens', async () => {
    const conf = await curl(a, '/.well-known/openid-configuration', ['-D', '-']);
    assert.equal(conf.code, 200, conf.body);
    assert.match(conf.body, /content-type: application\/json/i);
    assert.match(conf.body, /cache-control: public, max-age=3600/i);
    const doc = JSON.parse(conf.body.slice(conf.body.indexOf('{')));
    assert.deepEqual(doc, {
      issuer,
      jwks_uri: `${issuer}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const jwks = await curl(a, '/openid/v1/jwks', ['-D', '-']);
    assert.match(jwks.body, /content-type: application\/jwk-set\+json/i);
    const keys = JSON.parse(jwks.body.slice(jwks.body.indexOf('{'))).keys;
    assert.equal(keys.length, 1);
    assert.equal(keys[0].alg, 'ES256');
    assert.equal(keys[0].use, 'sig');
    assert.equal(keys[0].d, undefined, 'no private part');
    assert.equal((await kubectl(a, ['create', 'sa', 'robot'])).status, 0);
    const token = (await kubectl(a, ['create', 'token', 'robot'])).out.trim();
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    assert.equal(header.kid, keys[0].kid, 'the token names the published key');
    // go-restful GET routes upstream: another method is 405 MethodNotAllowed.
    for (const path of ['/.well-known/openid-configuration', '/openid/v1/jwks']) {
      const post = await curl(a, path, ['-X', 'POST']);
      assert.equal(post.code, 405, path);
      assert.equal((JSON.parse(post.body) as { reason: string }).reason, 'MethodNotAllowed');
    }
  });

  it('RBAC: service accounts may read it (system:service-account-issuer-discovery); anonymous may not by default', async () => {
    const token = (await kubectl(a, ['create', 'token', 'robot'])).out.trim();
    const sa = await curl(a, '/openid/v1/jwks', ['-H', `Authorization: Bearer ${token}`], false);
    assert.equal(sa.code, 200, sa.body);
    const anon = await curl(a, '/.well-known/openid-configuration', [], false);
    assert.equal(anon.code, 403, anon.body);
    assert.match(anon.body, /User \\"system:anonymous\\" cannot get path \\"\/.well-known\/openid-configuration\\"/);
  });

  it("cluster B's --oidc-* flags trust cluster A's service-account tokens through discovery", async () => {
    // As Kubernetes' documentation has it: let relying parties read the issuer's documents.
    const bind = await kubectl(a, [
      'create',
      'clusterrolebinding',
      'oidc-reviewer',
      '--clusterrole=system:service-account-issuer-discovery',
      '--group=system:unauthenticated',
    ]);
    assert.equal(bind.status, 0, bind.err);
    assert.equal((await curl(a, '/.well-known/openid-configuration', [], false)).code, 200);
    b = await startFixture([
      '--authorization-mode=RBAC',
      `--oidc-issuer-url=${issuer}`,
      '--oidc-client-id=cluster-b',
      `--oidc-ca-file=${a.pki.caCrt}`,
      '--oidc-username-prefix=cluster-a:',
      '--oidc-signing-algs=ES256',
    ]);
    const token = (await kubectl(a, ['create', 'token', 'robot', '--audience=cluster-b'])).out.trim();
    const end = Date.now() + 15_000;
    let r = await kubectl({ kubeconfig: tokenKubeconfig(b, 'oidc'), dir: b.dir }, [
      'auth',
      'whoami',
      `--token=${token}`,
      '-o',
      'json',
    ]);
    while (r.status !== 0 && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 200));
      r = await kubectl({ kubeconfig: tokenKubeconfig(b, 'oidc'), dir: b.dir }, [
        'auth',
        'whoami',
        `--token=${token}`,
        '-o',
        'json',
      ]);
    }
    assert.equal(r.status, 0, r.err);
    assert.equal(JSON.parse(r.out).status.userInfo.username, 'cluster-a:system:serviceaccount:default:robot');
    // A token for A's own audience is not one for B.
    const forA = (await kubectl(a, ['create', 'token', 'robot'])).out.trim();
    const denied = await kubectl({ kubeconfig: tokenKubeconfig(b, 'oidc'), dir: b.dir }, [
      'auth',
      'whoami',
      `--token=${forA}`,
    ]);
    assert.notEqual(denied.status, 0);
    assert.match(denied.err, /Unauthorized/);
  });
});
