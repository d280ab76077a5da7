// --token-auth-file: parsing with errors naming the line, and the tokens at work through the server.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTokenFile, tokenFileAuthenticator } from '@mkube/shared/auth';
import { curlToken, type Fixture, startFixture, tempDir } from '../server/fixture.ts';

describe('static token file', () => {
  it("parses kube's CSV and names the line of a problem", async () => {
    const users = parseTokenFile('# comment\nt0k3n,alice,u-1,"devs,ops"\nsecond,bob,,\n', 'tokens.csv');
    assert.deepEqual(await tokenFileAuthenticator(users).authenticateToken('t0k3n'), {
      username: 'alice',
      uid: 'u-1',
      groups: ['devs', 'ops'],
    });
    assert.deepEqual(await tokenFileAuthenticator(users).authenticateToken('second'), { username: 'bob', groups: [] });
    assert.equal(await tokenFileAuthenticator(users).authenticateToken('t0k3nX'), null);
    assert.throws(() => parseTokenFile('a,b\n', 'tokens.csv'), /tokens.csv:1: expected at least 3 columns/);
    assert.throws(() => parseTokenFile('ok,u,1\nok,v,2\n', 'tokens.csv'), /tokens.csv:2: duplicate token/);
    assert.throws(() => parseTokenFile('"open,u,1\n', 'tokens.csv'), /tokens.csv:1: unterminated quoted field/);
  });

  describe('through the server', () => {
    let fx: Fixture;
    let dir = '';
    before(async () => {
      dir = tempDir('tokens');
      const file = join(dir, 'tokens.csv');
      writeFileSync(file, 'sup3rs3cret,carol,c-1,"system:masters"\n');
      fx = await startFixture(['--authorization-mode=RBAC', `--token-auth-file=${file}`]);
    });
    after(async () => {
      await fx?.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const curl = (token: string) => curlToken(fx, token, '/api/v1/namespaces/kube-system/secrets');
    it('a listed token authenticates with its groups; another is 401', async () => {
      assert.equal(await curl('sup3rs3cret'), '200');
      assert.equal(await curl('wrong'), '401');
    });
  });
});
