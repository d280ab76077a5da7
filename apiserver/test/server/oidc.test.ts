// OIDC end to end: a real OpenID provider over HTTPS, the apiserver started with --oidc-* flags or
// --authentication-config, and real kubectl (1.27 and the current one) and curl with ID tokens.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiserverIdentity } from '../../src/controlplane/identitylease.ts';
import { TestIdp } from '../authentication/idp.ts';
import { curl, type Fixture, kubectl, kubectlBinary, run, startFixture, tempDir, tokenKubeconfig } from './fixture.ts';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** The value of the series `name{labels}` (labels in the exposition's order), or undefined. */
async function metric(f: Fixture, series: string): Promise<number | undefined> {
  const r = await curl(f, '/metrics');
  assert.equal(r.code, 200, r.body);
  const line = r.body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Until the provider's discovery ran (it starts in the background, as kube-apiserver's). */
async function untilAuthenticated(f: Fixture, token: string): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    const r = await curl(f, '/version', ['-H', `Authorization: Bearer ${token}`], false);
    if (r.code === 200 || Date.now() > end) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('apiserver with --oidc-* flags', () => {
  let idpDir: string;
  let idp: TestIdp;
  let f: Fixture;
  before(async () => {
    idpDir = tempDir('idp');
    idp = await TestIdp.start(idpDir);
    await idp.addKey('RS256', { kid: 'k1' });
    f = await startFixture([
      '--authorization-mode=RBAC',
      `--oidc-issuer-url=${idp.url}`,
      '--oidc-client-id=mkube',
      `--oidc-ca-file=${idp.pki.caCrt}`,
      '--oidc-groups-claim=groups',
      '--oidc-groups-prefix=oidc:',
    ]);
    await untilAuthenticated(f, await idp.token({}));
  });
  after(async () => {
    await f?.close();
    await idp?.close();
    rmSync(idpDir, { recursive: true, force: true });
  });

  it('kubectl auth whoami shows the mapped user and groups', async () => {
    const token = await idp.token({ groups: ['dev'] });
    // kubectl 1.27 asks for SelfSubjectReview v1alpha1/v1beta1, which a 1.33 apiserver does not serve.
    for (const bin of ['kubectl']) {
      const r = await kubectl(
        { kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir },
        ['auth', 'whoami', `--token=${token}`, '-o', 'json'],
        bin,
      );
      assert.equal(r.status, 0, `${bin}: ${r.err}`);
      const info = JSON.parse(r.out).status.userInfo;
      assert.equal(info.username, `${idp.url}#alice`, bin);
      assert.deepEqual(info.groups, ['oidc:dev', 'system:authenticated'], bin);
    }
  });

  it('RBAC sees the OIDC user: forbidden until its group is bound', async () => {
    const token = await idp.token({ sub: 'bob', groups: ['viewers'] });
    const denied = await kubectl({ kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir }, [
      'get',
      'ns',
      `--token=${token}`,
    ]);
    assert.notEqual(denied.status, 0);
    assert.match(denied.err, new RegExp(`User "${idp.url}#bob" cannot list resource "namespaces"`));
    const bind = await kubectl(f, [
      'create',
      'clusterrolebinding',
      'oidc-viewers',
      '--clusterrole=cluster-admin',
      '--group=oidc:viewers',
    ]);
    assert.equal(bind.status, 0, bind.err);
    const end = Date.now() + 5000;
    let ok = await kubectl({ kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir }, [
      'get',
      'ns',
      `--token=${token}`,
      '-o',
      'name',
    ]);
    while (ok.status !== 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      ok = await kubectl({ kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir }, [
        'get',
        'ns',
        `--token=${token}`,
        '-o',
        'name',
      ]);
    }
    assert.equal(ok.status, 0, ok.err);
    assert.match(ok.out, /namespace\/default/);
    // kubectl 1.27 sends the same bearer token.
    const old = await kubectl(
      { kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir },
      ['auth', 'can-i', 'list', 'namespaces', `--token=${token}`],
      kubectlBinary(27),
    );
    assert.equal(old.out.trim(), 'yes', old.err);
    const other = await kubectl(
      { kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir },
      ['auth', 'can-i', 'list', 'namespaces', `--token=${await idp.token({ sub: 'eve' })}`],
      kubectlBinary(27),
    );
    assert.equal(other.out.trim(), 'no', other.err);
  });

  it('distributed groups: kubectl auth whoami shows the groups fetched from the claim source', async () => {
    idp.claimSources.set('dana', { claims: { groups: ['auditors'] }, accessToken: 'src-access' });
    const token = await idp.token({
      sub: 'dana',
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `${idp.url}/claims/dana`, access_token: 'src-access' } },
    });
    const r = await kubectl({ kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir }, [
      'auth',
      'whoami',
      `--token=${token}`,
      '-o',
      'json',
    ]);
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).status.userInfo.groups, ['oidc:auditors', 'system:authenticated']);
    // A source that refuses: 401, with the reason in the apiserver's log only. A new token: the one
    // above is believed for 10 s more from the apiserver's token cache, as upstream's.
    idp.claimSources.set('dana', { claims: { groups: ['auditors'] }, accessToken: 'rotated' });
    const again = await idp.token({
      sub: 'dana',
      jti: 'after-rotation',
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `${idp.url}/claims/dana`, access_token: 'src-access' } },
    });
    const denied = await curl(f, '/api/v1/namespaces', ['-H', `Authorization: Bearer ${again}`], false);
    assert.equal(denied.code, 401, denied.body);
  });

  it('a bad token is 401 Unauthorized, never anonymous', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      await idp.token({ exp: now - 1 }),
      await idp.token({ aud: 'someone-else' }),
      `${(await idp.token({})).slice(0, -4)}AAAA`,
    ];
    for (const token of bad) {
      const r = await curl(f, '/api/v1/namespaces', ['-H', `Authorization: Bearer ${token}`], false);
      assert.equal(r.code, 401, r.body);
      const status = JSON.parse(r.body);
      assert.equal(status.kind, 'Status');
      assert.equal(status.reason, 'Unauthorized');
    }
    const k = await kubectl({ kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir }, ['get', 'ns', `--token=${bad[0]}`]);
    assert.match(k.err, /You must be logged in to the server \(Unauthorized\)/);
  });

  it('a TokenReview of an OIDC token answers its user', async () => {
    const token = await idp.token({ groups: 'ops' });
    const review = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    const r = await curl(f, '/apis/authentication.k8s.io/v1/tokenreviews', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      review,
    ]);
    assert.equal(r.code, 201, r.body);
    const st = JSON.parse(r.body).status;
    assert.equal(st.authenticated, true);
    assert.equal(st.user.username, `${idp.url}#alice`);
    assert.deepEqual(st.user.groups, ['oidc:ops', 'system:authenticated']);
  });
});

