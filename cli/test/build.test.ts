// scripts/build.mjs and the choice cli/bin/mkube.js makes: on a copy of the repository, dist/ is
// built with working @mkube imports and assets, mkube runs it only while it matches the sources
// (proved by a source file replaced with same-size garbage under the old mtime), and falls back
// to the sources once anything changed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanup, REPO_ROOT, tempDir } from '../../e2e/src/harness.ts';
// @ts-expect-error plain JavaScript without types
import { build } from '../../scripts/build.mjs';
// @ts-expect-error plain JavaScript without types
import { buildIsFresh, WORKSPACES } from '../../scripts/build-state.mjs';

describe('compiled daemons (scripts/build.mjs)', () => {
  const root = tempDir('build');
  after(() => cleanup(root));

  for (const f of ['package.json', 'tsconfig.base.json']) cpSync(join(REPO_ROOT, f), join(root, f));
  cpSync(join(REPO_ROOT, 'scripts'), join(root, 'scripts'), { recursive: true });
  for (const ws of WORKSPACES as string[]) {
    for (const part of ['src', 'package.json', ...(ws === 'cli' ? ['bin'] : [])]) {
      cpSync(join(REPO_ROOT, ws, part), join(root, ws, part), { recursive: true });
    }
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  const mkube = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(root, 'cli/bin/mkube.js'), '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...env },
    });

  it('transpiles every source file, points @mkube imports at dist/ and copies other files', () => {
    assert.equal(buildIsFresh(root), false);
    assert.equal(build({ root }), true);
    assert.equal(buildIsFresh(root), true);
    assert.equal(build({ root }), false, 'nothing to do when fresh');
    const main = readFileSync(join(root, 'cli/dist/main.js'), 'utf8');
    assert.doesNotMatch(main, /@mkube\//);
    assert.match(main, /from "\.\.\/\.\.\/shared\/dist\/flags\/index\.js"/);
    assert.ok(existsSync(join(root, 'apiserver/dist/storage/etcd/rpc.proto')));
    assert.ok(existsSync(join(root, 'kubelet/dist/main.js')));
  });

  it('mkube runs dist/ while it matches the sources, and the sources once they changed', () => {
    assert.equal(mkube().status, 0);
    // Same size, same mtime: the digest cannot tell, so only running dist/ can succeed.
    const file = join(root, 'cli/src/main.ts');
    const st = statSync(file);
    writeFileSync(file, 'x'.repeat(st.size));
    utimesSync(file, st.atimeMs / 1000, st.mtimeMs / 1000);
    assert.equal(buildIsFresh(root), true);
    const compiled = mkube();
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.match(compiled.stdout, /Usage:/);
    const forced = mkube({ MKUBE_FROM_SOURCE: '1' });
    assert.notEqual(forced.status, 0, 'the garbage source is what MKUBE_FROM_SOURCE=1 runs');
    // A newer mtime is a change: mkube goes to the sources (and fails on the garbage).
    utimesSync(file, st.atime, new Date(st.mtimeMs + 5_000));
    assert.equal(buildIsFresh(root), false);
    assert.notEqual(mkube().status, 0);
  });
});
