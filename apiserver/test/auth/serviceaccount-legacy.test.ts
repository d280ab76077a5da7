// Secret-based service-account tokens through the real server and curl: the token (made here as the
// tokens controller makes it) authenticates only while its Secret holds exactly it and its account
// lives with the same uid; a day's use labels the Secret; the invalid-since label turns it off.
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Secret, ServiceAccount } from '@mkube/shared/api';
import { encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { signLegacyToken } from '@mkube/shared/serviceaccount';
import { curl, type Fixture, kubectl, selfSubjectReview, startFixture, tempDir } from '../server/fixture.ts';

describe('Secret-based (legacy) service-account tokens', () => {
  let fx: Fixture;
  let keyDir: string;
  let key: KeyObject;
  before(async () => {
    keyDir = tempDir('sa-legacy');
    const pair = await generateKeyPair('ecdsa-p256');
    writeFileSync(join(keyDir, 'sa.key'), encodePrivateKeyPem(pair), { mode: 0o600 });
    writeFileSync(join(keyDir, 'sa.pub'), encodePublicKeyPem(pair));
    key = createPrivateKey(encodePrivateKeyPem(pair));
    writeFileSync(join(keyDir, 'audit.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n');
    fx = await startFixture(
      [
        '--authorization-mode=RBAC',
        `--audit-policy-file=${join(keyDir, 'audit.yaml')}`,
        `--audit-log-path=${join(keyDir, 'audit.log')}`,
        `--service-account-key-file=${join(keyDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(keyDir, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      ],
      // Revocation is checked at once: no token cache, as upstream's integration tests.
      { tokenSuccessCacheTtlMs: 0 },
    );
  });
  after(async () => {
    await fx?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const k = async (args: string[]) => {
    const r = await kubectl(fx, args);
    assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await k([...args, '-o', 'json']));
  const whoami = (token: string) => selfSubjectReview(fx, token);

  /** A token Secret for `sa` holding `token` (what the tokens controller writes). */
  async function tokenSecret(name: string, sa: string, token: string): Promise<void> {
    const file = join(fx.dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: { name, annotations: { 'kubernetes.io/service-account.name': sa } },
        data: { token: Buffer.from(token).toString('base64') },
      }),
    );
    await k(['create', '-f', file]);
  }
  async function legacyToken(sa: string, secret: string): Promise<string> {
    const account = await getJson<ServiceAccount>(['get', 'serviceaccount', sa]);
    return signLegacyToken(key, { namespace: 'default', name: sa, uid: account.metadata.uid! }, secret);
  }

  it('authenticates as the account while the Secret holds the token, and labels the day it was used', async () => {
    await k(['create', 'serviceaccount', 'legacy']);
    const token = await legacyToken('legacy', 'legacy-token');
    await tokenSecret('legacy-token', 'legacy', token);
    const r = await whoami(token);
    assert.equal(r.code, 201, r.body);
    const user = JSON.parse(r.body).status.userInfo;
    assert.equal(user.username, 'system:serviceaccount:default:legacy');
    assert.deepEqual(user.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    const today = new Date().toISOString().slice(0, 10);
    let labelled: Secret | undefined;
    for (let i = 0; i < 50 && !labelled; i++) {
      const s = await getJson<Secret>(['get', 'secret', 'legacy-token']);
      if (s.metadata.labels?.['kubernetes.io/legacy-token-last-used'] === today) labelled = s;
      else await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(labelled, 'kubernetes.io/legacy-token-last-used was set');
  });

  it('is refused once the Secret holds another token, carries the invalid-since label, or is gone', async () => {
    const stored = await getJson<Secret>(['get', 'secret', 'legacy-token']);
    const token = Buffer.from(stored.data!.token!, 'base64').toString();
    assert.equal((await whoami(token)).code, 201);
    // Another validly signed token for the same Secret (ECDSA signatures differ): not the server's copy.
    const other = await legacyToken('legacy', 'legacy-token');
    assert.notEqual(other, token);
    assert.equal((await whoami(other)).code, 401, "not the server's copy");
    await k(['create', 'serviceaccount', 'other']);
    const forged = await legacyToken('other', 'legacy-token');
    assert.equal((await whoami(forged)).code, 401, 'a token naming the Secret of another account');
    await k(['label', 'secret', 'legacy-token', 'kubernetes.io/legacy-token-invalid-since=2026-01-01']);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await whoami(token)).code, 401, 'marked invalid');
    await k(['label', 'secret', 'legacy-token', 'kubernetes.io/legacy-token-invalid-since-']);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await whoami(token)).code, 201, 'valid again without the label');
    await k(['delete', 'secret', 'legacy-token']);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await whoami(token)).code, 401, 'the Secret is gone');
  });

  it('is refused once its account is deleted or recreated (a new uid)', async () => {
    await k(['create', 'serviceaccount', 'phoenix']);
    const token = await legacyToken('phoenix', 'phoenix-token');
    await tokenSecret('phoenix-token', 'phoenix', token);
    assert.equal((await whoami(token)).code, 201);
    await k(['delete', 'serviceaccount', 'phoenix']);
    await k(['create', 'serviceaccount', 'phoenix']);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await whoami(token)).code, 401, 'the account has another uid now');
  });

  it('a token signed by a key the apiserver does not trust is refused', async () => {
    await k(['create', 'serviceaccount', 'rogue']);
    const account = await getJson<ServiceAccount>(['get', 'serviceaccount', 'rogue']);
    const rogueKey = createPrivateKey(encodePrivateKeyPem(await generateKeyPair('ecdsa-p256')));
    const token = await signLegacyToken(
      rogueKey,
      { namespace: 'default', name: 'rogue', uid: account.metadata.uid! },
      'rogue-token',
    );
    await tokenSecret('rogue-token', 'rogue', token);
    assert.equal((await whoami(token)).code, 401);
  });

  it('each use is in the audit log and /metrics; a token from a Secret its account lists warns', async () => {
    await k(['create', 'serviceaccount', 'auto']);
    const auto = await legacyToken('auto', 'auto-token');
    await tokenSecret('auto-token', 'auto', auto);
    // How the tokens controller tied its Secrets to the account before 1.24: listed in `secrets`.
    await k(['patch', 'serviceaccount', 'auto', '-p', '{"secrets":[{"name":"auto-token"}]}']);
    await k(['create', 'serviceaccount', 'manual']);
    const manual = await legacyToken('manual', 'manual-token');
    await tokenSecret('manual-token', 'manual', manual);
    await new Promise((res) => setTimeout(res, 300));
    const withHeaders = (token: string) =>
      curl(fx, '/api/v1/namespaces/default/pods', ['-D', '-', '-H', `Authorization: Bearer ${token}`], false);
    const a = await withHeaders(auto);
    assert.equal(a.code, 403, 'authenticated, then not authorized');
    assert.match(
      a.body,
      /^warning: 299 - "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens\."\r$/im,
    );
    const m = await withHeaders(manual);
    assert.equal(m.code, 403);
    assert.doesNotMatch(m.body, /^warning:/im, 'a manually created token does not warn');
    const metricsNow = async () => (await curl(fx, '/metrics')).body;
    const value = (text: string, name: string) =>
      Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const before = await metricsNow();
    await k(['label', 'secret', 'auto-token', 'kubernetes.io/legacy-token-invalid-since=2026-01-01']);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await withHeaders(auto)).code, 401);
    const after = await metricsNow();
    assert.equal(
      value(after, 'serviceaccount_invalid_legacy_auto_token_uses_total') -
        value(before, 'serviceaccount_invalid_legacy_auto_token_uses_total'),
      1,
    );
    assert.equal(
      value(after, 'serviceaccount_legacy_tokens_total') - value(before, 'serviceaccount_legacy_tokens_total'),
      1,
    );
    assert.ok(value(after, 'serviceaccount_legacy_auto_token_uses_total') >= 1);
    assert.ok(value(after, 'serviceaccount_legacy_manual_token_uses_total') >= 1);

    type Event = { requestURI: string; user?: { username?: string }; annotations?: Record<string, string> };
    const events = readFileSync(join(keyDir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event)
      .filter((e) => e.requestURI === '/api/v1/namespaces/default/pods');
    const annotationsOf = (pred: (e: Event) => boolean) =>
      events.filter(pred).map((e) => {
        const { 'authorization.k8s.io/decision': _d, 'authorization.k8s.io/reason': _r, ...rest } = e.annotations ?? {};
        return rest;
      });
    assert.deepEqual(annotationsOf((e) => e.user?.username === 'system:serviceaccount:default:auto')[0], {
      'authentication.k8s.io/legacy-token': 'system:serviceaccount:default:auto',
      'authentication.k8s.io/legacy-token-autogenerated-secret': 'auto-token',
    });
    assert.deepEqual(annotationsOf((e) => e.user?.username === 'system:serviceaccount:default:manual')[0], {
      'authentication.k8s.io/legacy-token': 'system:serviceaccount:default:manual',
      'authentication.k8s.io/legacy-token-manual-secret': 'manual-token',
    });
    // The refused request's event (failed authentication) still says which Secret was invalid.
    assert.deepEqual(
      annotationsOf((e) => !!e.annotations?.['authentication.k8s.io/legacy-token-invalidated']),
      [
        {
          'authentication.k8s.io/legacy-token': 'system:serviceaccount:default:auto',
          'authentication.k8s.io/legacy-token-invalidated': 'auto-token/default',
        },
      ],
    );
  });
});

describe('--service-account-lookup=false', () => {
  it('a legacy token stands on its signature alone: its Secret and account are not read', async () => {
    const dir = tempDir('sa-nolookup');
    const pair = await generateKeyPair('ecdsa-p256');
    writeFileSync(join(dir, 'sa.key'), encodePrivateKeyPem(pair), { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), encodePublicKeyPem(pair));
    const fx = await startFixture(
      [
        '--service-account-lookup=false',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      ],
      { tokenSuccessCacheTtlMs: 0 },
    );
    try {
      // No Secret holds it and no such account exists: with lookup (the default) this is 401.
      const token = await signLegacyToken(
        createPrivateKey(encodePrivateKeyPem(pair)),
        { namespace: 'default', name: 'ghost', uid: '0b7e4c3e-0000-4000-8000-000000000000' },
        'ghost-token',
      );
      const r = await selfSubjectReview(fx, token);
      assert.equal(r.code, 201, r.body);
      assert.equal(JSON.parse(r.body).status.userInfo.username, 'system:serviceaccount:default:ghost');
    } finally {
      await fx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