describe('apiserver with --authentication-config', () => {
  let idpDir: string;
  let idp: TestIdp;
  let f: Fixture;
  let file: string;
  before(async () => {
    idpDir = tempDir('idp');
    idp = await TestIdp.start(idpDir);
    await idp.addKey('ES256', { kid: 'k1' });
    const ca = idp.caBlock();
    file = join(idpDir, 'authn.yaml');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: ${idp.url}
    audiences: [mkube]
    certificateAuthority: |
${ca}
  claimMappings:
    username:
      expression: '"corp:" + claims.sub'
anonymous:
  enabled: true
  conditions:
  - path: /livez
`,
    );
    f = await startFixture(['--authorization-mode=RBAC', `--authentication-config=${file}`]);
    await untilAuthenticated(f, await idp.token({}));
  });
  after(async () => {
    await f?.close();
    await idp?.close();
    rmSync(idpDir, { recursive: true, force: true });
  });

  it('maps the user by its CEL expression (ES256 accepted: a file allows every algorithm)', async () => {
    const r = await kubectl({ kubeconfig: tokenKubeconfig(f, 'oidc'), dir: f.dir }, [
      'auth',
      'whoami',
      `--token=${await idp.token({ sub: 'carol' })}`,
      '-o',
      'json',
    ]);
    assert.equal(r.status, 0, r.err);
    assert.equal(JSON.parse(r.out).status.userInfo.username, 'corp:carol');
  });

  it('anonymous requests reach only the paths the file lists', async () => {
    const livez = await curl(f, '/livez', [], false);
    assert.equal(livez.code, 200, livez.body);
    for (const path of ['/healthz', '/version', '/api']) {
      const r = await curl(f, path, [], false);
      assert.equal(r.code, 401, `${path}: ${r.body}`);
    }
  });
  it('metrics: JWT latency per issuer hash and result, the JWKS fetch, and each automatic reload', async () => {
    const issuer = sha(idp.url);
    const id = sha(apiserverIdentity(hostname()));
    const latency = (result: string) =>
      metric(
        f,
        `apiserver_authentication_jwt_authenticator_latency_seconds_count{result="${result}",jwt_issuer_hash="${issuer}"}`,
      );
    const ok0 = (await latency('success')) ?? 0;
    const bad0 = (await latency('failure')) ?? 0;
    assert.equal(
      (await curl(f, '/version', ['-H', `Authorization: Bearer ${await idp.token({ sub: 'm' })}`], false)).code,
      200,
    );
    const wrongAudience = await idp.token({ aud: 'elsewhere' });
    assert.equal((await curl(f, '/version', ['-H', `Authorization: Bearer ${wrongAudience}`], false)).code, 401);
    assert.equal(await latency('success'), ok0 + 1);
    assert.equal(await latency('failure'), bad0 + 1);

    const fetched = await metric(
      f,
      `apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds{result="success",jwt_issuer_hash="${issuer}",apiserver_id_hash="${id}"}`,
    );
    assert.ok(fetched && Math.abs(fetched - Date.now() / 1000) < 600, String(fetched));
    const keys = await run('curl', ['-s', '--cacert', idp.pki.caCrt, `${idp.url}/keys`]);
    assert.equal(
      await metric(
        f,
        `apiserver_authentication_jwt_authenticator_jwks_fetch_last_key_set_info{jwt_issuer_hash="${issuer}",apiserver_id_hash="${id}",hash="${sha(keys.stdout)}"}`,
      ),
      1,
    );

    const reloads = (status: string) =>
      metric(
        f,
        `apiserver_authentication_config_controller_automatic_reloads_total{status="${status}",apiserver_id_hash="${id}"}`,
      );
    assert.equal(await reloads('success'), undefined, 'no reload yet');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `# a comment changes the file, not the configuration\n${good}`);
    const end = Date.now() + 10_000;
    while ((await reloads('success')) !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await reloads('success'), 1);
    const at = await metric(
      f,
      `apiserver_authentication_config_controller_automatic_reload_last_timestamp_seconds{status="success",apiserver_id_hash="${id}"}`,
    );
    assert.ok(at && Math.abs(at - Date.now() / 1000) < 60, String(at));
    writeFileSync(file, good.replace('apiVersion: apiserver.config.k8s.io/v1beta1', 'apiVersion: nope/v1'));
    while ((await reloads('failure')) !== 1 && Date.now() < end + 10_000) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await reloads('failure'), 1);
    // The running configuration is kept.
    assert.equal(
      (await curl(f, '/version', ['-H', `Authorization: Bearer ${await idp.token({ sub: 'm' })}`], false)).code,
      200,
    );
  });
});
