// Service-account tokens with the real kubectl: TokenRequest (kubectl create token), the JWT's
// header and claims (facts §13), authentication as the account, and death with the account.
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildKubeconfig, serializeKubeconfig } from '@mkube/shared/kubeconfig';
import { encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { curlToken, type Fixture, kubectl, startFixture, tempDir } from '../server/fixture.ts';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString());

describe('service-account tokens', () => {
  let fx: Fixture;
  let keyDir: string;
  let saPub: string;
  before(async () => {
    keyDir = tempDir('sa');
    const key = await generateKeyPair('ecdsa-p256');
    writeFileSync(join(keyDir, 'sa.key'), encodePrivateKeyPem(key), { mode: 0o600 });
    saPub = encodePublicKeyPem(key);
    writeFileSync(join(keyDir, 'sa.pub'), saPub);
    fx = await startFixture(
      [
        '--authorization-mode=RBAC',
        `--service-account-key-file=${join(keyDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(keyDir, 'sa.key')}`,
        `--service-account-issuer=${ISSUER}`,
      ],
      // Revocation is checked at once: no token cache, as upstream's integration tests.
      { tokenSuccessCacheTtlMs: 0 },
    );
  });
  after(async () => {
    await fx?.close();
    (await import('node:fs')).rmSync(keyDir, { recursive: true, force: true });
  });

  function tokenKubeconfig(token: string): { kubeconfig: string; dir: string } {
    const file = join(fx.dir, `token-${token.slice(-8)}.conf`);
    writeFileSync(
      file,
      serializeKubeconfig(
        buildKubeconfig({
          clusterName: 'k',
          server: fx.url,
          caPem: readFileSync(fx.pki.caCrt, 'utf8'),
          userName: 'robot',
          token,
        }),
      ),
    );
    return { kubeconfig: file, dir: fx.dir };
  }
  async function createToken(name: string, duration = '1h'): Promise<string> {
    const r = await kubectl(fx, ['create', 'token', name, `--duration=${duration}`]);
    assert.equal(r.status, 0, r.err);
    return r.out.trim();
  }

  it('kubectl create token gives a JWT with kid, alg and claims as Kubernetes makes them', async () => {
    assert.equal((await kubectl(fx, ['create', 'serviceaccount', 'robot'])).status, 0);
    await new Promise((r) => setTimeout(r, 200));
    const token = await createToken('robot');
    const [h, p] = token.split('.');
    const header = decode(h!);
    const claims = decode(p!);
    const spki = createPublicKey(saPub).export({ type: 'spki', format: 'der' });
    assert.equal(header.alg, 'ES256');
    assert.equal(header.kid, createHash('sha256').update(spki).digest('base64url'));
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.sub, 'system:serviceaccount:default:robot');
    assert.deepEqual(claims.aud, [ISSUER]);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(claims.nbf, claims.iat);
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    assert.equal(claims['kubernetes.io'].namespace, 'default');
    assert.equal(claims['kubernetes.io'].serviceaccount.name, 'robot');
  });

  it('the token authenticates as the ServiceAccount, which RBAC then judges', async () => {
    const token = await createToken('robot');
    const who = await kubectl(tokenKubeconfig(token), ['auth', 'whoami']);
    assert.equal(who.status, 0, who.err);
    assert.match(who.out, /Username\s+system:serviceaccount:default:robot/);
    assert.match(who.out, /Groups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]/);
    const get = await kubectl(tokenKubeconfig(token), ['get', 'pods']);
    assert.match(
      get.err,
      /User "system:serviceaccount:default:robot" cannot list resource "pods" in API group "" in the namespace "default"/,
    );
  });

  it('refuses a duration under 10 minutes', async () => {
    const r = await kubectl(fx, ['create', 'token', 'robot', '--duration=5m']);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /may not specify a duration less than 10 minutes/);
  });

  it('stops working when the ServiceAccount is deleted, even if recreated under the same name', async () => {
    const token = await createToken('robot');
    const curl = () => curlToken(fx, token);
    assert.equal(await curl(), '200');
    assert.equal((await kubectl(fx, ['delete', 'serviceaccount', 'robot'])).status, 0);
    let code = '';
    for (let i = 0; i < 30 && code !== '401'; i++) {
      code = await curl();
      if (code !== '401') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(code, '401');
    assert.equal((await kubectl(fx, ['create', 'serviceaccount', 'robot'])).status, 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await curl(), '401', 'a recreated account has a new uid');
  });

  it('a token signed by another key is 401', async () => {
    const other = await generateKeyPair('ecdsa-p256');
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({
      'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid: 'x' } },
    })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(ISSUER)
      .setSubject('system:serviceaccount:default:robot')
      .setAudience(ISSUER)
      .setExpirationTime('1h')
      .sign(other.privateKey);
    assert.equal(await curlToken(fx, forged), '401');
  });
});
