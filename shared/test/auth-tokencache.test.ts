// The apiserver's token cache: successes are believed again for the TTL without asking the
// authenticators, failures and errors are asked every time, concurrent lookups of one token share
// one call, audit annotations and warnings are replayed on every hit, and the cache keeps no token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AuthenticationContext,
  AuthenticationError,
  cachedTokenAuthenticator,
  type TokenAuthenticator,
  type UserInfo,
} from '../src/auth/index.ts';

function counting(answer: (token: string) => UserInfo | null | Error): TokenAuthenticator & { calls: number } {
  const a = {
    calls: 0,
    async authenticateToken(token: string, ctx?: AuthenticationContext) {
      a.calls++;
      await new Promise((r) => setTimeout(r, 5));
      const v = answer(token);
      if (v instanceof Error) throw v;
      ctx?.addAuditAnnotation('authentication.kubernetes.io/credential-id', `JTI=${token}`);
      ctx?.addWarning(`warned for ${token.length}`);
      return v;
    },
  };
  return a;
}

const recorder = () => {
  const annotations: [string, string][] = [];
  const warnings: string[] = [];
  return {
    annotations,
    warnings,
    ctx: {
      addAuditAnnotation: (k: string, v: string) => void annotations.push([k, v]),
      addWarning: (w: string) => void warnings.push(w),
    },
  };
};

describe('cachedTokenAuthenticator', () => {
  it('asks once per TTL for a good token and replays what the lookup recorded', async () => {
    const inner = counting((t) => (t === 'good' ? { username: 'alice', groups: [] } : null));
    const cached = cachedTokenAuthenticator(inner, { successTtlMs: 200 });
    const first = recorder();
    assert.equal((await cached.authenticateToken('good', first.ctx))?.username, 'alice');
    const second = recorder();
    assert.equal((await cached.authenticateToken('good', second.ctx))?.username, 'alice');
    assert.equal(inner.calls, 1);
    assert.deepEqual(second.annotations, [['authentication.kubernetes.io/credential-id', 'JTI=good']]);
    assert.deepEqual(second.warnings, ['warned for 4']);
    await new Promise((r) => setTimeout(r, 250));
    await cached.authenticateToken('good');
    assert.equal(inner.calls, 2, 'asked again after the TTL');
  });

  it('never caches a failure or an error', async () => {
    let fail = true;
    const inner = counting(() => (fail ? new AuthenticationError('TOKEN_INVALID', 'bad') : null));
    const cached = cachedTokenAuthenticator(inner);
    await assert.rejects(cached.authenticateToken('x'), /bad/);
    fail = false;
    assert.equal(await cached.authenticateToken('x'), null);
    assert.equal(await cached.authenticateToken('x'), null);
    assert.equal(inner.calls, 3);
  });

  it('shares one lookup between concurrent requests with the same token', async () => {
    const inner = counting(() => ({ username: 'bob', groups: [] }));
    const cached = cachedTokenAuthenticator(inner);
    const recs = [recorder(), recorder(), recorder()];
    const users = await Promise.all(recs.map((r) => cached.authenticateToken('same', r.ctx)));
    assert.equal(inner.calls, 1);
    assert.deepEqual(
      users.map((u) => u?.username),
      ['bob', 'bob', 'bob'],
    );
    for (const r of recs) assert.equal(r.warnings.length, 1, 'each request gets the warning');
    await cached.authenticateToken('other');
    assert.equal(inner.calls, 2, 'another token is looked up');
  });

  it('reports hits, misses (failed ones too), lookups (ok or error) and the requests waiting on one', async () => {
    const seen: string[] = [];
    let active = 0;
    let blocked = 0;
    const stats = {
      request: (hit: boolean) => void seen.push(hit ? 'hit' : 'miss'),
      fetching: () => {
        active++;
        return (ok: boolean) => {
          active--;
          seen.push(ok ? 'fetch ok' : 'fetch error');
        };
      },
      blocking: () => {
        blocked++;
        seen.push('blocked');
        return () => void blocked--;
      },
    };
    const inner = counting((t) =>
      t === 'bad' ? new AuthenticationError('TOKEN_INVALID', 'bad') : { username: 'd', groups: [] },
    );
    const cached = cachedTokenAuthenticator(inner, { stats });
    await Promise.all([cached.authenticateToken('t'), cached.authenticateToken('t')]);
    await cached.authenticateToken('t');
    await assert.rejects(cached.authenticateToken('bad'));
    // Upstream's order: each miss blocks on the one shared lookup, then counts as a miss.
    assert.deepEqual(seen, ['blocked', 'blocked', 'fetch ok', 'miss', 'miss', 'hit', 'blocked', 'fetch error', 'miss']);
    assert.equal(active, 0);
    assert.equal(blocked, 0);
  });

  it('a TTL of 0 is no cache', async () => {
    const inner = counting(() => ({ username: 'c', groups: [] }));
    const cached = cachedTokenAuthenticator(inner, { successTtlMs: 0 });
    await cached.authenticateToken('t');
    await cached.authenticateToken('t');
    assert.equal(inner.calls, 2);
  });
});
