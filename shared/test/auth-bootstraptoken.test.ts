import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Secret } from '@mkube/shared/api';
import {
  AuthenticationError,
  bearerToken,
  bearerTokenAuthenticator,
  bootstrapTokenAuthenticator,
} from '@mkube/shared/auth';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const NOW = new Date('2026-06-01T00:00:00Z');

function secret(data: Record<string, string>, o: Partial<Secret> = {}): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    ...o,
  };
}

const good = {
  'token-id': 'abcdef',
  'token-secret': '0123456789abcdef',
  'usage-bootstrap-authentication': 'true',
  expiration: '2026-07-01T00:00:00Z',
};

function authn(s: Secret | undefined) {
  return bootstrapTokenAuthenticator({
    getSecret: (ns, name) => (ns === 'kube-system' && name === 'bootstrap-token-abcdef' ? s : undefined),
    now: () => NOW,
  });
}

describe('bootstrap token authenticator (facts §1)', () => {
  it('accepts a valid token: system:bootstrap:<id> in sorted, deduplicated groups', async () => {
    const extra = 'system:bootstrappers:z,system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:z';
    const u = await authn(secret({ ...good, 'auth-extra-groups': extra })).authenticateToken('abcdef.0123456789abcdef');
    assert.deepEqual(u, {
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:bootstrappers:z'],
    });
  });
  const rejected: [string, Secret | undefined, string?][] = [
    ['unknown id (no Secret)', undefined],
    ['wrong secret', secret(good), 'abcdef.0123456789abcdeX'],
    ['wrong type', secret(good, { type: 'Opaque' })],
    [
      'being deleted',
      secret(good, {
        metadata: {
          name: 'bootstrap-token-abcdef',
          namespace: 'kube-system',
          deletionTimestamp: '2026-05-01T00:00:00Z',
        },
      }),
    ],
    ['token-id mismatch', secret({ ...good, 'token-id': 'zzzzzz' })],
    ['expired', secret({ ...good, expiration: '2026-05-31T23:59:59Z' })],
    ['unparseable expiration counts as expired', secret({ ...good, expiration: 'tomorrow' })],
    ['no authentication usage', secret({ ...good, 'usage-bootstrap-authentication': 'false' })],
    ['usage must be exactly "true"', secret({ ...good, 'usage-bootstrap-authentication': 'True' })],
    [
      'one bad extra group rejects the token',
      secret({ ...good, 'auth-extra-groups': 'system:bootstrappers:ok,system:masters' }),
    ],
    ['malformed token is not a bootstrap token', secret(good), 'ABCDEF.0123456789abcdef'],
  ];
  for (const [name, s, token] of rejected) {
    it(`rejects: ${name}`, async () =>
      assert.equal(await authn(s).authenticateToken(token ?? 'abcdef.0123456789abcdef'), null));
  }
  it('a bearer token nobody accepts is an error (401), no token is "not mine"', async () => {
    const front = bearerTokenAuthenticator([authn(undefined)]);
    await assert.rejects(
      front.authenticate({
        method: 'GET',
        path: '/',
        headers: { authorization: 'Bearer abcdef.0123456789abcdef' },
        peerCertificates: [],
      }),
      AuthenticationError,
    );
    assert.equal(await front.authenticate({ method: 'GET', path: '/', headers: {}, peerCertificates: [] }), null);
    assert.equal(
      await front.authenticate({
        method: 'GET',
        path: '/',
        headers: { authorization: 'Basic dXNlcjpwdw==' },
        peerCertificates: [],
      }),
      null,
    );
    assert.equal(bearerToken({ headers: { authorization: 'bearer   tok ' } }), 'tok');
  });
});
