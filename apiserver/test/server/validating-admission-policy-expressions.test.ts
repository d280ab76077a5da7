// ValidatingAdmissionPolicy's expressions against a real apiserver, configured with real kubectl:
// namespaceSelector with namespaceObject and request, match conditions, variables, the authorizer
// (RBAC decisions for users and a service account) and the failure policies. Each test works in its
// own labelled namespace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueClient, kubectl } from './fixture.ts';
import {
  api,
  binding,
  cmPath,
  configMap,
  type Env,
  enforce,
  type Json,
  kubectlFile,
  namespace,
  policy,
  startEnv,
  until,
} from './validating-admission-policy-fixture.ts';

describe('ValidatingAdmissionPolicy expressions', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('namespaceSelector picks namespaces by label; namespaceObject and request are visible', async () => {
    const p = policy('prod-only.example.com', 'unused', {
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
        namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
      },
      validations: [
        {
          expression: 'has(object.data) && object.data.approvedFor == namespaceObject.metadata.labels.env',
          messageExpression:
            "request.operation + ' ' + request.resource.resource + ' in ' + request.namespace + ' needs approvedFor=' + namespaceObject.metadata.labels.env",
        },
      ],
    });
    await enforce(
      env,
      [
        namespace('ns-prod', { env: 'prod' }),
        namespace('ns-dev', { env: 'dev' }),
        p,
        binding('prod-only-binding.example.com', p.metadata.name),
      ],
      'ns-prod',
      configMap('probe'),
    );
    const denied = await api(env, 'POST', cmPath('ns-prod'), configMap('c1', { approvedFor: 'dev' }));
    assert.equal(denied.code, 422);
    assert.match(denied.body.message, /denied request: CREATE configmaps in ns-prod needs approvedFor=prod$/);
    assert.equal((await api(env, 'POST', cmPath('ns-prod'), configMap('c2', { approvedFor: 'prod' }))).code, 201);
    assert.equal((await api(env, 'POST', cmPath('ns-dev'), configMap('c3'))).code, 201);
    // Relabelled into the selector, a namespace is covered from then on.
    assert.equal((await api(env, 'PUT', '/api/v1/namespaces/ns-dev', namespace('ns-dev', { env: 'prod' }))).code, 200);
    assert.ok(await until(async () => (await api(env, 'POST', cmPath('ns-dev'), configMap('c4'))).code === 422));
  });

  it('matchConditions: a false one skips the policy; an error follows failurePolicy (Fail, then Ignore)', async () => {
    const ns = 'conditions';
    const spec = (failurePolicy: string) => ({
      failurePolicy,
      matchConditions: [
        { name: 'not-exempt', expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)" },
        { name: 'team-a', expression: "!has(object.metadata.annotations) || object.metadata.annotations.team == 'a'" },
      ],
      validations: [{ expression: 'has(object.data)', message: 'data is required' }],
    });
    const p = policy('conditions.example.com', ns, spec('Fail'));
    await enforce(
      env,
      [namespace(ns), p, binding('conditions-binding.example.com', p.metadata.name)],
      ns,
      configMap('probe'),
    );
    assert.equal((await api(env, 'POST', cmPath(ns), configMap('exempt', undefined, { exempt: 'yes' }))).code, 201);
    const withAnnotations = (name: string, annotations: Record<string, string>) => ({
      ...configMap(name),
      metadata: { name, annotations },
    });
    assert.equal((await api(env, 'POST', cmPath(ns), withAnnotations('team-b', { team: 'b' }))).code, 201);
    const broken = await api(env, 'POST', cmPath(ns), withAnnotations('no-team', { other: 'x' }));
    assert.equal(broken.code, 422);
    assert.equal(
      broken.body.message,
      "configmaps \"no-team\" is forbidden: ValidatingAdmissionPolicy 'conditions.example.com' with binding 'conditions-binding.example.com' denied request: expression '!has(object.metadata.annotations) || object.metadata.annotations.team == 'a'' resulted in error: no such key: team",
    );
    const refused = await api(env, 'POST', cmPath(ns), configMap('no-data'));
    assert.match(refused.body.message, /denied request: data is required$/);

    const ignore = await kubectlFile(env, 'apply', [policy('conditions.example.com', ns, spec('Ignore'))]);
    assert.equal(ignore.status, 0, ignore.err);
    assert.ok(
      await until(
        async () => (await api(env, 'POST', cmPath(ns), withAnnotations('no-team-2', { other: 'x' }))).code === 201,
      ),
    );
    assert.equal(
      (await api(env, 'POST', cmPath(ns), configMap('still-no-data'))).code,
      422,
      'Ignore is for errors only',
    );
  });

  it('variables: composed in order, evaluated only when read, their errors where they are read', async () => {
    const ns = 'variables';
    const p = policy('variables.example.com', ns, {
      variables: [
        { name: 'keys', expression: 'has(object.data) ? object.data.map(k, k) : []' },
        { name: 'reserved', expression: "variables.keys.filter(k, k.startsWith('x-'))" },
        { name: 'mode', expression: 'object.data.mode' },
      ],
      validations: [
        {
          expression: 'size(variables.reserved) == 0',
          messageExpression: "'reserved keys: ' + variables.reserved.join(', ')",
        },
        {
          expression: "!('checked' in variables.keys) || variables.mode == 'safe'",
          message: 'checked objects must be safe',
        },
      ],
    });
    await enforce(
      env,
      [namespace(ns), p, binding('variables-binding.example.com', p.metadata.name)],
      ns,
      configMap('probe', { 'x-a': '1' }),
    );
    const reserved = await api(env, 'POST', cmPath(ns), configMap('r', { 'x-a': '2', 'x-b': '1', c: '3' }));
    assert.match(reserved.body.message, /denied request: reserved keys: x-a, x-b$/);
    // `mode` is never read here, so its missing key is no error.
    assert.equal((await api(env, 'POST', cmPath(ns), configMap('plain', { c: '3' }))).code, 201);
    assert.equal((await api(env, 'POST', cmPath(ns), configMap('safe', { checked: '1', mode: 'safe' }))).code, 201);
    const unread = await api(env, 'POST', cmPath(ns), configMap('unsafe', { checked: '1' }));
    assert.match(
      unread.body.message,
      /denied request: expression '!\('checked' in variables\.keys\) \|\| variables\.mode == 'safe'' resulted in error: no such key: mode$/,
    );
  });

  it('authorizer: only who may update protections sets the protected label; a service account is asked too', async () => {
    const ns = 'authz';
    const p = policy('protected-label.example.com', ns, {
      variables: [
        {
          name: 'robotMayRead',
          expression: `authorizer.serviceAccount('${ns}', 'robot').group('').resource('secrets').namespace('${ns}').check('get').allowed()`,
        },
      ],
      validations: [
        {
          expression:
            "!has(object.metadata.labels) || !('protected' in object.metadata.labels) || authorizer.group('example.com').resource('protections').namespace(object.metadata.namespace).check('update').allowed()",
          reason: 'Forbidden',
          message: 'only protection updaters may set the protected label',
        },
        {
          expression: "!has(object.data) || !('needs-robot' in object.data) || variables.robotMayRead",
          message: 'the robot cannot read secrets here',
        },
        { expression: "authorizer.requestResource.check('create').allowed()" },
      ],
    });
    const rbac = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'cm-writer', namespace: ns },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'cm-writers', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-writer' },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'protection-updater' },
        rules: [{ apiGroups: ['example.com'], resources: ['protections'], verbs: ['update'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'protection-updaters' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'protection-updater' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
      },
    ];
    const protectedCm = (name: string) => ({
      ...configMap(name, undefined, { protected: 'set' }),
      metadata: { name, namespace: ns, labels: { protected: 'set' } },
    });
    await enforce(
      env,
      [namespace(ns), ...rbac, p, binding('protected-label-binding.example.com', p.metadata.name)],
      ns,
      configMap('probe', { 'needs-robot': 'x' }),
    );
    const [alice, bob] = await Promise.all([issueClient(env.f, 'alice'), issueClient(env.f, 'bob')]);
    const asAlice = await kubectlFile(env, 'create', [protectedCm('by-alice')], alice.kubeconfig);
    assert.notEqual(asAlice.status, 0);
    assert.match(
      asAlice.err,
      /Error from server \(Forbidden\): error when creating "[^"]+": configmaps "by-alice" is forbidden: ValidatingAdmissionPolicy 'protected-label\.example\.com' with binding 'protected-label-binding\.example\.com' denied request: only protection updaters may set the protected label\n$/,
    );
    const asBob = await kubectlFile(env, 'create', [protectedCm('by-bob')], bob.kubeconfig);
    assert.equal(asBob.status, 0, asBob.err);
    const plain = await kubectl({ ...env.f, kubeconfig: alice.kubeconfig }, ['-n', ns, 'create', 'configmap', 'plain']);
    assert.equal(plain.status, 0, plain.err);

    const robot = await api(env, 'POST', cmPath(ns), configMap('robot-1', { 'needs-robot': 'yes' }));
    assert.match(robot.body.message, /denied request: the robot cannot read secrets here$/);
    const grant = await kubectlFile(env, 'create', [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'secret-reader', namespace: ns },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'robot-reads', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: ns }],
      },
    ]);
    assert.equal(grant.status, 0, grant.err);
    assert.ok(
      await until(
        async () => (await api(env, 'POST', cmPath(ns), configMap('robot-2', { 'needs-robot': 'yes' }))).code === 201,
      ),
    );
  });

  it('failurePolicy: an evaluation error denies under Fail with its cause, is ignored under Ignore', async () => {
    const ns = 'failures';
    const spec = (failurePolicy: string) => ({
      failurePolicy,
      validations: [{ expression: "object.data.mode == 'safe'", message: 'mode must be safe' }],
    });
    const p = policy('failures.example.com', ns, spec('Fail'));
    await enforce(
      env,
      [namespace(ns), p, binding('failures-binding.example.com', p.metadata.name)],
      ns,
      configMap('probe'),
    );
    const failed = await kubectlFile(env, 'create', [
      { ...configMap('no-mode', { a: '1' }), metadata: { name: 'no-mode', namespace: ns } },
    ]);
    assert.match(
      failed.err,
      /The configmaps "no-mode" is invalid: : ValidatingAdmissionPolicy 'failures\.example\.com' with binding 'failures-binding\.example\.com' denied request: expression 'object\.data\.mode == 'safe'' resulted in error: no such key: mode\n$/,
    );
    const ignored = await kubectlFile(env, 'apply', [policy('failures.example.com', ns, spec('Ignore'))]);
    assert.equal(ignored.status, 0, ignored.err);
    const generation = (
      await api(env, 'GET', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/failures.example.com')
    ).body.metadata.generation;
    assert.equal(generation, 2);
    assert.ok(
      await until(async () => (await api(env, 'POST', cmPath(ns), configMap('no-mode-2', { a: '1' }))).code === 201),
    );
    const unsafe = await api(env, 'POST', cmPath(ns), configMap('unsafe', { mode: 'fast' }));
    assert.match(unsafe.body.message, /denied request: mode must be safe$/);
    // A paramKind naming no resource is a configuration error of the policy, which Fail turns into a denial.
    const unknown = await kubectlFile(env, 'apply', [
      policy('failures.example.com', ns, {
        ...spec('Fail'),
        paramKind: { apiVersion: 'example.com/v1', kind: 'Limit' },
      }),
    ]);
    assert.equal(unknown.status, 0, unknown.err);
    let denied: Json;
    assert.ok(
      await until(async () => {
        denied = await api(env, 'POST', cmPath(ns), configMap('any', { mode: 'safe' }));
        return denied.code === 422;
      }),
    );
    assert.equal(
      denied.body.message,
      "configmaps \"any\" is forbidden: ValidatingAdmissionPolicy 'failures.example.com' denied request: failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Limit'",
    );
  });

  it('CONNECT: a policy on pods/exec sees PodExecOptions and refuses kubectl exec of a shell', async () => {
    const p = policy('no-shell.example.com', 'connect', {
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CONNECT'], resources: ['pods/exec'] }],
        namespaceSelector: { matchLabels: { 'vap-test': 'connect' } },
      },
      validations: [
        {
          expression: "request.operation == 'CONNECT' && !(object.command[0] in ['sh', 'bash', '/bin/sh'])",
          messageExpression:
            "object.kind + ' ' + object.command[0] + ' in container ' + object.container + ' is refused'",
          reason: 'Forbidden',
        },
      ],
    });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'connect' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    const r = await kubectlFile(env, 'create', [
      namespace('connect'),
      pod,
      p,
      binding('no-shell-binding.example.com', p.metadata.name),
    ]);
    assert.equal(r.status, 0, r.err);
    const exec = (cmd: string) => kubectl(env.f, ['exec', '-n', 'connect', 'p', '--', cmd]);
    assert.ok(await until(async () => /is refused/.test((await exec('sh')).err)), 'the policy never came into force');
    const denied = await exec('sh');
    assert.match(
      denied.err,
      /ValidatingAdmissionPolicy 'no-shell\.example\.com' with binding 'no-shell-binding\.example\.com' denied request: PodExecOptions sh in container c is refused/,
    );
    // Anything else passes admission and goes on to the pod, which has no node here.
    assert.match((await exec('date')).err, /pod p does not have a host assigned/);
  });
});
