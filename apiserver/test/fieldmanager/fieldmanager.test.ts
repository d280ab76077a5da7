// Field sets, typed comparisons and merges, and the apply/update ownership rules, without a server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { FieldSet, pathString } from '../../src/fieldmanager/fieldpath.ts';
import { apply, applySchemaFor, update } from '../../src/fieldmanager/index.ts';
import { compare, merge, removeItems, toFieldSet } from '../../src/fieldmanager/typed.ts';

const POD = applySchemaFor({ group: '', version: 'v1', kind: 'Pod' });
const SVC = applySchemaFor({ group: '', version: 'v1', kind: 'Service' });

describe('field sets', () => {
  it('read and write fieldsV1, with "." for members that are also parents', () => {
    const v1 = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
      'f:finalizers': { 'v:"a/b"': {} },
    };
    const s = FieldSet.fromFieldsV1(v1);
    assert.deepEqual(s.toFieldsV1(), {
      'f:finalizers': { 'v:"a/b"': {} },
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    });
    assert.ok(s.has(['f:metadata', 'f:labels']));
    assert.ok(!s.has(['f:metadata']));
    assert.deepEqual([...s.paths()].map(pathString), [
      '.finalizers[="a/b"]',
      '.metadata.labels',
      '.metadata.labels.app',
      '.spec.containers[name="c"]',
      '.spec.containers[name="c"].image',
      '.spec.containers[name="c"].name',
    ]);
  });

  it('refuses what is not fieldsV1', () => {
    assert.throws(() => FieldSet.fromFieldsV1({ 'x:y': {} }), /unknown path element/);
    assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }), /must be an object/);
    assert.throws(() => FieldSet.fromFieldsV1([]), /must be an object/);
  });

  it('union, difference and intersection go path by path', () => {
    const a = FieldSet.fromFieldsV1({ 'f:data': { 'f:a': {}, 'f:b': {} } });
    const b = FieldSet.fromFieldsV1({ 'f:data': { 'f:b': {}, 'f:c': {} } });
    assert.deepEqual(a.union(b).toFieldsV1(), { 'f:data': { 'f:a': {}, 'f:b': {}, 'f:c': {} } });
    assert.deepEqual(a.difference(b).toFieldsV1(), { 'f:data': { 'f:a': {} } });
    assert.deepEqual(a.intersection(b).toFieldsV1(), { 'f:data': { 'f:b': {} } });
    assert.ok(a.difference(a).isEmpty());
  });
});

describe('typed values', () => {
  const pod = {
    spec: {
      containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], args: ['x'] }],
    },
  };

  it('a keyed item, its fields and its keys are members; atomic lists are leaves', () => {
    const s = toFieldSet(pod, POD);
    assert.deepEqual(s.toFieldsV1(), {
      'f:spec': {
        'f:containers': {
          'k:{"name":"c"}': {
            '.': {},
            'f:args': {},
            'f:image': {},
            'f:name': {},
            // protocol is a key with a default: an item without it is keyed as TCP.
            'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
          },
        },
      },
    });
  });

  it('compare finds added, removed and modified leaves', () => {
    const next = { spec: { containers: [{ name: 'c', image: 'j', ports: [{ containerPort: 80 }] }] } };
    const c = compare(pod, next, POD);
    assert.deepEqual([...c.modified.paths()].map(pathString), ['.spec.containers[name="c"].image']);
    assert.deepEqual([...c.removed.paths()].map(pathString), ['.spec.containers[name="c"].args']);
    assert.ok(c.added.isEmpty());
  });

  it('merge merges keyed lists by key and replaces atomic maps', () => {
    const live = { spec: { ports: [{ port: 80, protocol: 'TCP', name: 'a' }], selector: { app: 'x', tier: 'y' } } };
    const cfg = { spec: { ports: [{ port: 80, name: 'b' }, { port: 443 }], selector: { app: 'z' } } };
    assert.deepEqual(merge(live, cfg, SVC), {
      spec: { ports: [{ port: 80, protocol: 'TCP', name: 'b' }, { port: 443 }], selector: { app: 'z' } },
    });
  });

  it('removeItems keeps a member someone else still owns fields under', () => {
    const obj = {
      spec: {
        containers: [
          { name: 'c', image: 'i' },
          { name: 'd', image: 'j' },
        ],
      },
    };
    const drop = FieldSet.fromFieldsV1({
      'f:spec': { 'f:containers': { 'k:{"name":"c"}': {}, 'k:{"name":"d"}': {} } },
    });
    const keep = FieldSet.fromFieldsV1({ 'f:spec': { 'f:containers': { 'k:{"name":"d"}': { 'f:image': {} } } } });
    assert.deepEqual(removeItems(obj, drop, keep, POD), { spec: { containers: [{ name: 'd', image: 'j' }] } });
  });
});

