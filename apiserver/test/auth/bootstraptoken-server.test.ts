// Bootstrap tokens through the real server with RBAC: the token may create and read CSRs (the
// system:node-bootstrapper role) and nothing else; every bad variant is 401, never anonymous.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, kubectl, kubectlBinary, run, startFixture } from '../server/fixture.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('bootstrap tokens (--enable-bootstrap-token-auth, RBAC)', () => {
  let fx: Fixture;
  const token = 'abcdef.0123456789abcdef';
  const curl = (tok: string | undefined, method: string, path: string, body?: string) =>
    run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      fx.pki.caCrt,
      '-X',
      method,
      ...(tok ? ['-H', `Authorization: Bearer ${tok}`] : []),
      ...(body ? ['-H', 'Content-Type: application/json', '--data-binary', body] : []),
      `${fx.url}${path}`,
    ]);
  async function addToken(
    id: string,
    secret: string,
    data: Record<string, string>,
    type = 'bootstrap.kubernetes.io/token',
  ) {
    const s = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
      type,
      data: Object.fromEntries(
        Object.entries({ 'token-id': id, 'token-secret': secret, ...data }).map(([k, v]) => [k, b64(v)]),
      ),
    };
    const f = join(fx.dir, `${id}.json`);
    (await import('node:fs')).writeFileSync(f, JSON.stringify(s));
    const r = await kubectl(fx, ['create', '-f', f]);
    assert.equal(r.status, 0, r.err);
  }
  before(async () => {
    fx = await startFixture(['--authorization-mode=RBAC', '--enable-bootstrap-token-auth']);
    await addToken('abcdef', '0123456789abcdef', {
      'usage-bootstrap-authentication': 'true',
      expiration: '2099-01-01T00:00:00Z',
    });
    await addToken('expird', '0123456789abcdef', {
      'usage-bootstrap-authentication': 'true',
      expiration: '2020-01-01T00:00:00Z',
    });
    await addToken('nousag', '0123456789abcdef', { 'usage-bootstrap-signing': 'true' });
    await addToken('wrongt', '0123456789abcdef', { 'usage-bootstrap-authentication': 'true' }, 'Opaque');
    await new Promise((r) => setTimeout(r, 200));
  });
  after(async () => fx?.close());

  it('can create and read CSRs, and nothing else', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/O=system:nodes/CN=system:node:n1',
        '-keyout',
        join(fx.dir, 'n1.key'),
        '-out',
        join(fx.dir, 'n1.csr'),
      ],
      { stdio: 'ignore' },
    );
    const csr = JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'node-csr-' },
      spec: {
        request: readFileSync(join(fx.dir, 'n1.csr')).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'client auth'],
      },
    });
    assert.equal(
      (await curl(token, 'POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', csr)).stdout,
      '201',
    );
    assert.equal((await curl(token, 'GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')).stdout, '200');
    const list = JSON.parse((await kubectl(fx, ['get', 'csr', '-o', 'json'])).out);
    assert.equal(list.items[0].spec.username, 'system:bootstrap:abcdef');
    // The authenticated-group adder appends system:authenticated after the token's own groups.
    assert.deepEqual(list.items[0].spec.groups, ['system:bootstrappers', 'system:authenticated']);
    assert.equal((await curl(token, 'GET', '/api/v1/namespaces/kube-system/secrets')).stdout, '403');
    assert.equal((await curl(token, 'GET', '/api/v1/nodes')).stdout, '403');
    assert.equal(
      (
        await curl(
          token,
          'PUT',
          `/apis/certificates.k8s.io/v1/certificatesigningrequests/${list.items[0].metadata.name}/approval`,
          JSON.stringify(list.items[0]),
        )
      ).stdout,
      '403',
    );
  });

  it('kubectl auth whoami with the token prints system:bootstrap:<id>', async () => {
    const file = join(fx.dir, 'token.conf');
    const { buildKubeconfig, serializeKubeconfig } = await import('@mkube/shared/kubeconfig');
    (await import('node:fs')).writeFileSync(
      file,
      serializeKubeconfig(
        buildKubeconfig({
          clusterName: 'k',
          server: fx.url,
          caPem: readFileSync(fx.pki.caCrt, 'utf8'),
          userName: 'bootstrap',
          token,
        }),
      ),
    );
    const r = await kubectl({ kubeconfig: file, dir: fx.dir }, ['auth', 'whoami'], kubectlBinary(33));
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /Username\s+system:bootstrap:abcdef/);
    assert.match(r.out, /Groups\s+\[system:bootstrappers system:authenticated\]/);
  });

  it('expired, unknown-id, wrong-secret, wrong-type and no-auth-usage tokens are all 401', async () => {
    for (const t of [
      'expird.0123456789abcdef',
      'zzzzzz.0123456789abcdef',
      'abcdef.0123456789abcdeX',
      'wrongt.0123456789abcdef',
      'nousag.0123456789abcdef',
      'not-a-token',
    ]) {
      assert.equal((await curl(t, 'GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')).stdout, '401', t);
    }
    assert.equal(
      (await curl(undefined, 'GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')).stdout,
      '403',
      'no token: anonymous, forbidden',
    );
  });
});
