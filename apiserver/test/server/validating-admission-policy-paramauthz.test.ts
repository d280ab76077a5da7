// Who may point a policy at parameters (upstream's validatingadmissionpolicy{,binding}/authz.go),
// with real kubectl as a user who may write policies and bindings but not read ConfigMaps: a
// paramKind needs "get" on all objects of the kind, a paramRef "get" on the object it names;
// system:masters is exempt; an update that keeps the paramKind / paramRef is not asked again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueClient } from './fixture.ts';
import {
  api,
  binding,
  type Env,
  type Json,
  kubectlFile,
  policy,
  startEnv,
} from './validating-admission-policy-fixture.ts';

describe('ValidatingAdmissionPolicy paramKind and paramRef need read access', () => {
  let env: Env;
  let author: string;
  const rbac = (objects: Json[]) => kubectlFile(env, 'apply', objects);
  const clusterRole = (name: string, rules: Json[]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules,
  });
  const bind = (name: string, role: string, ns?: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: ns ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: ns ? { name, namespace: ns } : { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'policy-author' }],
  });
  const withParams = (name: string) => {
    const p = policy(name, 'paramauthz', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      validations: [{ expression: 'true' }],
    });
    delete p.spec.matchConstraints.namespaceSelector;
    return p;
  };

  before(async () => {
    env = await startEnv();
    author = (await issueClient(env.f, 'policy-author', ['authors'])).kubeconfig;
    const applied = await rbac([
      clusterRole('policy-writer', [
        {
          apiGroups: ['admissionregistration.k8s.io'],
          resources: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
          verbs: ['*'],
        },
      ]),
      bind('policy-writer', 'policy-writer'),
      clusterRole('configmap-reader', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]),
    ]);
    assert.equal(applied.status, 0, applied.err);
  });
  after(async () => {
    await env?.close();
  });

  it('a paramKind the user cannot read is Forbidden on spec.paramKind; one it can read is accepted', async () => {
    const refused = await kubectlFile(env, 'create', [withParams('p1.example.com')], author);
    assert.notEqual(refused.status, 0);
    assert.match(
      refused.err,
      /The ValidatingAdmissionPolicy "p1\.example\.com" is invalid: spec\.paramKind: Forbidden: user &\{policy-author {2}\[authors system:authenticated\] map\[authentication\.kubernetes\.io\/credential-id:\[X509SHA256=[0-9a-f]{64}\]\]\} must have "get" permission on all objects of the referenced paramKind \(kind=ConfigMap, apiVersion=v1\)/,
    );
    // Nothing was stored.
    assert.equal(
      (await api(env, 'GET', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/p1.example.com')).code,
      404,
    );
    // Without a paramKind there is nothing to read.
    const plain = policy('p0.example.com', 'paramauthz', { validations: [{ expression: 'true' }] });
    const ok0 = await kubectlFile(env, 'create', [plain], author);
    assert.equal(ok0.status, 0, ok0.err);
    // The cluster admin (system:masters) is not asked.
    const admin = await kubectlFile(env, 'create', [withParams('p2.example.com')]);
    assert.equal(admin.status, 0, admin.err);

    const granted = await rbac([bind('author-reads-configmaps', 'configmap-reader')]);
    assert.equal(granted.status, 0, granted.err);
    const ok = await kubectlFile(env, 'create', [withParams('p1.example.com')], author);
    assert.equal(ok.status, 0, ok.err);
    const removed = await kubectlFile(env, 'delete', [bind('author-reads-configmaps', 'configmap-reader')]);
    assert.equal(removed.status, 0, removed.err);
  });

  it('an update keeping the paramKind is not asked again; changing it is', async () => {
    const label = await kubectlFile(
      env,
      'apply',
      [{ ...withParams('p2.example.com'), metadata: { name: 'p2.example.com', labels: { team: 'blue' } } }],
      author,
    );
    assert.equal(label.status, 0, label.err);
    const changed = withParams('p2.example.com');
    changed.spec.paramKind = { apiVersion: 'v1', kind: 'Secret' };
    const refused = await kubectlFile(env, 'apply', [changed], author);
    assert.notEqual(refused.status, 0);
    assert.match(refused.err, /spec\.paramKind: Forbidden: .* \(kind=Secret, apiVersion=v1\)/);
  });

  it("a binding's paramRef needs get on the named object, in its namespace", async () => {
    const b = binding('b1.example.com', 'p2.example.com', {
      paramRef: { name: 'limits', namespace: 'team-a', parameterNotFoundAction: 'Allow' },
    });
    const refused = await kubectlFile(env, 'create', [b], author);
    assert.notEqual(refused.status, 0);
    assert.match(
      refused.err,
      /The ValidatingAdmissionPolicyBinding "b1\.example\.com" is invalid: spec\.paramRef: Forbidden: user &\{policy-author .*\} does not have "get" permission on the object referenced by paramRef/,
    );
    // Read access in another namespace does not count; in team-a it does.
    for (const ns of ['team-b', 'team-a']) {
      const created = await api(env, 'POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
      assert.equal(created.code, 201);
    }
    assert.equal((await rbac([bind('reads-b', 'configmap-reader', 'team-b')])).status, 0);
    assert.notEqual((await kubectlFile(env, 'create', [b], author)).status, 0);
    assert.equal((await rbac([bind('reads-a', 'configmap-reader', 'team-a')])).status, 0);
    const ok = await kubectlFile(env, 'create', [b], author);
    assert.equal(ok.status, 0, ok.err);
  });
});
