// RBAC escalation prevention with the real kubectl: a user allowed to create roles and bindings
// cannot grant more than it holds, cannot bind cluster-admin, and can with `escalate`/`bind`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { missingRules } from '../../src/auth/rbac/escalation.ts';
import { type Fixture, issueClient, kubectl, startFixture } from '../server/fixture.ts';

describe('RBAC escalation prevention', () => {
  let fx: Fixture;
  let carol: { kubeconfig: string; dir: string };
  const admin = async (args: string[]) => {
    const r = await kubectl(fx, args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.err}`);
  };
  before(async () => {
    fx = await startFixture(['--authorization-mode=RBAC']);
    carol = await issueClient(fx, 'carol', ['team']);
    // carol manages RBAC objects in "default" and may read configmaps there, nothing more.
    await admin([
      'create',
      'role',
      'rbac-manager',
      '-n',
      'default',
      '--verb=create,get,list,update',
      '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io',
    ]);
    await admin(['create', 'role', 'cm-reader', '-n', 'default', '--verb=get,list', '--resource=configmaps']);
    await admin(['create', 'rolebinding', 'carol-rbac', '-n', 'default', '--role=rbac-manager', '--user=carol']);
    await admin(['create', 'rolebinding', 'carol-cm', '-n', 'default', '--role=cm-reader', '--user=carol']);
    await new Promise((r) => setTimeout(r, 300));
  });
  after(async () => fx?.close());
  const asCarol = (args: string[]) => kubectl({ kubeconfig: carol.kubeconfig, dir: carol.dir }, args);

  it('may create a role within what she holds, not one granting more', async () => {
    let r = await asCarol(['create', 'role', 'ok-role', '-n', 'default', '--verb=get', '--resource=configmaps']);
    assert.equal(r.status, 0, r.err);
    r = await asCarol(['create', 'role', 'too-much', '-n', 'default', '--verb=get', '--resource=secrets']);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /roles.rbac.authorization.k8s.io "too-much" is forbidden: user "carol" \(groups=\["team" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}/,
    );
    assert.notEqual((await kubectl(fx, ['get', 'role', 'too-much', '-n', 'default'])).status, 0);
  });

  it('cannot bind cluster-admin, can bind a role within her rights', async () => {
    let r = await asCarol([
      'create',
      'rolebinding',
      'pwn',
      '-n',
      'default',
      '--clusterrole=cluster-admin',
      '--user=carol',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /rolebindings.rbac.authorization.k8s.io "pwn" is forbidden: user "carol" .* is attempting to grant RBAC permissions not currently held/,
    );
    r = await asCarol(['create', 'rolebinding', 'share', '-n', 'default', '--role=cm-reader', '--user=dave']);
    assert.equal(r.status, 0, r.err);
  });

  it('needs full authority, not just the rules, to set an aggregationRule on a ClusterRole', async () => {
    await admin([
      'create',
      'clusterrole',
      'cr-writer',
      '--verb=create',
      '--resource=clusterroles.rbac.authorization.k8s.io',
    ]);
    await admin(['create', 'clusterrolebinding', 'carol-cr', '--clusterrole=cr-writer', '--user=carol']);
    // A role with rules she holds goes through once the binding is seen; one that aggregates does not.
    let r = { status: 1, err: '' };
    for (let i = 0; i < 30 && r.status !== 0; i++) {
      r = await asCarol([
        'create',
        'clusterrole',
        'cr-plain',
        '--verb=create',
        '--resource=clusterroles.rbac.authorization.k8s.io',
      ]);
      if (r.status !== 0) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(r.status, 0, r.err);
    r = await asCarol([
      'create',
      'clusterrole',
      'cr-agg',
      '--aggregation-rule=rbac.authorization.k8s.io/aggregate-to-view=true',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /clusterroles.rbac.authorization.k8s.io "cr-agg" is forbidden: must have cluster-admin privileges to use the aggregationRule/,
    );
  });

  it('with `bind` on cluster-admin she may bind it; with `escalate` she may write any role', async () => {
    await admin([
      'create',
      'role',
      'binder',
      '-n',
      'default',
      '--verb=bind,escalate',
      '--resource=clusterroles.rbac.authorization.k8s.io,roles.rbac.authorization.k8s.io',
    ]);
    await admin(['create', 'rolebinding', 'carol-binder', '-n', 'default', '--role=binder', '--user=carol']);
    let ok = false;
    let r = { status: 1, err: '' };
    for (let i = 0; i < 30 && !ok; i++) {
      r = await asCarol([
        'create',
        'rolebinding',
        'admin-here',
        '-n',
        'default',
        '--clusterrole=cluster-admin',
        '--user=carol',
      ]);
      ok = r.status === 0;
      if (!ok) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(ok, r.err);
  });

  it('compares rules permission by permission', () => {
    const held = [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] },
      { verbs: ['get'], nonResourceURLs: ['/healthz*'] },
    ];
    assert.deepEqual(missingRules(held, [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]), []);
    assert.deepEqual(missingRules(held, [{ verbs: ['get'], nonResourceURLs: ['/healthz/etcd'] }]), []);
    assert.deepEqual(missingRules(held, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]), [
      { verbs: ['delete'], apiGroups: [''], resources: ['pods'] },
    ]);
    const named = [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }];
    assert.deepEqual(
      missingRules(named, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }]),
      [],
    );
    assert.equal(
      missingRules(named, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).length,
      1,
      'a name does not cover all names',
    );
  });
});
