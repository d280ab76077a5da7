// OwnerReferencesPermissionEnforcement through the real server, RBAC and the real kubectl: giving an
// existing object owners needs `delete` on it; a reference that blocks its owner's deletion needs
// `update` on the owner's finalizers. Off by default, as upstream.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, OwnerReference } from '@mkube/shared/api';
import { type Fixture, kubectl, startFixture } from '../server/fixture.ts';

describe('OwnerReferencesPermissionEnforcement', () => {
  let fx: Fixture;
  let plain: Fixture;
  before(async () => {
    [fx, plain] = await Promise.all([
      startFixture(['--authorization-mode=RBAC', '--enable-admission-plugins=OwnerReferencesPermissionEnforcement']),
      startFixture(['--authorization-mode=RBAC']),
    ]);
    for (const f of [fx, plain]) {
      for (const args of [
        ['create', 'role', 'cm-editor', '--verb=create,get,list,update,patch', '--resource=configmaps'],
        ['create', 'rolebinding', 'bob-cm', '--role=cm-editor', '--user=bob'],
        ['create', 'configmap', 'owner'],
      ]) {
        const r = await kubectl(f, args);
        assert.equal(r.status, 0, r.err);
      }
    }
  });
  after(async () => Promise.all([fx?.close(), plain?.close()]));

  const ownerRef = async (f: Fixture, block: boolean): Promise<OwnerReference> => {
    const o = JSON.parse((await kubectl(f, ['get', 'configmap', 'owner', '-o', 'json'])).out) as ConfigMap;
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'owner',
      uid: o.metadata.uid!,
      ...(block ? { blockOwnerDeletion: true } : {}),
    };
  };
  /** kubectl as bob, with a ConfigMap manifest. */
  const asBob = async (f: Fixture, verb: 'create' | 'replace', name: string, refs: OwnerReference[], data = {}) => {
    const file = join(f.dir, `${name}-${Date.now()}.json`);
    const cur =
      verb === 'replace'
        ? (JSON.parse((await kubectl(f, ['get', 'configmap', name, '-o', 'json'])).out) as ConfigMap)
        : undefined;
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, ...(cur ? { resourceVersion: cur.metadata.resourceVersion } : {}), ownerReferences: refs },
        data,
      }),
    );
    return kubectl(f, ['--as=bob', verb, '-f', file]);
  };

  it('creating an object with owners is allowed: its creator could have not created it', async () => {
    const r = await asBob(fx, 'create', 'made-owned', [await ownerRef(fx, false)]);
    assert.equal(r.status, 0, r.err);
  });

  it('changing the owners of an existing object needs delete on it; other changes do not', async () => {
    assert.equal((await asBob(fx, 'create', 'free', [])).status, 0);
    const r = await asBob(fx, 'replace', 'free', [await ownerRef(fx, false)]);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /configmaps "free" is forbidden: cannot set an ownerRef on a resource you can't delete/);
    // Same owners, new data: fine.
    const same = await asBob(fx, 'replace', 'made-owned', [await ownerRef(fx, false)], { k: 'v' });
    assert.equal(same.status, 0, same.err);
    // With delete on configmaps the change goes through.
    assert.equal(
      (await kubectl(fx, ['create', 'role', 'cm-deleter', '--verb=delete', '--resource=configmaps'])).status,
      0,
    );
    assert.equal(
      (await kubectl(fx, ['create', 'rolebinding', 'bob-del', '--role=cm-deleter', '--user=bob'])).status,
      0,
    );
    const ok = await asBob(fx, 'replace', 'free', [await ownerRef(fx, false)]);
    assert.equal(ok.status, 0, ok.err);
  });

  it('blockOwnerDeletion needs update on the owner’s finalizers, even on create', async () => {
    const r = await asBob(fx, 'create', 'blocking', [await ownerRef(fx, true)]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /configmaps "blocking" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on/,
    );
    for (const args of [
      ['create', 'role', 'cm-finalizers', '--verb=update', '--resource=configmaps/finalizers', '--resource-name=owner'],
      ['create', 'rolebinding', 'bob-fin', '--role=cm-finalizers', '--user=bob'],
    ]) {
      const g = await kubectl(fx, args);
      assert.equal(g.status, 0, g.err);
    }
    const ok = await asBob(fx, 'create', 'blocking', [await ownerRef(fx, true)]);
    assert.equal(ok.status, 0, ok.err);
  });

  it('is off by default', async () => {
    assert.equal((await asBob(plain, 'create', 'free', [])).status, 0);
    const r = await asBob(plain, 'replace', 'free', [await ownerRef(plain, true)]);
    assert.equal(r.status, 0, r.err);
  });
});