describe('apply and update', () => {
  const req = {
    force: false,
    apiVersion: 'v1',
    subresource: '',
    now: '2026-12-04T00:00:00Z',
    schema: applySchemaFor({ group: '', version: 'v1', kind: 'ConfigMap' }),
    statusIsSubresource: false,
  };
  const cm = (data: Record<string, string>): KubeObject =>
    ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data }) as KubeObject;

  it('an update by another manager takes the fields it changes; the applier then conflicts', () => {
    const created = apply(undefined, cm({ a: '1' }), { ...req, manager: 'ap' });
    const stored = { ...created, metadata: { ...created.metadata, resourceVersion: '5', uid: 'u' } };
    const edited = { ...stored, data: { a: '2' } } as KubeObject;
    const managed = update(stored, edited, undefined, { ...req, manager: 'editor' });
    assert.deepEqual(
      managed?.map((m) => [m.manager, m.operation, m.fieldsV1]),
      [['editor', 'Update', { 'f:data': { 'f:a': {} } }]],
      'the applier lost its only field',
    );
    const live = { ...edited, metadata: { ...edited.metadata, managedFields: managed } };
    assert.throws(
      () => apply(live, cm({ a: '1' }), { ...req, manager: 'ap2' }),
      (e: unknown) =>
        e instanceof StatusError &&
        e.code === 409 &&
        e.message === 'Apply failed with 1 conflict: conflict with "editor" using v1 at 2026-12-04T00:00:00Z: .data.a',
    );
    const forced = apply(live, cm({ a: '1' }), { ...req, manager: 'ap2', force: true });
    assert.deepEqual((forced as KubeObject & { data: unknown }).data, { a: '1' });
    assert.deepEqual(
      forced.metadata?.managedFields?.map((m) => m.manager),
      ['ap2'],
    );
    assert.equal(forced.metadata?.resourceVersion, '5', 'server metadata is kept');
  });

  it('an object that is not tracked stays untracked by updates', () => {
    const a = cm({ a: '1' });
    assert.equal(update(a, cm({ a: '2' }), undefined, { ...req, manager: 'm' }), undefined);
  });
});

describe('update managers', () => {
  it('past ten, the oldest are merged into ancient-changes', () => {
    const schema = applySchemaFor({ group: '', version: 'v1', kind: 'ConfigMap' });
    let obj = apply(
      undefined,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { base: '0' } } as KubeObject,
      {
        manager: 'ap',
        force: false,
        apiVersion: 'v1',
        subresource: '',
        now: '2026-12-04T00:00:00Z',
        schema,
        statusIsSubresource: false,
      },
    );
    for (let i = 0; i < 12; i++) {
      const next = { ...obj, data: { ...(obj as KubeObject & { data: object }).data, [`k${i}`]: 'v' } } as KubeObject;
      const now = `2026-12-04T00:00:${String(10 + i)}Z`;
      const managed = update(obj, next, undefined, {
        manager: `w${i}`,
        apiVersion: 'v1',
        subresource: '',
        now,
        schema,
      });
      obj = { ...next, metadata: { ...next.metadata, managedFields: managed } };
    }
    const entries = obj.metadata?.managedFields ?? [];
    assert.equal(entries.filter((e) => e.operation === 'Update').length, 10);
    const ancient = entries.find((e) => e.manager === 'ancient-changes');
    assert.deepEqual(ancient?.fieldsV1, { 'f:data': { 'f:k0': {}, 'f:k1': {}, 'f:k2': {} } });
    assert.equal(ancient?.time, '2026-12-04T00:00:12Z');
    assert.deepEqual(
      entries.filter((e) => e.operation === 'Update').map((e) => e.manager),
      ['ancient-changes', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10', 'w11'],
    );
  });
});
