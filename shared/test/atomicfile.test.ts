import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupAtomicTemps, replaceSymlinkAtomic, writeFileAtomic } from '@mkube/shared/atomicfile';

describe('atomicfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-atomic-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('writes with the exact mode and leaves no temp file', async () => {
    const p = join(dir, 'sub', 'a.key');
    await writeFileAtomic(p, 'secret', { mode: 0o600 });
    assert.equal(readFileSync(p, 'utf8'), 'secret');
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.key']);
  });
  it('replaces, or refuses to replace when exclusive', async () => {
    const p = join(dir, 'b.txt');
    await writeFileAtomic(p, 'one');
    await writeFileAtomic(p, 'two');
    assert.equal(readFileSync(p, 'utf8'), 'two');
    await assert.rejects(writeFileAtomic(p, 'three', { exclusive: true }), { code: 'EEXIST' });
    assert.equal(readFileSync(p, 'utf8'), 'two');
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.tmp')).length, 0);
  });
  it('fails cleanly in an unwritable place', async () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    await assert.rejects(
      writeFileAtomic(join(blocker, 'child'), 'x'),
      (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' || e.code === 'EEXIST',
    );
  });
  it('swaps a symlink atomically and cleans crash leftovers', async () => {
    const link = join(dir, 'current.pem');
    await replaceSymlinkAtomic('a.pem', link);
    await replaceSymlinkAtomic('b.pem', link);
    assert.equal(readlinkSync(link), 'b.pem');
    writeFileSync(join(dir, '.x.pem.0123456789ab.tmp'), '');
    await cleanupAtomicTemps(dir);
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.tmp')).length, 0);
  });
});
