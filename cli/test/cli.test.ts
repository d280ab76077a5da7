import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runCli } from './helpers.ts';

describe('mkube CLI frame', () => {
  it('prints help with the command list and an example', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /Available Commands:/);
    assert.match(r.out, /token/);
    assert.match(r.out, /Examples:/);
  });
  it('refuses an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown command "frobnicate"/);
  });
  it('generates bootstrap tokens from the CSPRNG', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const r = await runCli(['token', 'generate']);
      assert.equal(r.code, 0);
      assert.match(r.out, /^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
      seen.add(r.out);
    }
    assert.equal(seen.size, 50);
  });
  it('runs as node_modules/.bin/mkube', () => {
    const r = spawnSync('node_modules/.bin/mkube', ['token', 'generate'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
  });
});
