// The apiserver's listening socket takes the kernel's somaxconn as its accept backlog, as Go's
// listeners do (Node's default is 511): `ss` shows a listening socket's backlog as its Send-Q.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { listenBacklog } from '@mkube/shared/net';
import { type Fixture, startFixture } from './fixture.ts';

describe('apiserver listen backlog', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(() => fx?.close());

  it('is somaxconn', () => {
    const out = execFileSync('ss', ['-ltnH', `sport = :${fx.server.port}`], { encoding: 'utf8' });
    const [state, , sendQ] = out.trim().split(/\s+/);
    assert.equal(state, 'LISTEN', out);
    assert.equal(Number(sendQ), listenBacklog(), out);
  });
});
