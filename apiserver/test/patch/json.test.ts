import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '@mkube/shared/apierrors';
import { applyPatch, type Json } from '../../src/patch/index.js';

const KIND = { group: '', version: 'v1', kind: 'ConfigMap' };
const JSONPATCH = 'application/json-patch+json';
const MERGE = 'application/merge-patch+json; charset=utf-8';

const cm = (extra: Record<string, Json>): Record<string, Json> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', labels: { 'a/b': 'x', '~t': 'y' } },
  ...extra,
});

describe('JSON patch (RFC 6902)', () => {
  const cases: [string, Json, Record<string, Json>, Record<string, Json>][] = [
    ['add a field', [{ op: 'add', path: '/data', value: { k: 'v' } }], cm({}), cm({ data: { k: 'v' } })],
    [
      'add to a list end with -',
      [{ op: 'add', path: '/metadata/finalizers/-', value: 'f2' }],
      cm({ metadata: { name: 'c', finalizers: ['f1'] } }),
      cm({ metadata: { name: 'c', finalizers: ['f1', 'f2'] } }),
    ],
    [
      'insert into a list by index',
      [{ op: 'add', path: '/metadata/finalizers/0', value: 'f0' }],
      cm({ metadata: { name: 'c', finalizers: ['f1'] } }),
      cm({ metadata: { name: 'c', finalizers: ['f0', 'f1'] } }),
    ],
    [
      'pointer escapes ~1 and ~0',
      [
        { op: 'replace', path: '/metadata/labels/a~1b', value: 'z' },
        { op: 'remove', path: '/metadata/labels/~0t' },
      ],
      cm({}),
      { ...cm({}), metadata: { name: 'c', labels: { 'a/b': 'z' } } },
    ],
    [
      'test then replace',
      [
        { op: 'test', path: '/data/k', value: 'v' },
        { op: 'replace', path: '/data/k', value: 'w' },
      ],
      cm({ data: { k: 'v' } }),
      cm({ data: { k: 'w' } }),
    ],
    [
      'move and copy',
      [
        { op: 'copy', from: '/data/a', path: '/data/b' },
        { op: 'move', from: '/data/a', path: '/data/c' },
      ],
      cm({ data: { a: '1' } }),
      cm({ data: { b: '1', c: '1' } }),
    ],
    ['remove a list item', [{ op: 'remove', path: '/l/1' }], cm({ l: [1, 2, 3] }), cm({ l: [1, 3] })],
  ];
  for (const [name, patch, original, want] of cases) {
    it(name, () => {
      const before = structuredClone(original);
      assert.deepEqual(applyPatch(KIND, original, JSONPATCH, JSON.stringify(patch)), want);
      assert.deepEqual(original, before);
    });
  }

  const errors: [string, unknown, number][] = [
    ['body not a list', { op: 'add' }, 400],
    ['operation not an object', ['x'], 400],
    ['not JSON', '[', 400],
    ['failed test', [{ op: 'test', path: '/data/k', value: 'nope' }], 422],
    ['replace a missing key', [{ op: 'replace', path: '/data/missing', value: 1 }], 422],
    ['remove a missing key', [{ op: 'remove', path: '/nope' }], 422],
    ['add under a missing parent', [{ op: 'add', path: '/a/b/c', value: 1 }], 422],
    ['index out of range', [{ op: 'add', path: '/l/5', value: 1 }], 422],
    ['unknown op', [{ op: 'frobnicate', path: '/x' }], 422],
    ['missing path', [{ op: 'add', value: 1 }], 422],
    [
      'too many operations',
      Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'ConfigMap' })),
      413,
    ],
  ];
  for (const [name, patch, code] of errors) {
    it(`error: ${name} → ${code}`, () => {
      const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
      try {
        applyPatch(KIND, cm({ data: { k: 'v' }, l: [1] }), JSONPATCH, body);
      } catch (e) {
        assert.ok(e instanceof StatusError);
        assert.equal(e.code, code);
        if (code === 422) {
          assert.equal(e.reason, 'Invalid');
          assert.equal(e.message, 'the server rejected our request due to an error in our request');
        }
        if (code === 413)
          assert.equal(
            e.message,
            'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
          );
        return;
      }
      assert.fail('expected an error');
    });
  }
});

describe('JSON merge patch (RFC 7386)', () => {
  const cases: [string, Json, Record<string, Json>, Record<string, Json>][] = [
    [
      'merge maps, null deletes, lists replace',
      { metadata: { labels: { '~t': null, n: 'new' }, finalizers: ['b'] }, data: { k: null, j: 'x' } },
      cm({ data: { k: 'v' }, metadata: { name: 'c', finalizers: ['a'], labels: { '~t': 'y' } } }),
      cm({ data: { j: 'x' }, metadata: { name: 'c', finalizers: ['b'], labels: { n: 'new' } } }),
    ],
    [
      'nested nulls in new values are pruned',
      { data: { a: { b: null, c: 1 } } },
      cm({}),
      cm({ data: { a: { c: 1 } } }),
    ],
  ];
  for (const [name, patch, original, want] of cases) {
    it(name, () => assert.deepEqual(applyPatch(KIND, original, MERGE, Buffer.from(JSON.stringify(patch))), want));
  }
  it('accepts the short patch type names and already-decoded bodies', () => {
    assert.deepEqual(applyPatch(KIND, cm({}), 'merge', { data: { a: 'b' } }), cm({ data: { a: 'b' } }));
    assert.deepEqual(applyPatch(KIND, cm({}), 'json', [{ op: 'add', path: '/data', value: {} }]), cm({ data: {} }));
    assert.throws(
      () => applyPatch(KIND, cm({}), 'toString', '{}'),
      (e: unknown) => e instanceof StatusError && e.code === 415,
    );
  });
  it('a null body is a bad request; a list body leaves no object (422)', () => {
    assert.throws(
      () => applyPatch(KIND, cm({}), MERGE, 'null'),
      (e: unknown) => e instanceof StatusError && e.code === 400,
    );
    assert.throws(
      () => applyPatch(KIND, cm({}), MERGE, '[]'),
      (e: unknown) => e instanceof StatusError && e.code === 422,
    );
  });
});
