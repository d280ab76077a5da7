// Namespace deletion as in Kubernetes, with real kubectl: the namespace turns Terminating, the
// namespace controller deletes what is in it (found by discovery), says in its conditions what is
// left and why, and removes the namespace through /finalize once it is empty; nothing new may be
// created in it meanwhile.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Namespace } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

describe('namespace-controller', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.startKcm();
  });
  after(async () => c?.close());

  const k = (args: string[]) => kubectl(c.fx, args);
  const gone = (what: string, args: string[]) =>
    waitFor(`${what} gone`, async () => ((await k(args)).err.includes('NotFound') ? true : undefined), 20_000);

  it('deletes an empty namespace; kubectl delete waits for it', async () => {
    assert.equal((await k(['create', 'namespace', 'quick'])).status, 0);
    const created = await c.admin
      .resource<Namespace>({ group: '', version: 'v1', resource: 'namespaces' })
      .get('quick');
    assert.deepEqual(created.spec?.finalizers, ['kubernetes']);
    const del = await k(['delete', 'namespace', 'quick']);
    assert.equal(del.status, 0, del.err);
    assert.match(del.out, /namespace "quick" deleted/);
    assert.match((await k(['get', 'namespace', 'quick'])).err, /namespaces "quick" not found/);
  });

  it('empties a Terminating namespace, reports what a finalizer holds, and goes once it is released', async () => {
    assert.equal((await k(['create', 'namespace', 'doomed'])).status, 0);
    const file = join(c.fx.dir, 'doomed.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: plain, namespace: doomed}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: held, namespace: doomed, finalizers: [example.com/hold]}',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: s, namespace: doomed}',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: Role',
        'metadata: {name: r, namespace: doomed}',
        'rules: []',
        '',
      ].join('\n'),
    );
    const applied = await k(['apply', '-f', file]);
    assert.equal(applied.status, 0, applied.err);

    const del = await k(['delete', 'namespace', 'doomed', '--wait=false']);
    assert.equal(del.status, 0, del.err);
    const ns = await waitFor('the content-remaining condition', async () => {
      const n = await c.admin.resource<Namespace>({ group: '', version: 'v1', resource: 'namespaces' }).get('doomed');
      const rem = n.status?.conditions?.find((x) => x.type === 'NamespaceContentRemaining');
      return rem?.status === 'True' ? n : undefined;
    });
    assert.equal(ns.status?.phase, 'Terminating');
    const cond = (t: string) => ns.status?.conditions?.find((x) => x.type === t);
    assert.equal(
      cond('NamespaceContentRemaining')?.message,
      'Some resources are remaining: configmaps has 1 resource instances',
    );
    assert.equal(
      cond('NamespaceFinalizersRemaining')?.message,
      'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
    );
    assert.equal(cond('NamespaceDeletionContentFailure')?.status, 'False');
    // Everything without a finalizer is gone already.
    assert.match((await k(['get', 'secret', 's', '-n', 'doomed'])).err, /NotFound/);
    assert.match((await k(['get', 'role', 'r', '-n', 'doomed'])).err, /NotFound/);
    assert.match((await k(['get', 'configmap', 'plain', '-n', 'doomed'])).err, /NotFound/);
    const table = await k(['get', 'namespace', 'doomed', '--no-headers']);
    assert.match(table.out, /^doomed\s+Terminating\s/);
    // No new content in a namespace being deleted.
    const create = await k(['create', 'configmap', 'late', '-n', 'doomed']);
    assert.notEqual(create.status, 0);
    assert.match(create.err, /unable to create new content in namespace doomed because it is being terminated/);

    const release = await k([
      'patch',
      'configmap',
      'held',
      '-n',
      'doomed',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    assert.equal(release.status, 0, release.err);
    await gone('the namespace', ['get', 'namespace', 'doomed']);
  });
});
