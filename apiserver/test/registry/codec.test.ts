// The decoded-object cache: one parse per (key, revision) while it is current; a newer write
// of the key drops the older revision; a late older revision does not displace the newer one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeObject, encodeObject, latestDecoded, writtenObject } from '../../src/registry/codec.ts';
import type { KeyValue } from '../../src/storage/index.ts';

const kv = (key: string, rev: number, data: string): KeyValue => ({
  key,
  value: encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { v: data } } as never),
  createRevision: 1,
  modRevision: rev,
});

describe('decoded object cache', () => {
  it('keeps the newest revision of a key and drops the one it superseded', () => {
    const store = {};
    const v1 = kv('/registry/configmaps/default/c', 5, 'one');
    const v2 = kv('/registry/configmaps/default/c', 9, 'two');
    const a = decodeObject(v1, store);
    assert.equal(decodeObject(v1, store), a, 'parsed once');
    assert.equal(a.metadata.resourceVersion, '5');
    const b = decodeObject(v2, store);
    assert.equal(decodeObject(v2, store), b);
    const again = decodeObject(v1, store);
    assert.notEqual(again, a, 'revision 5 was dropped when 9 came');
    assert.deepEqual(again, a);
    assert.equal(decodeObject(v1, store), again, 'a late older revision is cached beside the newer one');
    assert.equal(decodeObject(v2, store), b, '…without displacing it');
  });

  it('makes room by dropping the oldest entry, and forgets it as the newest of its key', () => {
    const store = {};
    const first = decodeObject(kv('/registry/configmaps/default/k0', 2, 'x'), store);
    assert.equal(latestDecoded('/registry/configmaps/default/k0', store), first);
    for (let i = 1; i <= 16_384; i++) decodeObject(kv(`/registry/configmaps/default/k${i}`, 2, 'x'), store);
    assert.equal(latestDecoded('/registry/configmaps/default/k0', store), undefined);
    assert.notEqual(decodeObject(kv('/registry/configmaps/default/k0', 2, 'x'), store), first);
    assert.ok(latestDecoded('/registry/configmaps/default/k16384', store));
  });

  it('a write caches the object it wrote, with the new resourceVersion last in metadata', () => {
    const store = {};
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u' }, data: { v: 'w' } };
    const written = writtenObject(kv('/registry/configmaps/default/c', 12, 'w'), store, obj as never);
    assert.deepEqual(Object.keys(written.metadata), ['name', 'uid', 'resourceVersion']);
    assert.equal(written.metadata.resourceVersion, '12');
    assert.equal(decodeObject(kv('/registry/configmaps/default/c', 12, 'w'), store), written);
  });
});
