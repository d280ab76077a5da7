// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding as served APIs, with real kubectl
// (the newest and 1.27): discovery, the v1 defaults, upstream's table columns, describe, generation
// and the status subresource, and upstream's validation errors (CEL compiled at write time).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectl, kubectlBinary } from './fixture.ts';
import {
  API,
  api,
  binding,
  type Env,
  type Json,
  kubectlFile,
  policy,
  startEnv,
} from './validating-admission-policy-fixture.ts';

describe('ValidatingAdmissionPolicy API', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('is discovered, created with the v1 defaults, listed, described, updated and deleted with kubectl', async () => {
    const resources = await kubectl(env.f, ['api-resources', '--api-group=admissionregistration.k8s.io', '-o', 'wide']);
    assert.match(
      resources.out,
      /\nvalidatingadmissionpolicies\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingAdmissionPolicy\s+create,delete,deletecollection,get,list,patch,update,watch\s+api-extensions\n/,
    );
    assert.match(
      resources.out,
      /\nvalidatingadmissionpolicybindings\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingAdmissionPolicyBinding\s+create,delete,deletecollection,get,list,patch,update,watch\s+api-extensions\n/,
    );
    const p = policy('api.example.com', 'api', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      validations: [{ expression: 'true' }, { expression: "object.metadata.name != ''" }],
    });
    delete p.spec.matchConstraints.namespaceSelector;
    const b = binding('api-binding.example.com', 'api.example.com', {
      paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Allow' },
      matchResources: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
      },
    });
    const created = await kubectlFile(env, 'apply', [p, b]);
    assert.equal(created.status, 0, created.err);
    assert.match(created.out, /validatingadmissionpolicy.admissionregistration.k8s.io\/api.example.com created\n/);

    const got: Json = (await api(env, 'GET', `${API}/validatingadmissionpolicies/api.example.com`)).body;
    assert.equal(got.metadata.generation, 1);
    assert.equal(got.spec.failurePolicy, 'Fail');
    assert.deepEqual(got.spec.matchConstraints, {
      resourceRules: [
        {
          apiGroups: [''],
          apiVersions: ['v1'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['configmaps'],
          scope: '*',
        },
      ],
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
    });
    assert.deepEqual(got.status, {});
    const gotBinding: Json = (await api(env, 'GET', `${API}/validatingadmissionpolicybindings/api-binding.example.com`))
      .body;
    assert.equal(gotBinding.metadata.generation, 1);
    assert.deepEqual(gotBinding.spec.matchResources, {
      resourceRules: [
        { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'], scope: '*' },
      ],
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
    });

    const [table, oldTable, bindings, described] = await Promise.all([
      kubectl(env.f, ['get', 'validatingadmissionpolicies']),
      kubectl(env.f, ['get', 'validatingadmissionpolicy', 'api.example.com'], kubectlBinary(27)),
      kubectl(env.f, ['get', 'validatingadmissionpolicybindings']),
      kubectl(env.f, ['describe', 'validatingadmissionpolicy', 'api.example.com']),
    ]);
    assert.match(
      table.out,
      /^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\napi\.example\.com\s+2\s+v1\/ConfigMap\s+\d+s\n$/,
      table.err,
    );
    assert.match(
      oldTable.out,
      /^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\napi\.example\.com\s+2\s+v1\/ConfigMap\s+\d+s\n$/,
      oldTable.err,
    );
    assert.match(
      bindings.out,
      /^NAME\s+POLICYNAME\s+PARAMREF\s+AGE\napi-binding\.example\.com\s+api\.example\.com\s+default\/limits\s+\d+s\n$/,
      bindings.err,
    );
    assert.match(described.out, /^Name:\s+api\.example\.com\n/);
    assert.match(described.out, /Failure Policy:\s+Fail/);
    assert.match(described.out, /Expression:\s+object\.metadata\.name != ''/);

    // A changed spec moves the generation; the same spec applied again (only defaults differ) does not.
    const changed = await kubectlFile(env, 'apply', [
      { ...p, spec: { ...p.spec, validations: [{ expression: 'true' }] } },
      { ...b, spec: { ...b.spec, validationActions: ['Warn', 'Audit'] } },
    ]);
    assert.equal(changed.status, 0, changed.err);
    const again = await kubectlFile(env, 'apply', [
      { ...p, spec: { ...p.spec, validations: [{ expression: 'true' }] } },
    ]);
    assert.equal(again.status, 0, again.err);
    const after1: Json = (await api(env, 'GET', `${API}/validatingadmissionpolicies/api.example.com`)).body;
    assert.equal(after1.metadata.generation, 2);
    assert.equal(
      (await api(env, 'GET', `${API}/validatingadmissionpolicybindings/api-binding.example.com`)).body.metadata
        .generation,
      2,
    );

    // Status is written through /status only, and does not move the generation.
    const status = { observedGeneration: 2, typeChecking: {} };
    const main = await api(env, 'PUT', `${API}/validatingadmissionpolicies/api.example.com`, { ...after1, status });
    assert.equal(main.code, 200);
    assert.deepEqual(main.body.status, {});
    const latest: Json = main.body;
    const viaStatus = await api(env, 'PUT', `${API}/validatingadmissionpolicies/api.example.com/status`, {
      ...latest,
      spec: { ...latest.spec, failurePolicy: 'Ignore' },
      status,
    });
    assert.equal(viaStatus.code, 200, JSON.stringify(viaStatus.body));
    assert.deepEqual(viaStatus.body.status, status);
    assert.equal(viaStatus.body.spec.failurePolicy, 'Fail');
    assert.equal(viaStatus.body.metadata.generation, 2);
    const badStatus = await api(env, 'PUT', `${API}/validatingadmissionpolicies/api.example.com/status`, {
      ...viaStatus.body,
      status: { typeChecking: { expressionWarnings: [{ fieldRef: '', warning: '' }] } },
    });
    assert.equal(badStatus.code, 422);
    assert.equal(
      badStatus.body.message,
      'ValidatingAdmissionPolicy.admissionregistration.k8s.io "api.example.com" is invalid: [status.typeChecking.expressionWarnings[0].warning: Required value, status.typeChecking.expressionWarnings[0].fieldRef: Required value]',
    );

    const deleted = await kubectlFile(env, 'delete', [p, b]);
    assert.equal(deleted.status, 0, deleted.err);
    assert.match(
      deleted.out,
      /validatingadmissionpolicybinding.admissionregistration.k8s.io "api-binding.example.com" deleted/,
    );
  });

  it("refuses bad policies and bindings with upstream's field paths and messages", async () => {
    const bad = policy('bad.example.com', 'api', {
      failurePolicy: 'Sometimes',
      validations: [
        { expression: 'object.spec.replicas <=' },
        { expression: 'true', reason: 'Unauthorized', messageExpression: 'authorizer.path("/x")' },
        { expression: 'params.x == 1', message: 'two\nlines' },
      ],
      matchConditions: [{ name: 'Bad Name', expression: 'variables.x' }],
      variables: [{ name: 'in', expression: 'nope' }],
      auditAnnotations: [{ key: 'k', valueExpression: '1' }],
    });
    const r = await kubectlFile(env, 'create', [bad]);
    assert.notEqual(r.status, 0);
    const expected = [
      'spec.failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"',
      `spec.matchConditions[0].expression: Invalid value: "variables.x": compilation failed: ERROR: <input>:1:1: undeclared reference to 'variables' (in container '')`,
      "spec.matchConditions[0].name: Invalid value: \"Bad Name\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      'spec.variables[0].name: Invalid value: "in": name is not a valid CEL identifier',
      `spec.variables[0].expression: Invalid value: "nope": compilation failed: ERROR: <input>:1:1: undeclared reference to 'nope' (in container '')`,
      'spec.validations[0].expression: Invalid value: "object.spec.replicas <=": compilation failed: ERROR: <input>:1:24: Syntax error:',
      `spec.validations[1].messageExpression: Invalid value: "authorizer.path(\\"/x\\")": compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer' (in container '')`,
      'spec.validations[1].reason: Unsupported value: "Unauthorized": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"',
      `spec.validations[2].expression: Invalid value: "params.x == 1": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')`,
      'spec.validations[2].message: Invalid value: "two\\nlines": message must not contain line breaks',
      'spec.auditAnnotations[0].valueExpression: Invalid value: "1": must evaluate to one of [string null_type] but got int',
    ];
    assert.match(r.err, /^The ValidatingAdmissionPolicy "bad\.example\.com" is invalid: \n/);
    let at = 0;
    for (const line of expected) {
      const i = r.err.indexOf(`* ${line}`, at);
      assert.ok(i >= at, `missing or out of order: ${line}\n--- in ---\n${r.err}`);
      at = i;
    }

    const noRules = policy('norules.example.com', 'api', { validations: [] });
    noRules.spec.matchConstraints = { namespaceSelector: {} };
    const badBinding = binding('bad-binding.example.com', 'Not_A_Name', {
      validationActions: ['Deny', 'Warn', 'Deny'],
      paramRef: { name: 'a/b', selector: {} },
      matchResources: { matchPolicy: 'Fuzzy' },
    });
    const [r2, r3, r4] = await Promise.all([
      kubectlFile(env, 'create', [noRules]),
      kubectlFile(env, 'create', [badBinding]),
      kubectlFile(env, 'create', [binding('empty.example.com', 'p', { validationActions: [] })]),
    ]);
    assert.equal(
      r2.err,
      'The ValidatingAdmissionPolicy "norules.example.com" is invalid: \n' +
        '* spec.matchConstraints.resourceRules: Required value\n' +
        '* spec.validations: Required value: validations or auditAnnotations must contain at least one item\n' +
        '* spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item\n',
    );
    assert.match(r3.err, /^The ValidatingAdmissionPolicyBinding "bad-binding\.example\.com" is invalid: \n/);
    for (const line of [
      'spec.policyName: Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain',
      `spec.paramRef.name: Invalid value: "a/b": may not contain '/'`,
      'spec.paramRef.name: Forbidden: name and selector are mutually exclusive',
      'spec.paramRef.selector: Forbidden: name and selector are mutually exclusive',
      'spec.paramRef.parameterNotFoundAction: Required value',
      'spec.matchResouces.matchPolicy: Unsupported value: "Fuzzy": supported values: "Equivalent", "Exact"',
      'spec.validationActions[2]: Duplicate value: "Deny"',
      'spec.validationActions: Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn", "Deny"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
    ]) {
      assert.ok(r3.err.includes(`* ${line}`), `missing: ${line}\n--- in ---\n${r3.err}`);
    }
    assert.equal(
      r4.err,
      'The ValidatingAdmissionPolicyBinding "empty.example.com" is invalid: spec.validationActions: Required value: at least one validation action is required\n',
    );
  });
});
