// Graceful deletion and finalizers through a real apiserver, with real kubectl: a pod on a node is
// Terminating for its grace period (a second delete may only shorten it, --force ends it), one on no
// node goes at once; an object with a finalizer stays until an update removes it; a UID
// precondition never deletes a newer object of the same name.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, kubectl, startFixture } from './fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects read field by field
type Json = any;

describe('graceful deletion and finalizers', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture(['--authorization-mode=RBAC']);
  });
  after(async () => f?.close());

  const apply = async (name: string, obj: unknown) => {
    const file = join(f.dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(obj));
    const r = await kubectl(f, ['apply', '-f', file]);
    assert.equal(r.status, 0, r.err);
  };
  const get = async (path: string): Promise<{ code: number; obj: Json }> => {
    const r = await curl(f, path);
    return { code: r.code, obj: JSON.parse(r.body) };
  };
  const podOn = (name: string, nodeName?: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
  });

  it('defaults terminationGracePeriodSeconds to 30 and keeps a pod on a node Terminating for it', async () => {
    await apply('p1', podOn('p1', 'node-a'));
    const created = (await get('/api/v1/namespaces/default/pods/p1')).obj;
    assert.equal(created.spec.terminationGracePeriodSeconds, 30);
    const started = Date.now();
    const del = await kubectl(f, ['delete', 'pod', 'p1', '--wait=false']);
    assert.equal(del.status, 0, del.err);
    assert.match(del.out, /pod "p1" deleted/);
    const { code, obj } = await get('/api/v1/namespaces/default/pods/p1');
    assert.equal(code, 200, 'still there: no kubelet has confirmed it stopped');
    assert.equal(obj.metadata.deletionGracePeriodSeconds, 30);
    const deadline = Date.parse(obj.metadata.deletionTimestamp);
    assert.ok(Math.abs(deadline - (started + 30_000)) < 5_000, obj.metadata.deletionTimestamp);
    const table = await kubectl(f, ['get', 'pod', 'p1', '--no-headers']);
    assert.match(table.out, /^p1\s+\S+\s+Terminating\s/);

    // A longer grace changes nothing; a shorter one moves the deadline back.
    assert.equal((await kubectl(f, ['delete', 'pod', 'p1', '--wait=false', '--grace-period=120'])).status, 0);
    assert.equal((await get('/api/v1/namespaces/default/pods/p1')).obj.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await kubectl(f, ['delete', 'pod', 'p1', '--wait=false', '--grace-period=5'])).status, 0);
    const shorter = (await get('/api/v1/namespaces/default/pods/p1')).obj;
    assert.equal(shorter.metadata.deletionGracePeriodSeconds, 5);
    assert.equal(Date.parse(shorter.metadata.deletionTimestamp), deadline - 25_000);

    // --force (grace 0): gone, as when the kubelet confirms.
    const forced = await kubectl(f, ['delete', 'pod', 'p1', '--grace-period=0', '--force']);
    assert.equal(forced.status, 0, forced.err);
    assert.match(forced.err, /Immediate deletion does not wait for confirmation/);
    assert.equal((await get('/api/v1/namespaces/default/pods/p1')).code, 404);
  });

  it('deletes a pod no node runs at once', async () => {
    await apply('p2', podOn('p2'));
    const del = await kubectl(f, ['delete', 'pod', 'p2']);
    assert.equal(del.status, 0, del.err);
    assert.equal((await get('/api/v1/namespaces/default/pods/p2')).code, 404);
  });

  it('holds an object with a finalizer until an update removes it; no finalizer may be added meanwhile', async () => {
    await apply('cm', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] },
      data: { a: '1' },
    });
    const del = await kubectl(f, ['delete', 'configmap', 'held', '--wait=false']);
    assert.equal(del.status, 0, del.err);
    const held = (await get('/api/v1/namespaces/default/configmaps/held')).obj;
    assert.ok(held.metadata.deletionTimestamp, 'marked');
    assert.equal(held.metadata.deletionGracePeriodSeconds, 0);
    const add = await kubectl(f, [
      'patch',
      'configmap',
      'held',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]',
    ]);
    assert.notEqual(add.status, 0);
    assert.match(
      add.err,
      /metadata\.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \[\]string\{"example\.com\/more"\}/,
    );
    // Other updates are fine; the deletion timestamp survives them.
    const edit = await kubectl(f, ['patch', 'configmap', 'held', '--type=merge', '-p', '{"data":{"a":"2"}}']);
    assert.equal(edit.status, 0, edit.err);
    assert.equal(
      (await get('/api/v1/namespaces/default/configmaps/held')).obj.metadata.deletionTimestamp,
      held.metadata.deletionTimestamp,
    );
    const release = await kubectl(f, [
      'patch',
      'configmap',
      'held',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    assert.equal(release.status, 0, release.err);
    assert.equal((await get('/api/v1/namespaces/default/configmaps/held')).code, 404, 'the update deleted it');
  });

  it('refuses a delete whose UID precondition names an older object', async () => {
    await apply('p3', podOn('p3'));
    const r = await curl(f, '/api/v1/namespaces/default/pods/p3', [
      '-X',
      'DELETE',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-this-one' } }),
    ]);
    assert.equal(r.code, 409, r.body);
    assert.match(
      JSON.parse(r.body).message,
      /Precondition failed: UID in precondition: not-this-one, UID in object meta: /,
    );
    assert.equal((await get('/api/v1/namespaces/default/pods/p3')).code, 200);
  });
});
