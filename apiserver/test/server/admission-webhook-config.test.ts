// admissionregistration.k8s.io/v1 webhook configurations as a served API, with real kubectl: the
// v1 defaults, the NAME WEBHOOKS AGE table, describe, apply of a change (webhooks merge by name,
// the generation moves), and upstream's validation errors as kubectl prints them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, applyYaml, configuration, type Env, startEnv } from './admission-webhook-fixture.ts';
import { kubectl, kubectlBinary } from './fixture.ts';

const BASE = '/apis/admissionregistration.k8s.io/v1';

describe('webhook configurations', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('are created with the v1 defaults and listed, described and changed with kubectl', async () => {
    const applied = await applyYaml(env, 'good.yaml', [
      configuration(env, 'Validating', 'checks', [
        { name: 'a.example.com', path: '/a' },
        { name: 'b.example.com', path: '/b', extra: { timeoutSeconds: 3, failurePolicy: 'Ignore' } },
      ]),
      configuration(env, 'Mutating', 'defaults', [
        { name: 'm.example.com', service: { namespace: 'default', name: 'webhook', path: '/mutate' } },
      ]),
    ]);
    assert.equal(applied.status, 0, applied.err);
    assert.match(applied.out, /validatingwebhookconfiguration.admissionregistration.k8s.io\/checks created/);

    const v = (await api(env, 'GET', `${BASE}/validatingwebhookconfigurations/checks`)).body;
    assert.equal(v.metadata.generation, 1);
    const [a, b] = v.webhooks;
    assert.deepEqual(
      {
        failurePolicy: a.failurePolicy,
        matchPolicy: a.matchPolicy,
        namespaceSelector: a.namespaceSelector,
        objectSelector: a.objectSelector,
        timeoutSeconds: a.timeoutSeconds,
        scope: a.rules[0].scope,
        sideEffects: a.sideEffects,
      },
      {
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        namespaceSelector: {},
        objectSelector: {},
        timeoutSeconds: 10,
        scope: '*',
        sideEffects: 'None',
      },
    );
    assert.equal(a.clientConfig.caBundle, env.caBundle);
    assert.equal(b.failurePolicy, 'Ignore');
    assert.equal(b.timeoutSeconds, 3);
    const m = (await api(env, 'GET', `${BASE}/mutatingwebhookconfigurations/defaults`)).body;
    assert.equal(m.webhooks[0].reinvocationPolicy, 'Never');
    assert.deepEqual(m.webhooks[0].clientConfig.service, {
      namespace: 'default',
      name: 'webhook',
      path: '/mutate',
      port: 443,
    });

    const [table, oldTable, described] = await Promise.all([
      kubectl(env.f, ['get', 'validatingwebhookconfigurations']),
      kubectl(env.f, ['get', 'mutatingwebhookconfigurations'], kubectlBinary(27)),
      kubectl(env.f, ['describe', 'validatingwebhookconfiguration', 'checks']),
    ]);
    assert.match(table.out, /^NAME\s+WEBHOOKS\s+AGE\nchecks\s+2\s+\d+s\n$/, table.err);
    assert.match(oldTable.out, /^NAME\s+WEBHOOKS\s+AGE\ndefaults\s+1\s+\d+s\n$/, oldTable.err);
    assert.match(described.out, /^Name:\s+checks\n/);
    assert.match(described.out, /API Version:\s+admissionregistration.k8s.io\/v1/);
    assert.match(described.out, /Failure Policy:\s+Ignore/);

    // A second apply: a strategic merge patch, webhooks merged by name; a changed webhook moves the generation.
    const changed = await applyYaml(env, 'good.yaml', [
      configuration(env, 'Validating', 'checks', [
        { name: 'a.example.com', path: '/a', extra: { timeoutSeconds: 5 } },
        { name: 'b.example.com', path: '/b', extra: { timeoutSeconds: 3, failurePolicy: 'Ignore' } },
      ]),
    ]);
    assert.equal(changed.status, 0, changed.err);
    const v2 = (await api(env, 'GET', `${BASE}/validatingwebhookconfigurations/checks`)).body;
    assert.equal(v2.metadata.generation, 2);
    assert.deepEqual(
      v2.webhooks.map((w: { name: string; timeoutSeconds: number }) => [w.name, w.timeoutSeconds]),
      [
        ['a.example.com', 5],
        ['b.example.com', 3],
      ],
    );
  });

  it('are refused with upstream validation errors', async () => {
    const bad = await applyYaml(env, 'bad.yaml', [
      configuration(env, 'Validating', 'bad', [
        {
          name: 'short',
          url: 'http://127.0.0.1:1/x?y=1',
          extra: { timeoutSeconds: 31, admissionReviewVersions: ['v2'] },
        },
        { name: 'dup.example.com', path: '/d', operations: ['CREATE', 'GET'], extra: { sideEffects: 'Some' } },
        { name: 'dup.example.com', path: '/d', extra: { clientConfig: {}, sideEffects: undefined } },
      ]),
    ]);
    assert.notEqual(bad.status, 0);
    for (const line of [
      'The ValidatingWebhookConfiguration "bad" is invalid: ',
      '* webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
      '* webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
      `* webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
      '* webhooks[0].clientConfig.url: Invalid value: "y=1": query parameters are not permitted in the URL',
      '* webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
      '* webhooks[1].rules[0].operations[1]: Unsupported value: "GET": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
      '* webhooks[1].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      '* webhooks[2].sideEffects: Required value: must specify one of None, NoneOnDryRun',
      '* webhooks[2].clientConfig: Required value: exactly one of url or service is required',
      '* webhooks[2].name: Duplicate value: "dup.example.com"',
    ]) {
      assert.ok(bad.err.includes(line), `${line}\n--- not in ---\n${bad.err}`);
    }
    const doc = configuration(env, 'Mutating', 'bad-ca', [{ name: 'x.example.com', path: '/x' }]);
    doc.webhooks[0].clientConfig.caBundle = 'not*base64';
    const badCa = await api(env, 'POST', `${BASE}/mutatingwebhookconfigurations`, doc);
    assert.equal(badCa.code, 400, badCa.raw);
    assert.equal(
      badCa.body.message,
      'MutatingWebhookConfiguration in version "v1" cannot be handled as a MutatingWebhookConfiguration: illegal base64 data at input byte 3',
    );
  });
});
