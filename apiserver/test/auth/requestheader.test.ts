// Front-proxy authentication with real curl: X-Remote-* headers count only from a certificate of
// the requestheader CA with an allowed name; from anyone else they are ignored.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { type Fixture, kubectl, run, startFixture, tempDir } from '../server/fixture.ts';

describe('request-header (front-proxy) authentication', () => {
  let fx: Fixture;
  let dir = '';
  before(async () => {
    dir = tempDir('frontproxy');
    const { ca, certPem } = await CertificateAuthority.createSelfSigned({ commonName: 'front-proxy-ca' });
    writeFileSync(join(dir, 'fp-ca.crt'), certPem);
    for (const cn of ['front-proxy-client', 'not-allowed']) {
      const key = await generateKeyPair();
      const cert = ca.issue({
        subject: { commonName: cn },
        publicKey: key.publicKey,
        usages: ['digital signature', 'client auth'],
        ttlMs: 3600_000,
      });
      writeFileSync(join(dir, `${cn}.crt`), cert.pem);
      writeFileSync(join(dir, `${cn}.key`), encodePrivateKeyPem(key), { mode: 0o600 });
    }
    fx = await startFixture([
      '--authorization-mode=RBAC',
      `--requestheader-client-ca-file=${join(dir, 'fp-ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-uid-headers=X-Remote-Uid',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    ]);
  });
  after(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const whoami = (cert: string[], headers: string[]) =>
    run('curl', [
      '-s',
      '-w',
      '\n%{http_code}',
      '--cacert',
      fx.pki.caCrt,
      ...cert,
      ...headers.flatMap((h) => ['-H', h]),
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
      `${fx.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
    ]);
  const proxy = (cn: string) => ['--cert', join(dir, `${cn}.crt`), '--key', join(dir, `${cn}.key`)];
  const asserted = [
    'X-Remote-User: bob',
    'X-Remote-Uid: 4f1c-bob',
    'X-Remote-Group: devs',
    'X-Remote-Group: ops',
    'X-Remote-Extra-Scopes: openid',
  ];

  it('believes the headers from the allowed front proxy', async () => {
    const r = await whoami(proxy('front-proxy-client'), asserted);
    assert.match(r.stdout, /\n201$/);
    const u = JSON.parse(r.stdout.replace(/\n201$/, '')).status.userInfo;
    assert.equal(u.username, 'bob');
    assert.equal(u.uid, '4f1c-bob', 'the UID header (RemoteRequestHeaderUID)');
    assert.deepEqual(u.groups, ['devs', 'ops', 'system:authenticated']);
    assert.deepEqual(u.extra, { scopes: ['openid'] });
  });

  it('publishes the header names in kube-system/extension-apiserver-authentication', async () => {
    const r = await kubectl(fx, [
      'get',
      'configmap',
      '-n',
      'kube-system',
      'extension-apiserver-authentication',
      '-o',
      'json',
    ]);
    const data = JSON.parse(r.out).data;
    assert.equal(data['requestheader-uid-headers'], '["X-Remote-Uid"]');
    assert.equal(data['requestheader-username-headers'], '["X-Remote-User"]');
  });

  it('ignores them from a front-proxy certificate with another name, from a normal client, and from anonymous', async () => {
    assert.match((await whoami(proxy('not-allowed'), asserted)).stdout, /\n401$/, 'not a client-CA certificate either');
    const admin = await whoami(
      ['--cert', fx.pki.adminCrt, '--key', fx.pki.adminKey],
      [...asserted, 'X-Remote-User: system:admin'],
    );
    const adminInfo = JSON.parse(admin.stdout.replace(/\n201$/, '')).status.userInfo;
    assert.equal(adminInfo.username, 'kubernetes-admin');
    assert.equal(adminInfo.uid, undefined, 'no UID from a header a normal client sent');
    const anon = await whoami([], asserted);
    assert.match(anon.stdout, /\n403$/);
    assert.match(anon.stdout, /User \\"system:anonymous\\"/);
  });
});
