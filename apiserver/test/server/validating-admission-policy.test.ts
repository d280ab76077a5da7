// ValidatingAdmissionPolicy enforced by a real apiserver, configured with real kubectl: the docs'
// example as a ConfigMap rule, the Deny/Warn/Audit actions, messages and reasons, params by name and
// by selector, a binding whose deletion stops enforcement, and what no policy applies to. Each test
// works in its own labelled namespace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectl } from './fixture.ts';
import {
  api,
  auditEvents,
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

describe('ValidatingAdmissionPolicy', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it("the docs' example: a limit bound with Deny refuses with upstream's message, allows what fits", async () => {
    const ns = 'classic';
    const limit = policy('demo-policy.example.com', ns, {
      validations: [{ expression: '!has(object.data) || size(object.data) <= 5' }],
    });
    const six = configMap('six', { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' });
    await enforce(env, [namespace(ns), limit, binding('demo-binding-test.example.com', limit.metadata.name)], ns, six);

    const refused = await kubectlFile(env, 'create', [{ ...six, metadata: { ...six.metadata, namespace: ns } }]);
    assert.notEqual(refused.status, 0);
    assert.match(
      refused.err,
      /The configmaps "six" is invalid: : ValidatingAdmissionPolicy 'demo-policy\.example\.com' with binding 'demo-binding-test\.example\.com' denied request: failed expression: !has\(object\.data\) \|\| size\(object\.data\) <= 5\n$/,
    );
    const raw = await api(env, 'POST', cmPath(ns), six);
    assert.equal(raw.code, 422);
    assert.deepEqual(raw.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        "configmaps \"six\" is forbidden: ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: !has(object.data) || size(object.data) <= 5",
      reason: 'Invalid',
      details: {
        name: 'six',
        kind: 'configmaps',
        causes: [
          {
            message:
              "ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: !has(object.data) || size(object.data) <= 5",
          },
        ],
      },
      code: 422,
    });
    const three = await kubectl(env.f, [
      '-n',
      ns,
      'create',
      'configmap',
      'three',
      '--from-literal=a=1',
      '--from-literal=b=2',
    ]);
    assert.equal(three.status, 0, three.err);
    // Updates are checked too, and the policy applies nowhere else.
    const grown = await api(env, 'PUT', cmPath(ns, 'three'), { ...six, metadata: { name: 'three', namespace: ns } });
    assert.equal(grown.code, 422);
    assert.equal((await api(env, 'POST', cmPath('default'), six)).code, 201);
  });

  it('Warn adds a Warning header, Audit the validation_failure annotation; auditAnnotations are published', async () => {
    const ns = 'warned';
    const p = policy('warn-audit.example.com', ns, {
      validations: [
        { expression: "object.metadata.name.startsWith('ok-')", message: 'names start with ok-' },
        {
          expression: "!has(object.data) || !('secret' in object.data)",
          messageExpression: "'key secret in ' + object.metadata.name",
        },
      ],
      auditAnnotations: [
        { key: 'keys', valueExpression: "has(object.data) ? string(size(object.data)) + ' keys' : ''" },
        { key: 'none', valueExpression: 'null' },
      ],
    });
    const r = await kubectlFile(env, 'create', [
      namespace(ns),
      p,
      binding('warn-audit-binding.example.com', p.metadata.name, { validationActions: ['Warn', 'Audit'] }),
    ]);
    assert.equal(r.status, 0, r.err);
    const warning = (msg: string) =>
      `Validation failed for ValidatingAdmissionPolicy 'warn-audit.example.com' with binding 'warn-audit-binding.example.com': ${msg}`;
    let created: Awaited<ReturnType<typeof kubectl>> | undefined;
    assert.ok(
      await until(async () => {
        created = await kubectl(env.f, [
          '-n',
          ns,
          'create',
          'configmap',
          `bad-${Date.now()}`,
          '--from-literal=secret=x',
        ]);
        return created.err.includes('Warning:');
      }),
    );
    assert.equal(created!.status, 0, created!.err);
    const name = /configmap\/(\S+) created/.exec(created!.out)![1]!;
    assert.equal(
      created!.err,
      `Warning: ${warning('names start with ok-')}\nWarning: ${warning(`key secret in ${name}`)}\n`,
    );

    const raw = await api(env, 'POST', cmPath(ns), configMap('bad-raw', { secret: 'x', b: 'y' }));
    assert.equal(raw.code, 201);
    assert.deepEqual(raw.headers.warning, [
      `299 - ${JSON.stringify(warning('names start with ok-'))}`,
      `299 - ${JSON.stringify(warning('key secret in bad-raw'))}`,
    ]);
    const [event] = auditEvents(env, 'bad-raw');
    assert.ok(event, 'no audit event for bad-raw');
    // Each failure is one annotation under the same key: the first is kept, as upstream refuses overwrites.
    assert.deepEqual(JSON.parse(event.annotations?.['validation.policy.admission.k8s.io/validation_failure'] ?? ''), [
      {
        message: 'names start with ok-',
        policy: 'warn-audit.example.com',
        binding: 'warn-audit-binding.example.com',
        expressionIndex: 0,
        validationActions: ['Warn', 'Audit'],
      },
    ]);
    assert.equal(event.annotations?.['warn-audit.example.com/keys'], '2 keys');
    assert.equal(event.annotations?.['warn-audit.example.com/none'], undefined);

    const good = await api(env, 'POST', cmPath(ns), configMap('ok-fine'));
    assert.equal(good.code, 201);
    assert.equal(good.headers.warning, undefined);
    const [quiet] = auditEvents(env, 'ok-fine');
    assert.equal(quiet?.annotations?.['validation.policy.admission.k8s.io/validation_failure'], undefined);
    assert.equal(
      quiet?.annotations?.['warn-audit.example.com/keys'],
      undefined,
      'a blank value excludes the annotation',
    );
  });

  it('messageExpression and reason: Forbidden is a 403 with the computed message; a failing one falls back', async () => {
    const ns = 'reasons';
    const p = policy('reasons.example.com', ns, {
      validations: [
        {
          expression: "!has(object.data) || !('owner' in object.data)",
          reason: 'Forbidden',
          messageExpression: "'owner ' + object.data.owner + ' may not be set by ' + request.userInfo.username",
        },
        {
          expression: "!has(object.data) || !('size' in object.data)",
          reason: 'RequestEntityTooLarge',
          message: 'no size here',
          messageExpression: "'size: ' + object.data.nope",
        },
      ],
    });
    await enforce(
      env,
      [namespace(ns), p, binding('reasons-binding.example.com', p.metadata.name)],
      ns,
      configMap('x', { owner: 'x' }),
    );
    const forbidden = await api(env, 'POST', cmPath(ns), configMap('owned', { owner: 'bob' }));
    assert.equal(forbidden.code, 403);
    assert.equal(forbidden.body.reason, 'Forbidden');
    assert.equal(
      forbidden.body.message,
      "configmaps \"owned\" is forbidden: ValidatingAdmissionPolicy 'reasons.example.com' with binding 'reasons-binding.example.com' denied request: owner bob may not be set by kubernetes-admin",
    );
    const big = await api(env, 'POST', cmPath(ns), configMap('sized', { size: '1' }));
    assert.equal(big.code, 413);
    assert.equal(big.body.reason, 'RequestEntityTooLarge');
    assert.match(big.body.message, /denied request: no size here$/);
    const k = await kubectl(env.f, ['-n', ns, 'create', 'configmap', 'owned2', '--from-literal=owner=carol']);
    assert.match(
      k.err,
      /^error: failed to create configmap: configmaps "owned2" is forbidden: ValidatingAdmissionPolicy 'reasons\.example\.com' with binding 'reasons-binding\.example\.com' denied request: owner carol may not be set by kubernetes-admin\n$/,
    );
  });

  it('params: a ConfigMap by name, by selector (one evaluation each), and parameterNotFoundAction', async () => {
    const ns = 'params';
    const p = policy('params.example.com', ns, {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      validations: [
        {
          expression: '!has(object.data) || size(object.data) <= int(params.data.maxKeys)',
          messageExpression: "'at most ' + params.data.maxKeys + ' keys (' + params.metadata.name + ')'",
        },
      ],
    });
    const limits = (name: string, max: string, labels?: Record<string, string>) => ({
      ...configMap(name, { maxKeys: max }, labels),
      metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
    });
    await enforce(
      env,
      [
        namespace(ns),
        limits('limit-two', '2'),
        p,
        binding('params-by-name.example.com', p.metadata.name, {
          paramRef: { name: 'limit-two', namespace: 'default', parameterNotFoundAction: 'Deny' },
        }),
      ],
      ns,
      configMap('probe', { a: '1', b: '2', c: '3' }),
    );
    const three = await api(env, 'POST', cmPath(ns), configMap('three', { a: '1', b: '2', c: '3' }));
    assert.equal(three.code, 422);
    assert.match(
      three.body.message,
      /binding 'params-by-name\.example\.com' denied request: at most 2 keys \(limit-two\)$/,
    );
    assert.equal((await api(env, 'POST', cmPath(ns), configMap('two', { a: '1', b: '2' }))).code, 201);

    // A param that changes is read as it is now.
    assert.equal((await api(env, 'PUT', cmPath('default', 'limit-two'), limits('limit-two', '3'))).code, 200);
    assert.ok(
      await until(
        async () =>
          (await api(env, 'POST', `${cmPath(ns)}?dryRun=All`, configMap('t', { a: '1', b: '2', c: '3' }))).code === 201,
      ),
    );

    // Missing: Deny is a configuration error (failurePolicy Fail), Allow skips the binding.
    assert.equal((await api(env, 'DELETE', cmPath('default', 'limit-two'))).code, 200);
    let missing: Json;
    assert.ok(
      await until(async () => {
        missing = await api(env, 'POST', cmPath(ns), configMap('after', { a: '1' }));
        return missing.code === 422;
      }),
    );
    assert.equal(
      missing.body.message,
      "configmaps \"after\" is forbidden: ValidatingAdmissionPolicy 'params.example.com' with binding 'params-by-name.example.com' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction",
    );
    const allow = await kubectlFile(env, 'apply', [
      binding('params-by-name.example.com', p.metadata.name, {
        paramRef: { name: 'limit-two', namespace: 'default', parameterNotFoundAction: 'Allow' },
      }),
    ]);
    assert.equal(allow.status, 0, allow.err);
    assert.ok(
      await until(
        async () =>
          (await api(env, 'POST', cmPath(ns), configMap('allowed', { a: '1', b: '2', c: '3', d: '4' }))).code === 201,
      ),
    );

    // By selector, in the request's own namespace: every matching param must pass.
    const sel = await kubectlFile(env, 'create', [
      {
        ...limits('tier-a', '1', { tier: 'limits' }),
        metadata: { name: 'tier-a', namespace: ns, labels: { tier: 'limits' } },
      },
      {
        ...limits('tier-b', '3', { tier: 'limits' }),
        metadata: { name: 'tier-b', namespace: ns, labels: { tier: 'limits' } },
      },
      binding('params-by-selector.example.com', p.metadata.name, {
        paramRef: { selector: { matchLabels: { tier: 'limits' } }, parameterNotFoundAction: 'Deny' },
      }),
    ]);
    assert.equal(sel.status, 0, sel.err);
    let two: Json;
    assert.ok(
      await until(async () => {
        two = await api(env, 'POST', cmPath(ns), configMap('sel-two', { tier: 'x', b: '2' }));
        return two.code === 422;
      }),
    );
    assert.match(
      two.body.message,
      /binding 'params-by-selector\.example\.com' denied request: at most 1 keys \(tier-a\)$/,
    );
    assert.equal(two.body.details.causes.length, 1);
    const table = await kubectl(env.f, ['get', 'validatingadmissionpolicybindings']);
    assert.match(table.out, /params-by-name\.example\.com\s+params\.example\.com\s+default\/limit-two\s+\d+s\n/);
    assert.match(
      table.out,
      /params-by-selector\.example\.com\s+params\.example\.com\s+&LabelSelector\{MatchLabels:map\[string\]string\{tier: limits,\},MatchExpressions:\[\]LabelSelectorRequirement\{\},\}\s+\d+s\n/,
    );
    for (const b of ['params-by-name.example.com', 'params-by-selector.example.com']) {
      assert.equal(
        (await api(env, 'DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${b}`)).code,
        200,
      );
    }
  });

  it('a binding enforces; deleting it stops enforcement at once; a binding to a missing policy does nothing', async () => {
    const ns = 'lifecycle';
    const p = policy('lifecycle.example.com', ns, { validations: [{ expression: 'false', message: 'closed' }] });
    const orphan = await kubectlFile(env, 'create', [
      namespace(ns),
      binding('lifecycle-binding.example.com', p.metadata.name),
    ]);
    assert.equal(orphan.status, 0, orphan.err);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await api(env, 'POST', cmPath(ns), configMap('before-policy'))).code, 201);
    await enforce(env, [p], ns, configMap('probe'));
    assert.equal((await api(env, 'POST', cmPath(ns), configMap('closed'))).code, 422);

    const del = await kubectl(env.f, ['delete', 'validatingadmissionpolicybinding', 'lifecycle-binding.example.com']);
    assert.equal(del.status, 0, del.err);
    const started = Date.now();
    assert.ok(
      await until(
        async () => (await api(env, 'POST', `${cmPath(ns)}?dryRun=All`, configMap('open'))).code === 201,
        1000,
      ),
      'still enforced 1s after the binding was deleted',
    );
    assert.ok(Date.now() - started < 1000);
    // The policy is still there, and without a binding does nothing.
    assert.equal(
      (await api(env, 'GET', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/lifecycle.example.com'))
        .code,
      200,
    );
    assert.equal((await api(env, 'POST', cmPath(ns), configMap('open'))).code, 201);
  });

  it('policies never apply to policies and bindings, which stay deletable; webhook configurations are covered', async () => {
    const lock = { 'lock-test': 'locked' };
    const p = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'lock.example.com', labels: lock },
      spec: {
        matchConstraints: {
          resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'] }],
          objectSelector: { matchLabels: lock },
        },
        validations: [{ expression: 'false', message: 'locked' }],
      },
    };
    const b = {
      ...binding('lock-binding.example.com', 'lock.example.com'),
      metadata: { name: 'lock-binding.example.com', labels: lock },
    };
    const made = await kubectlFile(env, 'create', [p, b]);
    assert.equal(made.status, 0, made.err);
    assert.ok(
      await until(
        async () => (await api(env, 'POST', cmPath('default'), configMap('locked', undefined, lock))).code === 422,
      ),
    );
    const hook = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'locked-hook', labels: lock },
      webhooks: [
        {
          name: 'a.example.com',
          clientConfig: { url: 'https://127.0.0.1:1/' },
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    };
    const hookRefused = await api(
      env,
      'POST',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
      hook,
    );
    assert.equal(hookRefused.code, 422);
    assert.match(
      hookRefused.body.message,
      /^validatingwebhookconfigurations\.admissionregistration\.k8s\.io "locked-hook" is forbidden: ValidatingAdmissionPolicy 'lock\.example\.com' with binding 'lock-binding\.example\.com' denied request: locked$/,
    );
    const relabelled = await kubectl(env.f, ['label', 'validatingadmissionpolicy', 'lock.example.com', 'touched=yes']);
    assert.equal(relabelled.status, 0, relabelled.err);
    const removed = await kubectl(env.f, [
      'delete',
      'validatingadmissionpolicybinding,validatingadmissionpolicy',
      '-l',
      'lock-test=locked',
    ]);
    assert.equal(removed.status, 0, removed.err);
    assert.match(
      removed.out,
      /validatingadmissionpolicybinding.admissionregistration.k8s.io "lock-binding.example.com" deleted/,
    );
    assert.ok(
      await until(
        async () => (await api(env, 'POST', cmPath('default'), configMap('unlocked', undefined, lock))).code === 201,
      ),
    );
  });
});
