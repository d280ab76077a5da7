import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, KubeObject, Pod, Secret } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { ensureSystemNamespaces } from '../../src/registry/bootstrap.ts';
import { EVERYTHING, parseFilter } from '../../src/registry/filter.ts';
import { Registries } from '../../src/registry/index.ts';
import { openSqliteStore, type SqliteStore } from '../../src/storage/index.ts';

const ctx = () => ({ user: { username: 'alice', groups: ['system:authenticated'] }, now: new Date() });
const write = { dryRun: false };

async function rejectsWith(p: Promise<unknown>, reason: string, message?: RegExp): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, `not a StatusError: ${e}`);
    assert.equal(e.reason, reason, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${reason}`);
}

describe('generic registry on SQLite', () => {
  let dir: string;
  let store: SqliteStore;
  let regs: Registries;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-registry-'));
    store = await openSqliteStore(dir);
    regs = new Registries(store);
    await ensureSystemNamespaces(regs);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cms = () => regs.get('', 'configmaps')!;

  it('creates the system namespaces once, Active', async () => {
    await ensureSystemNamespaces(regs);
    const { items } = await regs.namespaces.list({ namespace: '', filter: EVERYTHING });
    assert.deepEqual(items.map((n) => n.metadata.name).sort(), [
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    assert.equal((items[0] as { status?: { phase?: string } }).status?.phase, 'Active');
  });

  it('fills uid, creationTimestamp, resourceVersion, kind; honours generateName', async () => {
    const cm = (await cms().create(
      'default',
      { metadata: { generateName: 'gen-' }, data: { a: '1' } } as ConfigMap,
      ctx(),
      write,
    )) as ConfigMap;
    assert.match(cm.metadata.name!, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.match(cm.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.match(cm.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(cm.metadata.resourceVersion!, /^\d+$/);
    assert.equal(cm.kind, 'ConfigMap');
    assert.equal(cm.apiVersion, 'v1');
    assert.equal(cm.metadata.namespace, 'default');
  });

  it('refuses duplicates, invalid names, a body namespace that differs, and a resourceVersion on create', async () => {
    await cms().create('default', { metadata: { name: 'dup' } }, ctx(), write);
    await rejectsWith(
      cms().create('default', { metadata: { name: 'dup' } }, ctx(), write),
      'AlreadyExists',
      /^configmaps "dup" already exists$/,
    );
    const inv = await rejectsWith(
      cms().create('default', { metadata: { name: 'Bad_Name' } }, ctx(), write),
      'Invalid',
      /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    assert.equal(inv.code, 422);
    await rejectsWith(
      cms().create('default', { metadata: { name: 'x', namespace: 'other' } }, ctx(), write),
      'BadRequest',
      /does not match the namespace/,
    );
    await rejectsWith(
      cms().create('default', { metadata: { name: 'x', resourceVersion: '5' } }, ctx(), write),
      'BadRequest',
      /resourceVersion should not be set/,
    );
    await rejectsWith(cms().get('default', 'x'), 'NotFound', /^configmaps "x" not found$/);
  });

  it('optimistic concurrency: a stale resourceVersion is a Conflict; a no-op update writes nothing', async () => {
    const v1 = await cms().create(
      'default',
      { metadata: { name: 'occ' }, data: { a: '1' } } as ConfigMap,
      ctx(),
      write,
    );
    const v2 = (await cms().update(
      'default',
      'occ',
      { ...v1, data: { a: '2' } } as ConfigMap,
      '',
      ctx(),
      write,
    )) as ConfigMap;
    assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
    assert.equal(v2.metadata.uid, v1.metadata.uid);
    assert.equal(v2.metadata.creationTimestamp, v1.metadata.creationTimestamp);
    await rejectsWith(
      cms().update('default', 'occ', { ...v1, data: { a: '3' } } as ConfigMap, '', ctx(), write),
      'Conflict',
      /the object has been modified/,
    );
    const same = await cms().update('default', 'occ', v2, '', ctx(), write);
    assert.equal(same.metadata.resourceVersion, v2.metadata.resourceVersion);
    await rejectsWith(
      cms().update('default', 'occ', { ...v2, metadata: { ...v2.metadata, name: 'other' } }, '', ctx(), write),
      'BadRequest',
      /does not match the name on the URL/,
    );
  });

  it('dry run validates and answers but stores nothing', async () => {
    const dry = await cms().create('default', { metadata: { name: 'dry' } }, ctx(), { dryRun: true });
    assert.equal(dry.metadata.name, 'dry');
    await rejectsWith(cms().get('default', 'dry'), 'NotFound');
  });

  it('lists with selectors and in chunks with continue tokens', async () => {
    for (let i = 0; i < 7; i++) {
      await cms().create(
        'kube-public',
        { metadata: { name: `c${i}`, labels: { parity: i % 2 ? 'odd' : 'even' } } },
        ctx(),
        write,
      );
    }
    const all = await cms().list({ namespace: 'kube-public', filter: EVERYTHING });
    assert.equal(all.items.length, 7);
    const odd = await cms().list({ namespace: 'kube-public', filter: parseFilter('configmaps', 'parity=odd', null) });
    assert.deepEqual(
      odd.items.map((o) => o.metadata.name),
      ['c1', 'c3', 'c5'],
    );
    const byName = await cms().list({
      namespace: 'kube-public',
      filter: parseFilter('configmaps', null, 'metadata.name=c4'),
    });
    assert.deepEqual(
      byName.items.map((o) => o.metadata.name),
      ['c4'],
    );
    assert.throws(() => parseFilter('configmaps', null, 'spec.nodeName=x'), /field label not supported: spec.nodeName/);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await cms().list({ namespace: 'kube-public', filter: EVERYTHING, limit: 3, continueToken: token });
      seen.push(...page.items.map((o) => o.metadata.name!));
      if (page.continueToken) assert.equal(page.remainingItemCount, 7 - seen.length);
      token = page.continueToken;
      pages++;
    } while (token && pages < 10);
    assert.deepEqual(seen, ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    assert.equal(pages, 3);
    await rejectsWith(
      cms().list({ namespace: 'kube-public', filter: EVERYTHING, continueToken: 'garbage' }),
      'BadRequest',
      /continue key is not valid/,
    );
  });

  it('delete honours uid and resourceVersion preconditions', async () => {
    const cm = await cms().create('default', { metadata: { name: 'del' } }, ctx(), write);
    await rejectsWith(
      cms().delete('default', 'del', { uid: 'nope' }, write),
      'Conflict',
      /Precondition failed: UID in precondition: nope/,
    );
    await rejectsWith(
      cms().delete('default', 'del', { resourceVersion: '1' }, write),
      'Conflict',
      /Precondition failed: ResourceVersion/,
    );
    const gone = await cms().delete('default', 'del', { uid: cm.metadata.uid }, write);
    assert.equal(gone.metadata.name, 'del');
    await rejectsWith(cms().get('default', 'del'), 'NotFound');
  });

  it('status is written only through /status; the main resource keeps it', async () => {
    const pods = regs.get('', 'pods')!;
    const pod = (await pods.create(
      'default',
      {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
        status: { phase: 'Running' },
      } as Pod,
      ctx(),
      write,
    )) as Pod;
    assert.equal(pod.status?.phase, 'Pending', 'clients cannot set status on create');
    const viaMain = (await pods.update(
      'default',
      'p',
      { ...pod, status: { phase: 'Failed' } } as Pod,
      '',
      ctx(),
      write,
    )) as Pod;
    assert.equal(viaMain.status?.phase, 'Pending');
    const viaStatus = (await pods.update(
      'default',
      'p',
      { ...pod, metadata: { ...pod.metadata, labels: { sneaky: 'y' } }, status: { phase: 'Running' } } as Pod,
      'status',
      ctx(),
      write,
    )) as Pod;
    assert.equal(viaStatus.status?.phase, 'Running');
    assert.equal(viaStatus.metadata.labels, undefined, '/status does not change metadata');
    await rejectsWith(pods.update('default', 'p', viaStatus, 'approval', ctx(), write), 'NotFound');
  });

  it('folds Secret stringData into data', async () => {
    const s = (await regs
      .get('', 'secrets')!
      .create(
        'default',
        { metadata: { name: 's' }, stringData: { password: 'hunter2' } } as Secret,
        ctx(),
        write,
      )) as Secret;
    assert.equal(s.stringData, undefined);
    assert.equal(Buffer.from(s.data!.password!, 'base64').toString(), 'hunter2');
    assert.equal(s.type, 'Opaque');
  });

  it('survives a reopen with the same objects and revisions', async () => {
    const before = (await cms().get('default', 'occ')) as KubeObject;
    await store.close();
    store = await openSqliteStore(dir);
    regs = new Registries(store);
    const again = await regs.get('', 'configmaps')!.get('default', 'occ');
    assert.equal(again.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(again.metadata.uid, before.metadata.uid);
  });
});
