// The listen backlog as Go's maxListenerBacklog reads it: somaxconn, capped to 16 bits, Node's 511
// when the file says nothing usable.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listenBacklog } from '../src/net/index.js';

describe('listenBacklog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-backlog-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('is net.core.somaxconn, capped at 65,535', () => {
    assert.equal(listenBacklog(file('a', '4096\n')), 4096);
    assert.equal(listenBacklog(file('b', '262144\n')), 65_535);
  });

  it("falls back to Node's 511 when the value is missing or not a positive number", () => {
    assert.equal(listenBacklog(join(dir, 'missing')), 511);
    assert.equal(listenBacklog(file('c', 'garbage')), 511);
    assert.equal(listenBacklog(file('d', '0')), 511);
  });
});
