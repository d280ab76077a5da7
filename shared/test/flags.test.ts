import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlagError, type FlagSpec, formatDuration, parseDuration, parseFlags } from '@mkube/shared/flags';

const specs: FlagSpec[] = [
  { name: 'dir', type: 'string', usage: 'data dir', default: '.mkube' },
  { name: 'verbose', type: 'bool', usage: 'talk more' },
  { name: 'count', type: 'int', usage: 'how many' },
  { name: 'validity', type: 'duration', usage: 'how long', default: '8760h' },
  { name: 'org', type: 'stringArray', usage: 'organizations' },
  { name: 'sans', type: 'stringSlice', usage: 'SANs', default: ['a'] },
];

describe('flags', () => {
  it('parses kube-style flags in both spellings', () => {
    const r = parseFlags(specs, [
      '--dir=/x',
      'pos',
      '--verbose',
      '--count',
      '3',
      '--org',
      'a',
      '--org=b',
      '--sans=x,y',
    ]);
    assert.equal(r.flags.dir, '/x');
    assert.equal(r.flags.verbose, true);
    assert.equal(r.flags.count, 3);
    assert.deepEqual(r.flags.org, ['a', 'b']);
    assert.deepEqual(r.flags.sans, ['x', 'y']);
    assert.equal(r.flags.validity, 8760 * 3600_000);
    assert.deepEqual(r.positionals, ['pos']);
    assert.ok(r.given.has('dir') && !r.given.has('validity'));
  });
  it('refuses unknown flags, missing values and bad values', () => {
    assert.throws(() => parseFlags(specs, ['--nope']), FlagError);
    assert.throws(() => parseFlags(specs, ['--dir']), /needs an argument/);
    assert.throws(() => parseFlags(specs, ['--count=x']), /not an integer/);
    assert.throws(() => parseFlags(specs, ['--verbose=maybe']), /true or false/);
    assert.throws(() => parseFlags(specs, ['--validity=10 years']), /invalid duration/);
  });
  it('reads and prints Go durations', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('300ms'), 300);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(formatDuration(8760 * 3600_000), '8760h0m0s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.throws(() => parseDuration('10'), /invalid duration/);
  });
});
