// CachingCredentialProvider: peek() hands out only what get() would hand out without fetching.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachingCredentialProvider, type FetchedCredentials } from '../src/client/credentials.ts';

const clock = { t: 1_000 };

class Counting extends CachingCredentialProvider {
  fetches = 0;
  constructor(private readonly untilAfter: number | undefined) {
    super(() => clock.t);
  }
  protected async fetch(): Promise<FetchedCredentials> {
    this.fetches++;
    return {
      creds: { token: `t${this.fetches}` },
      ...(this.untilAfter === undefined ? {} : { until: clock.t + this.untilAfter }),
    };
  }
}

describe('CachingCredentialProvider.peek', () => {
  it('is empty before the first fetch, the cached credentials until they expire, then empty again', async () => {
    const p = new Counting(60_000);
    assert.equal(p.peek(), undefined);
    const first = await p.get();
    assert.equal(p.peek(), first);
    clock.t += 60_000;
    assert.equal(p.peek(), first);
    clock.t += 1;
    assert.equal(p.peek(), undefined);
    assert.deepEqual(await p.get(), { token: 't2' });
    assert.equal(p.fetches, 2);
  });

  it('is empty once a 401 dropped the credentials', async () => {
    const p = new Counting(undefined);
    const c = await p.get();
    assert.equal(p.peek(), c);
    p.unauthorized(c);
    assert.equal(p.peek(), undefined);
  });
});
